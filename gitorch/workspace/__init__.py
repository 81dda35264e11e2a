"""Multi-repo workspaces: manifest, snapshot, diff, plan, apply (lock, LIFO rollback),
observe, repair, teardown and ephemeral workspaces (the seed's workspace flow).

Import submodules directly; this package imports nothing so the hook path stays light.
"""
