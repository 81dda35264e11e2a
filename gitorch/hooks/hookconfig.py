"""The two settings the hooks follow, `orch.hooks` and `orch.stateBranch`, usually without
starting `git config` (standard library only).

A `git config` process costs the hook a few milliseconds of its 25 ms budget, and almost no
repository sets either key. So the hook reads the files git would read (the system file,
the user's files, the repository's `config` and `config.worktree`) and the `-c` variables,
and asks git only when one of them could set an `orch.*` key: a `[orch` section header, an
`include`, an `orch.` key on the command line. That test is conservative (a comment naming
`[orch` also asks git); a false "nothing here" would need a file git reads that this list
misses, so outside Linux, where the system file may sit under another prefix, it asks git.
"""

from __future__ import annotations

import os
import sys

from gitorch.gitcmd import git_quick

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

_OFF = ("false", "no", "off", "0")


def hook_settings(
    common: str, root: str, env: Mapping[str, str] | None = None,
) -> tuple[bool, str | None]:
    """(switched off by `orch.hooks`, the `orch.stateBranch` value or None) for the
    repository whose git common dir is `common` and work tree `root`."""
    if not _may_set_orch(common, root, env):
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


def _may_set_orch(common: str, root: str, env: Mapping[str, str] | None) -> bool:
    """Whether any configuration git reads here could set an `orch.*` key."""
    environ = os.environ
    if env or sys.platform != "linux" or environ.get("GIT_CONFIG"):
        return True  # own GIT_DIR, another system prefix, or `git config`'s own file
    if "orch." in environ.get("GIT_CONFIG_PARAMETERS", "").lower():
        return True
    try:
        count = int(environ.get("GIT_CONFIG_COUNT") or 0)
    except ValueError:
        return True
    if any(environ.get(f"GIT_CONFIG_KEY_{i}", "").lower().startswith("orch.") for i in range(count)):
        return True
    if not os.path.isdir(os.path.join(root, ".git")):
        return True  # a linked worktree keeps its config.worktree elsewhere: ask git
    return any(_mentions_orch(path) for path in _files(common, environ))


def _files(common: str, environ: Mapping[str, str]) -> list[str]:
    files = []
    if environ.get("GIT_CONFIG_NOSYSTEM", "").lower() not in ("1", "true", "yes", "on"):
        files.append(environ.get("GIT_CONFIG_SYSTEM") or "/etc/gitconfig")
        files.append("/usr/local/etc/gitconfig")  # a git built with prefix /usr/local
    if "GIT_CONFIG_GLOBAL" in environ:
        files.append(environ["GIT_CONFIG_GLOBAL"])
    else:
        home = environ.get("HOME", "")
        xdg = environ.get("XDG_CONFIG_HOME") or (home and os.path.join(home, ".config"))
        if xdg:
            files.append(os.path.join(xdg, "git", "config"))
        if home:
            files.append(os.path.join(home, ".gitconfig"))
    files += [os.path.join(common, "config"), os.path.join(common, "config.worktree")]
    return [f for f in files if f]


def _mentions_orch(path: str) -> bool:
    """Whether the file at `path` may set an `orch.*` key (True when it cannot be read but
    exists: git would fail or read it, so let git say)."""
    try:
        with open(path, "rb") as fh:
            text = fh.read()
    except FileNotFoundError:
        return False
    except OSError:
        return not os.path.isdir(path)
    squeezed = b"".join(text.lower().split())
    return b"[orch" in squeezed or b"include" in squeezed
