"""Which git backend a store uses, decided here and nowhere else.

Four inputs, strongest first:
1. an explicit choice: the setting `backend` (`git orch config set backend cli`, which
   GITORCH_BACKEND also sets as the setting's environment level) or the variable itself
   where no settings are read (`--version`);
2. the command's preference: "auto" in the run engine's commands (status, next, explain,
   report, events, run, ...) means the git CLI: importing pygit2 costs ~90 ms (libgit2,
   ssl, its enums), more than the few `cat-file` round trips a read makes, and a run
   commits in batches (measured: a 1,000-task run and a skip-everything re-run are as fast
   or faster on the CLI backend);
3. pygit2 when it is installed (found without importing it);
4. the git CLI when pygit2 is missing, or installed but fails to import (a bad build).

The preference is a value in a ContextVar that `preferring_cli()` sets around one command
and resets after it, so an in-process caller (tests, CliRunner) never inherits another
command's choice.
"""

from __future__ import annotations

import os
from contextvars import ContextVar

from gitorch.frozen import Frozen

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from contextvars import Token
    from typing import Literal

    from gitorch.store.backend import Backend

    Name = Literal["pygit2", "cli"]
ENV = "GITORCH_BACKEND"

# Commands for which "auto" means the git CLI backend: the read-only ones, and the run
# engine's, which commit in batches (see the module docstring).
CLI_PREFERRED_COMMANDS = frozenset({
    "status", "next", "explain", "context", "report", "events", "sessions",
    "run", "resume", "approve",
})

_prefer_cli: ContextVar[bool] = ContextVar("gitorch_prefer_cli", default=False)


class Choice(Frozen):
    """The backend to open and why: `asked` is what the user set ("auto", "pygit2", "cli").
    A frozen dataclass's behaviour (gitorch/frozen.py): every command loads this module."""

    _fields = ("name", "asked", "reason")
    name: Name
    asked: str
    reason: str  # e.g. "setting backend", "auto: pygit2 is installed", "auto: command prefers cli"

    def __init__(self, name: Name, asked: str, reason: str) -> None:
        set_field = object.__setattr__
        set_field(self, "name", name)
        set_field(self, "asked", asked)
        set_field(self, "reason", reason)

    @property
    def explicit(self) -> bool:
        return self.asked != "auto"


def _normalise(value: str | None) -> str:
    want = (value or "auto").strip().lower()
    return "cli" if want == "git" else want


def command_prefers_cli(args: Sequence[str]) -> bool:
    """Whether the command in `args` (argv without the program) prefers the git CLI."""
    words = [a for a in args if not a.startswith("-")]
    if not words:
        return False
    return words[0] in CLI_PREFERRED_COMMANDS or list(words[:2]) == ["state", "log"]


class preferring_cli:  # noqa: N801 - used as the function (a contextmanager) it was
    """Within the `with` block, "auto" resolves to the git CLI backend (one command's
    preference). A class, not contextlib.contextmanager: every command enters it, and
    contextlib is not loaded for it."""

    def __init__(self, prefer: bool = True) -> None:
        self._prefer = prefer
        self._tokens: list[Token[bool]] = []

    def __enter__(self) -> None:
        self._tokens.append(_prefer_cli.set(self._prefer))

    def __exit__(self, *exc: object) -> None:
        _prefer_cli.reset(self._tokens.pop())


def choose(
    configured: str | None = None,
    *,
    prefer_cli: bool | None = None,
    environ: Mapping[str, str] | None = None,
) -> Choice:
    """The backend for the setting `configured` (None or "auto": GITORCH_BACKEND, else auto),
    without importing pygit2. `prefer_cli` None: the current command's preference."""
    asked = _normalise(configured)
    if asked == "auto":
        asked = _normalise((os.environ if environ is None else environ).get(ENV))
    if asked == "cli":
        return Choice("cli", asked, "setting backend")
    if asked == "pygit2":
        return Choice("pygit2", asked, "setting backend")
    if (_prefer_cli.get() if prefer_cli is None else prefer_cli):
        return Choice("cli", "auto", "auto: this command reads and commits faster with the git CLI")
    import importlib.util  # here: a command that prefers the CLI does not load it

    if importlib.util.find_spec("pygit2") is not None:
        return Choice("pygit2", "auto", "auto: pygit2 is installed")
    return Choice("cli", "auto", "auto: pygit2 is not installed")


def backend_name(requested: str | None = None) -> Name:
    """'pygit2' or 'cli' for the setting `requested` (see `choose`)."""
    return choose(requested).name


def open_backend(git_dir: str, choice: Choice | str, scratch: str | None = None) -> tuple[Backend, Choice]:
    """The backend `choice` names on the repository at `git_dir`, and the choice it ended
    as: an "auto" pygit2 that fails to import falls back to the git CLI; an explicit one is
    a ConfigError (exit 2) saying so. `scratch`: where the CLI backend keeps temp files."""
    if isinstance(choice, str):
        choice = choose(choice)
    _refuse_sha256(git_dir)
    if choice.name == "pygit2":
        try:
            from gitorch.store.pygit2_backend import Pygit2Backend
        except ImportError as exc:  # installed but broken (a bad build, a missing libgit2)
            if choice.explicit:
                from gitorch.errors import ConfigError

                raise ConfigError(
                    f"backend pygit2 was asked for (setting `backend` or {ENV}) but cannot be "
                    f"imported: {exc}",
                    hint="`git orch config set backend cli`, or reinstall pygit2",
                ) from None
            choice = choice.replace(name="cli", reason=f"auto: pygit2 does not import ({exc})")
        else:
            return Pygit2Backend(git_dir), choice
    from gitorch.store.cli_backend import CliBackend

    return CliBackend(git_dir, scratch), choice


def _refuse_sha256(git_dir: str) -> None:
    """A ConfigError for a repository that names its objects by SHA-256: the state branch is
    written and read as SHA-1 objects (ids of 40 hex digits, loose objects, pygit2)."""
    from gitorch.store.loose import common_dir

    try:
        with open(os.path.join(common_dir(git_dir), "config"), "rb") as fh:
            text = fh.read().lower()
    except OSError:
        return
    if b"sha256" not in text or b"objectformat" not in text:
        return
    squeezed = b"".join(text.split())
    if b"objectformat=sha256" in squeezed:
        from gitorch.errors import ConfigError

        raise ConfigError(f"{git_dir}: this repository names its objects by SHA-256 "
                          "(extensions.objectFormat); gitorch keeps its state in SHA-1 repositories only",
                          hint="run gitorch in a SHA-1 clone of this repository")


def describe() -> str:
    """The backend as `--version` and `self-check` tell it, e.g. "cli" or "pygit2 (…)"."""
    choice = choose(prefer_cli=False)
    if not choice.explicit and choice.name == "pygit2":
        return "pygit2 (runs and reads use the git CLI: faster to start)"
    return choice.name
