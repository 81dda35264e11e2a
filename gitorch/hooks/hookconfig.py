"""The two settings the hooks follow, `orch.hooks` and `orch.stateBranch`, usually without
starting `git config` (standard library only).

A `git config` process costs the hook a few milliseconds of its 25 ms budget, and almost no
repository sets either key. So the hook reads the files git would read (the system file,
the user's files, the repository's `config` and `config.worktree`) and the `-c` variables,
and asks git only when one of them could set an `orch.*` key: a `[orch` section header, an
`include`, an `orch.` key on the command line. That test is conservative (a comment naming
`[orch` also asks git); a false "nothing here" would need a file git reads that this list
misses, so outside Linux, where the system file may sit under another prefix, it asks git.
The test itself (`gitfiles.may_set_orch`) is what a kept answer's path asks too (kept.py).
"""

from __future__ import annotations

from gitorch.gitcmd import git_quick
from gitorch.hooks.gitfiles import may_set_orch

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

_OFF = ("false", "no", "off", "0")


def hook_settings(
    common: str, root: str, env: Mapping[str, str] | None = None,
) -> tuple[bool, str | None]:
    """(switched off by `orch.hooks`, the `orch.stateBranch` value or None) for the
    repository whose git common dir is `common` and work tree `root`."""
    if not may_set_orch(common, root, env):
        return False, None
    _, out = git_quick(["config", "--get-regexp", r"^orch\.(hooks|statebranch)$"], root, env=env)
    off, branch = False, None
    for line in out.decode("utf-8", "surrogateescape").splitlines():
        key, _, value = line.partition(" ")
        if key == "orch.hooks":  # the last one wins, as in git
            off = value.strip().lower() in _OFF
        elif key == "orch.statebranch":
            branch = value.strip() or None
    return off, branch
