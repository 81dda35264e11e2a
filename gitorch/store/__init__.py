"""Git-native state: backends (pygit2, git CLI), the state branch, notes, sync, archives.

Everything above the store talks to `StateStore` (store/state.py). A backend knows
nothing of plans; the state branch knows events only as `gitorch.events`.
"""
