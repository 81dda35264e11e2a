"""One exception family for everything a user can get wrong.

Each error carries what is wrong, where (file, line, plan path) and its exit code.
Only the CLI turns them into messages; the table of exit codes is docs/cli.md.
"""

from __future__ import annotations

# Exit codes shared by every command (documented in docs/cli.md).
EXIT_OK = 0
EXIT_FAILED = 1  # a task, check or finding failed
EXIT_USAGE = 2  # bad input: plan, manifest, config, flags
EXIT_PAUSED = 3  # a run waits for an approval
EXIT_BUSY = 4  # a lock is held by another process
EXIT_CONFLICT = 5  # state conflict: newer schema, unreadable state, digest mismatch, sync refused
EXIT_INTERNAL = 70  # a bug in gitorch (EX_SOFTWARE)
EXIT_INTERRUPTED = 130  # Ctrl-C


# These classes behave as the dataclasses they were (Location frozen; the errors with
# dataclass equality, repr and keyword or positional fields), written out by hand: every
# command imports this module at start-up, and processing ten dataclasses cost ~5% of
# `git orch status` (tests/test_errors.py holds the behaviour).


class Location:
    """Where a problem is: a file, a line and column when the format gives them, a plan path."""

    __match_args__ = ("file", "line", "column", "path")
    file: str | None
    line: int | None
    column: int | None
    path: str | None  # e.g. tasks[3].dependencies[0]

    def __init__(self, file: str | None = None, line: int | None = None, column: int | None = None,
                 path: str | None = None) -> None:
        set_field = object.__setattr__
        set_field(self, "file", file)
        set_field(self, "line", line)
        set_field(self, "column", column)
        set_field(self, "path", path)

    def _fields(self) -> tuple[str | int | None, ...]:
        return (self.file, self.line, self.column, self.path)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Location)
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return (f"{type(self).__qualname__}(file={self.file!r}, line={self.line!r}, "
                f"column={self.column!r}, path={self.path!r})")

    def __setattr__(self, name: str, value: object) -> None:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            parts.append(where)
        if self.path:
            parts.append(self.path)
        return ": ".join(parts)


class OrchError(Exception):
    """Base of every error gitorch reports to a user."""

    DEFAULT_EXIT = EXIT_USAGE  # a subclass's exit code unless one is given
    __hash__ = None  # type: ignore[assignment]  # as a dataclass with equality: unhashable
    __match_args__: tuple[str, ...] = ("message", "where", "hint", "exit_code")
    message: str
    where: Location | None
    hint: str | None
    exit_code: int

    def __init__(self, message: str, where: Location | None = None, hint: str | None = None,
                 exit_code: int | None = None) -> None:
        self.message = message
        self.where = where
        self.hint = hint
        self.exit_code = self.DEFAULT_EXIT if exit_code is None else exit_code
        super().__init__(self.message)

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__match_args__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, OrchError)
        return self._fields() == other._fields()

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in zip(self.__match_args__, self._fields(),
                                                                     strict=True))
        return f"{type(self).__qualname__}({shown})"

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where and str(self.where) else self.message
        return f"{text}\n  hint: {self.hint}" if self.hint else text

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"error": type(self).__name__, "message": self.message}
        if self.where:
            out.update({k: v for k, v in vars(self.where).items() if v is not None})
        if self.hint:
            out["hint"] = self.hint
        out["exit_code"] = self.exit_code
        return out


class UsageError(OrchError):
    """Bad flags or arguments."""


class PlanError(OrchError):
    """A plan that cannot be used; `problems` lists every located problem found at once."""

    __match_args__ = ("message", "where", "hint", "exit_code", "problems")
    problems: list[OrchError]

    def __init__(self, message: str, where: Location | None = None, hint: str | None = None,
                 exit_code: int | None = None, problems: list[OrchError] | None = None) -> None:
        super().__init__(message, where, hint, exit_code)
        self.problems = [] if problems is None else problems

    def __str__(self) -> str:
        if not self.problems:
            return super().__str__()
        return "\n".join(str(p) for p in self.problems)

    def to_json(self) -> dict[str, object]:
        out = super().to_json()
        out["problems"] = [p.to_json() for p in self.problems]
        return out


class NotARepoError(OrchError):
    """Not inside a git repository (or the repository cannot be used as asked)."""


class CheckFailed(OrchError):
    """A task, acceptance check or doctor finding failed."""

    DEFAULT_EXIT = EXIT_FAILED


class Paused(OrchError):
    """A run stopped at an approval gate."""

    DEFAULT_EXIT = EXIT_PAUSED


class Busy(OrchError):
    """A lock is held by another live process."""

    DEFAULT_EXIT = EXIT_BUSY


class StateConflict(OrchError):
    """Stored state that must not be touched: a newer schema, unreadable records, a mismatch."""

    DEFAULT_EXIT = EXIT_CONFLICT


class ConfigError(OrchError):
    """A configuration file or key that cannot be used."""


class WorkspaceError(OrchError):
    """A workspace manifest, plan or repo that cannot be used."""


class GitError(OrchError):
    """A git command failed in a way the user must see."""

    DEFAULT_EXIT = EXIT_FAILED


class DiscoveryError(OrchError):
    """A forge or package index could not be read: unreachable, rate limited, bad answers."""

    DEFAULT_EXIT = EXIT_FAILED
