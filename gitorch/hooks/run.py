"""What the installed hooks start: observe, print a few lines, record; never fail.

The sh hook runs `python -I -S -c 'from gitorch.hooks.run import main; main(argv)'` with
the interpreter gitorch was installed with and gitorch's directory appended to sys.path;
what it may import, and why so little, is in observe.py and docs/hooks.md. A checkout to a
commit seen before is told from the answer kept for it (kept.py) before anything else is
imported: this module imports neither `os` nor `__future__` at its top, and the full
observation's modules only when no answer is kept.
"""

import sys

from gitorch.hooks import gitfiles

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

# Variables that locate the repository the hook runs for; kept for our own git calls only.
_OWN_REPO_VARS = ("GIT_DIR", "GIT_WORK_TREE")
_PIPED_DIFF = "GITORCH_HOOK_DIFF"  # hook.sh started `git diff-tree` (no answer is kept)
DEFAULT_STATE_BRANCH = "orch/state"


def main(argv: list[str]) -> None:
    """`argv` is the hook's name then git's arguments. Prints at most a few lines."""
    trigger = argv[0] if argv else "hook"
    if trigger == "pre-commit":  # the link guard decides the commit; it observes nothing
        from gitorch.hooks.precommit import main as guard
        raise SystemExit(guard())
    try:
        for line in run(trigger):
            sys.stdout.write(line + "\n")
    except BaseException as exc:  # a hook must never fail the git command
        text = str(exc).strip().splitlines()
        detail = f"{type(exc).__name__}: {text[0][:160]}" if text else type(exc).__name__
        sys.stdout.write(f"orch: the {trigger} hook could not observe ({detail})\n")
    sys.stdout.flush()


def run(trigger: str) -> "list[str]":
    """Observe the repository in the current directory and record it; the lines to print."""
    found = None
    if not any(gitfiles.getenv(k) for k in (*_OWN_REPO_VARS, _PIPED_DIFF)):
        found = gitfiles.main_worktree(gitfiles.getcwd())  # what locate() finds, for a main worktree
    if found is not None:
        common, root = found
        off, branch = state_branch(common, root, {})
        if off:
            return []
        from gitorch.hooks.kept import told

        lines = told(common, root, branch, trigger)
        return lines if lines is not None else observe_fully(trigger, (common, root, branch))
    return observe_fully(trigger, None)


def observe_fully(trigger: str, settled: "tuple[str, str, str] | None") -> "list[str]":
    """The full observation, as `run` does it without a kept answer; `settled`: the git
    common dir, the work tree root and the state branch, when `run` found them already."""
    import os

    from gitorch.hooks.observe import observe
    from gitorch.hooks.record import record_observed
    from gitorch.hooks.watchindex import prestarted

    # hook.sh may have started `git diff-tree` for two commits and piped it to our stdin
    diff = os.environ.pop(_PIPED_DIFF, "")
    if diff:
        prestarted(diff, 0)

    own = {k: os.path.abspath(os.environ[k]) for k in _OWN_REPO_VARS if os.environ.get(k)}
    if settled is not None:
        common, root, branch = settled
    else:
        found = None if own else locate(os.getcwd())
        if found is None:
            from gitorch.gitcmd import git_quick

            status, out = git_quick(
                ["rev-parse", "--path-format=absolute", "--git-common-dir", "--show-toplevel"],
                None, env=own)
            lines = out.decode("utf-8", "surrogateescape").splitlines()
            if status != 0 or len(lines) < 2:
                return []  # not in a work tree (a bare repository has nothing checked out to observe)
            found = lines[0], lines[1]
        common, root = found
        off, branch = state_branch(common, root, own)
        if off:
            return []
    obs = observe(root, branch=branch, trigger=trigger, env=own, common=None if own else common)
    lines = obs.notices()
    if obs.has_state:
        try:
            record_observed(common, trigger, obs.drift, obs.findings())
        except OSError as exc:  # a read-only git directory: still tell what was seen
            lines.append(f"orch: could not record this observation ({exc.strerror or exc})")
    return lines


def locate(cwd: str) -> "tuple[str, str] | None":
    """(git common dir, work tree root) when `cwd` is a work tree's root, read from the files
    git keeps there (gitrepository-layout: a `.git` folder, or a `gitdir:` file, and
    `commondir`) instead of starting git (git runs hooks at the root); None otherwise."""
    import os

    dotgit = os.path.join(cwd, ".git")
    if os.path.isdir(dotgit):
        gitdir = dotgit
    else:
        try:
            with open(dotgit, encoding="utf-8") as fh:
                text = fh.read().strip()
        except OSError:
            return None
        if not text.startswith("gitdir: "):
            return None
        gitdir = os.path.join(cwd, text[len("gitdir: "):])
    try:
        with open(os.path.join(gitdir, "commondir"), encoding="utf-8") as fh:
            common = os.path.join(gitdir, fh.read().strip())
    except FileNotFoundError:
        common = gitdir
    except OSError:
        return None
    return os.path.normpath(common), cwd


def state_branch(common: str, root: str, env: "Mapping[str, str]") -> "tuple[bool, str]":
    """(switched off by `orch.hooks`, the state branch) as `settings()` resolves them, minus
    the config files the hook does not read: `GITORCH_STATE_BRANCH`, then `orch.stateBranch`,
    then the default. Git config is read only when a file could set them (hookconfig.py)."""
    branch = gitfiles.getenv("GITORCH_STATE_BRANCH")
    # GITORCH_HOOK_CONFIG_READ: the sh hook read both settings already, and exported the
    # branch when it was set
    if gitfiles.getenv("GITORCH_HOOK_CONFIG_READ") == "1" or not gitfiles.may_set_orch(common, root, env):
        return False, branch or DEFAULT_STATE_BRANCH
    from gitorch.hooks.hookconfig import hook_settings

    off, configured = hook_settings(common, root, env)
    return off, branch or configured or DEFAULT_STATE_BRANCH
