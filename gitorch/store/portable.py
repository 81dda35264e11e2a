"""`init --portable`: make plain `git fetch`/`git push` carry the state branch and notes.

Fetch refspecs go to remote-tracking names (`refs/orch/remotes/<remote>/…`), never onto
the local branch, so a plain fetch cannot clobber local state; `git orch sync` merges
them. Globs are used because git refuses a configured exact refspec the remote lacks.
"""

from __future__ import annotations

from gitorch.errors import UsageError
from gitorch.gitcmd import git
from gitorch.store.state import StateStore


def _values(store: StateStore, key: str) -> list[str]:
    proc = git(["config", "--get-all", key], store.repo.cwd, check=False)
    return proc.stdout.decode().splitlines() if proc.returncode == 0 else []


def configure_portable(store: StateStore, remote: str | None = None) -> list[str]:
    """Add fetch and push refspecs for the state to `remote` (default: every remote)."""
    cwd = store.repo.cwd
    remotes = git(["remote"], cwd).stdout.decode().split()
    if remote is not None and remote not in remotes:
        raise UsageError(f"no remote named '{remote}'", hint="add it with `git remote add NAME URL`")
    targets = [remote] if remote else remotes
    done: list[str] = []
    for name in targets:
        fetch = [
            f"+{store.ref}*:refs/orch/remotes/{name}/state*",
            f"+{store.notes_ref}*:refs/orch/remotes/{name}/notes*",
        ]
        have = _values(store, f"remote.{name}.fetch")
        for spec in fetch:
            if spec not in have:
                git(["config", "--add", f"remote.{name}.fetch", spec], cwd)
                done.append(f"remote.{name}.fetch {spec}")
        pushes = _values(store, f"remote.{name}.push")
        # A configured push refspec replaces git's default of pushing the current branch,
        # so keep that default explicitly (HEAD) when adding the first ones.
        wanted = ([] if pushes else ["HEAD"]) + [
            # Globs: a push refspec naming a ref that does not exist yet (no notes so far)
            # would make every plain `git push` fail.
            f"{store.ref}*:{store.ref}*", f"{store.notes_ref}*:{store.notes_ref}*",
        ]
        for spec in wanted:
            if spec not in pushes:
                git(["config", "--add", f"remote.{name}.push", spec], cwd)
                done.append(f"remote.{name}.push {spec}")
    git(["config", "orch.portable", "true"], cwd)
    if not targets:
        done.append("orch.portable true (no remotes yet: run init --portable again after adding one)")
    return done
