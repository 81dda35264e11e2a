"""The context a command runs in, built once at the CLI edge and passed down.

`build_context()` is the one place that decides where the repository is, which plan file
and settings apply, and what the terminal can show. Domain code takes a `Context` instead
of looking for the repository, the settings or the state store on its own (the shape of
pre-commit's `main()` building `Store()` once, and of git-bug's `execenv.Env`).

Start-up stays flat: building a Context runs no git command and imports nothing heavy.
The repository is found on first use (one `git rev-parse`), the settings are read on first
use, the state store opens its backend (pygit2 or git) only when it is first read, and the
plan is loaded only when a command asks for it. The hook path does not use a Context.
"""

from __future__ import annotations

import os
import sys

from gitorch.cachedattr import cached_property
from gitorch.frozen import Frozen

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, TextIO

    from gitorch.config import Settings
    from gitorch.plan.load import LoadedPlan
    from gitorch.repo import Repo
    from gitorch.store.state import StateStore

# Output and Context behave as the frozen dataclasses they were (gitorch/frozen.py): every
# command builds a Context, and `dataclasses` (inspect, ast, dis, tokenize) is not loaded for it.


class Output(Frozen):
    """What the terminal can show: JSON or lines, colour, whether a person watches."""

    _fields = ("json", "colour", "tty", "prog")
    json: bool
    colour: bool
    tty: bool
    prog: str  # the program name as the user typed it, for hints

    def __init__(self, json: bool = False, colour: bool = False, tty: bool = False,
                 prog: str = "git orch") -> None:
        set_field = object.__setattr__
        set_field(self, "json", json)
        set_field(self, "colour", colour)
        set_field(self, "tty", tty)
        set_field(self, "prog", prog)


class Context(Frozen):
    """Everything a command needs from its surroundings; expensive members are lazy."""

    _fields = ("cwd", "file", "output", "overrides", "given_repo")
    cwd_text: str  # `cwd` as text: `ws snapshot` (P5) reads it without loading pathlib
    file: str | None  # the plan file asked for with --file (None: the default)
    output: Output
    overrides: tuple[tuple[str, Any], ...]  # settings given on the command line
    given_repo: Repo | None  # a repository already found (tests, nested commands)

    def __init__(self, cwd: Path | str, file: str | None = None, output: Output | None = None,
                 overrides: tuple[tuple[str, Any], ...] = (), given_repo: Repo | None = None) -> None:
        set_field = object.__setattr__
        self.__dict__["cwd"] = cwd  # the field, as given (build_context leaves it to be made)
        set_field(self, "cwd_text", os.fspath(cwd))
        set_field(self, "file", file)
        set_field(self, "output", Output() if output is None else output)
        set_field(self, "overrides", overrides)
        set_field(self, "given_repo", given_repo)

    @cached_property
    def cwd(self) -> Path:
        """The folder the command runs in: as given, or (build_context without `cwd`) made
        from `cwd_text` when first asked for, so `ws snapshot` loads no pathlib (P5)."""
        from pathlib import Path

        return Path(self.cwd_text)

    @cached_property
    def repo(self) -> Repo:
        """The repository containing `cwd` (NotARepoError, exit 2, outside one)."""
        if self.given_repo is not None:
            return self.given_repo
        from gitorch.repo import find_repo

        return find_repo(self.cwd)

    @cached_property
    def settings(self) -> Settings:
        """The effective settings: defaults < user < state branch < git config < env < flags."""
        from gitorch.config import settings

        return settings(self.repo, dict(self.overrides) or None)

    @cached_property
    def store(self) -> StateStore:
        """The state store, with the settings' backend, branch, notes ref and lock timeout."""
        from gitorch.store.state import StateStore

        s = self.settings
        return StateStore(self.repo, backend=s.backend, branch=s.state_branch, notes_ref=s.notes_ref,
                          lock_timeout=float(s.lock_timeout))

    @cached_property
    def plan(self) -> LoadedPlan:
        """The plan named by --file, or the default plan file of the repository."""
        from gitorch.plan.load import load_plan

        return load_plan(self.file, self.repo)

    @property
    def json(self) -> bool:
        return self.output.json

    @property
    def prog(self) -> str:
        return self.output.prog

    def with_file(self, file: str | None) -> Context:
        """The same context for another plan file (the repository and settings are kept)."""
        if file == self.file:
            return self
        kept = self.__dict__.get("repo", self.given_repo)
        return self.replace(file=file, given_repo=kept)


def build_context(
    *,
    cwd: str | os.PathLike[str] | None = None,
    file: str | None = None,
    json: bool = False,
    repo: Repo | None = None,
    overrides: dict[str, Any] | None = None,
    stream: TextIO | None = None,
    environ: dict[str, str] | None = None,
    prog: str | None = None,
) -> Context:
    """The one way to make a Context (the CLI calls it once per command; tests call it too)."""
    env = os.environ if environ is None else environ
    out = stream if stream is not None else sys.stdout
    tty = _isatty(out)
    colour = tty and not json and "NO_COLOR" not in env and env.get("TERM") != "dumb"
    if env.get("FORCE_COLOR") and not json:
        colour = True
    output = Output(json=json, colour=colour, tty=tty, prog=prog or _program_name())
    if cwd is None:
        where: Path | str = os.getcwd()  # Path.cwd() is made from it on first use (P5: no pathlib)
    else:
        from pathlib import Path

        where = Path(cwd)
    ctx = Context(cwd=where, file=file, output=output,
                  overrides=tuple(sorted((overrides or {}).items())), given_repo=repo)
    if cwd is None:
        del ctx.__dict__["cwd"]  # the cached_property makes Path(cwd_text) when first asked for
    return ctx


def _program_name() -> str:
    from gitorch.invocation import name

    return name()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream (CliRunner)
        return False
