"""Shell completion for `git orch` and `git-orch` in bash, zsh and fish.

typer answers the completion requests (click's protocol, `_GIT_ORCH_COMPLETE=complete_<shell>`),
so completions always follow the one CLI definition. What typer cannot do for a git
subcommand is hook into git's own completion; the scripts below do that:
- bash: git's completion calls `_git_orch` for `git orch …`; `git-orch …` is registered too.
- zsh: git's `_git` calls `_git-orch` for `git orch …` (and compdef covers `git-orch`).
- fish: `git orch …` is completed as `git-orch …` (the script registers both).
This module is imported only for `--show-completion`, `--install-completion` and a
completion request, never by an ordinary command.
"""

from __future__ import annotations

import os
from pathlib import Path

from gitorch.errors import UsageError

COMPLETE_VAR = "_GIT_ORCH_COMPLETE"
SHELLS = ("bash", "zsh", "fish")

_BASH = r"""# git orch completion for bash (`SHELL=bash git orch --show-completion`)
_git_orch_words() {
    local IFS=$'\n'
    COMPREPLY=( $(env COMP_WORDS="git-orch $1" COMP_CWORD=$2 _GIT_ORCH_COMPLETE=complete_bash \
                  git-orch 2>/dev/null) )
}
# git's completion calls this for `git orch …` (also after `git -C DIR`)
_git_orch() {
    local i=1
    while [ $i -lt $COMP_CWORD ] && [ "${COMP_WORDS[$i]}" != orch ]; do i=$((i + 1)); done
    local IFS=$'\n'
    _git_orch_words "${COMP_WORDS[*]:$((i + 1))}" $((COMP_CWORD - i))
}
_git_orch_direct() {
    local IFS=$'\n'
    _git_orch_words "${COMP_WORDS[*]:1}" $COMP_CWORD
}
complete -o default -F _git_orch_direct git-orch
"""

_ZSH = r"""#compdef git-orch
# git orch completion for zsh (`SHELL=zsh git orch --show-completion`); git's _git calls
# _git-orch for `git orch …`, where words[1] is `orch`, as it is `git-orch` when run directly.
_git-orch() {
  eval $(env _TYPER_COMPLETE_ARGS="git-orch ${words[2,$CURRENT]}" _GIT_ORCH_COMPLETE=complete_zsh git-orch)
}
if [ "$funcstack[1]" = "_git-orch" ]; then
  _git-orch "$@"
else
  compdef _git-orch git-orch
fi
"""

_FISH = """# git orch completion for fish (`SHELL=fish git orch --show-completion`)
complete --command git-orch --no-files --arguments \
"(env _GIT_ORCH_COMPLETE=complete_fish _TYPER_COMPLETE_FISH_ACTION=get-args \
_TYPER_COMPLETE_ARGS=(commandline -cp) git-orch)" --condition \
"env _GIT_ORCH_COMPLETE=complete_fish _TYPER_COMPLETE_FISH_ACTION=is-args \
_TYPER_COMPLETE_ARGS=(commandline -cp) git-orch"
# `git orch …`: what follows `orch` is completed as `git-orch …`
function __git_orch_complete
    set -l words (commandline -opc)
    set -e words[1..(contains -i -- orch $words)]
    complete -C "git-orch $words "(commandline -ct)
end
complete --command git --no-files --condition '__fish_seen_subcommand_from orch' \
--arguments '(__git_orch_complete)'
"""

SCRIPTS = {"bash": _BASH, "zsh": _ZSH, "fish": _FISH}


def detect_shell() -> str:
    """The user's shell from $SHELL (what a login would start)."""
    name = Path(os.environ.get("SHELL", "")).name
    if name not in SHELLS:
        raise UsageError(f"cannot tell which shell this is (SHELL={os.environ.get('SHELL', '')!r})",
                         hint="run it with SHELL=bash, SHELL=zsh or SHELL=fish")
    return name


def script(shell: str | None) -> str:
    """The completion script for `shell` (detected when None)."""
    return SCRIPTS[shell or detect_shell()]


def _rc_line(path: Path, line: str) -> None:
    """Append `line` to the rc file at `path` unless it is there already."""
    text = path.read_text() if path.exists() else ""
    if line not in text.splitlines():
        with path.open("a") as fh:
            fh.write(("" if not text or text.endswith("\n") else "\n") + line + "\n")


def install(shell: str | None, home: Path | None = None) -> tuple[str, Path]:
    """Write the script where the shell finds it; returns the shell and the file written."""
    shell = shell or detect_shell()
    text = script(shell)
    home = home or Path.home()
    if shell == "bash":
        target = home / ".bash_completions" / "git-orch.sh"
        rc, line = home / ".bashrc", f"source {target}"
    elif shell == "zsh":
        target = home / ".zfunc" / "_git-orch"
        rc, line = home / ".zshrc", "fpath+=~/.zfunc; autoload -Uz compinit; compinit"
    else:
        # conf.d, not completions/: fish loads completions/<command>.fish only for that command,
        # and `git orch` must be known when fish completes `git`
        config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
        target, rc, line = config / "fish" / "conf.d" / "git-orch.fish", None, ""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    if rc is not None:
        _rc_line(rc, line)
    return shell, target


def prepare_request() -> bool:
    """Register typer's shell classes when this process answers a completion request."""
    if not os.environ.get(COMPLETE_VAR):
        return False
    from typer._completion_classes import completion_init

    completion_init()
    return True
