"""One exception family for everything a user can get wrong.

Each error carries what is wrong, where (file, line, plan path) and its exit code.
Only the CLI turns them into messages; the table of exit codes is docs/cli.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Exit codes shared by every command (documented in docs/cli.md).
EXIT_OK = 0
EXIT_FAILED = 1  # a task, check or finding failed
EXIT_USAGE = 2  # bad input: plan, manifest, config, flags
EXIT_PAUSED = 3  # a run waits for an approval
EXIT_BUSY = 4  # a lock is held by another process
EXIT_CONFLICT = 5  # state conflict: newer schema, unreadable state, digest mismatch, sync refused
EXIT_INTERNAL = 70  # a bug in gitorch (EX_SOFTWARE)
EXIT_INTERRUPTED = 130  # Ctrl-C


@dataclass(frozen=True)
class Location:
    """Where a problem is: a file, a line and column when the format gives them, a plan path."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None  # e.g. tasks[3].dependencies[0]

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


@dataclass
class OrchError(Exception):
    """Base of every error gitorch reports to a user."""

    message: str
    where: Location | None = None
    hint: str | None = None
    exit_code: int = EXIT_USAGE

    def __post_init__(self) -> None:
        super().__init__(self.message)

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


@dataclass
class PlanError(OrchError):
    """A plan that cannot be used; `problems` lists every located problem found at once."""

    problems: list[OrchError] = field(default_factory=list)

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


@dataclass
class CheckFailed(OrchError):
    """A task, acceptance check or doctor finding failed."""

    exit_code: int = EXIT_FAILED


@dataclass
class Paused(OrchError):
    """A run stopped at an approval gate."""

    exit_code: int = EXIT_PAUSED


@dataclass
class Busy(OrchError):
    """A lock is held by another live process."""

    exit_code: int = EXIT_BUSY


@dataclass
class StateConflict(OrchError):
    """Stored state that must not be touched: a newer schema, unreadable records, a mismatch."""

    exit_code: int = EXIT_CONFLICT


class ConfigError(OrchError):
    """A configuration file or key that cannot be used."""


class WorkspaceError(OrchError):
    """A workspace manifest, plan or repo that cannot be used."""


@dataclass
class GitError(OrchError):
    """A git command failed in a way the user must see."""

    exit_code: int = EXIT_FAILED


@dataclass
class DiscoveryError(OrchError):
    """A forge or package index could not be read: unreachable, rate limited, bad answers."""

    exit_code: int = EXIT_FAILED
