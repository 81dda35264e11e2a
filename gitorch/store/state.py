"""The state branch as one object: append events, read them back, records, notes.

CONTRACT (shared by engine, workspace, hooks, config, discovery): the method names and
signatures below are what the rest of gitorch calls. The store issue implements them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from gitorch.events import Event
from gitorch.repo import Repo


class StateStore:
    """The state branch (default `orch/state`) and notes ref (default `refs/notes/orch`)."""

    repo: Repo
    branch: str  # short name, e.g. "orch/state"
    notes_ref: str  # full ref, e.g. "refs/notes/orch"

    @classmethod
    def open(cls, repo: Repo | None = None, *, backend: str | None = None) -> StateStore:
        """Open the store of `repo` (default: the current repository), with settings applied."""
        raise NotImplementedError

    # --- the branch ---------------------------------------------------------------
    def exists(self) -> bool:
        """Whether the state branch exists."""
        raise NotImplementedError

    def init(self) -> bool:
        """Create the orphan state branch if missing; True when it was created."""
        raise NotImplementedError

    def tip(self) -> str | None:
        """The commit the state branch points at, or None."""
        raise NotImplementedError

    # --- events -------------------------------------------------------------------
    def append(
        self,
        events: Sequence[Event],
        files: Mapping[str, bytes | None] | None = None,
        message: str | None = None,
    ) -> str:
        """Commit `events` (one new segment) and `files` (path -> bytes, None deletes) in one
        compare-and-swap of the branch, retried on conflict; creates the branch if missing.
        Returns the new commit. Never touches the work tree, the index or HEAD."""
        raise NotImplementedError

    def events(self, *, run: str | None = None, types: Iterable[str] | None = None) -> list[Event]:
        """Every event on the branch (plus a journal not yet folded in), ordered by (ts, id)."""
        raise NotImplementedError

    # --- the local journal (cheap, durable appends between commits) ------------------
    def journal(self, events: Sequence[Event]) -> None:
        """Append to this session's journal under the git dir (fsync'd); not yet on the branch."""
        raise NotImplementedError

    def flush(self, files: Mapping[str, bytes | None] | None = None) -> str | None:
        """Fold every pending journal (any session, live or dead) into one commit, with
        `files`. Idempotent after a crash (events keep their ids). Returns the commit."""
        raise NotImplementedError

    # --- records (files on the branch) ---------------------------------------------
    def read(self, path: str) -> bytes | None:
        """A file on the state branch (e.g. `plans/<digest>.json`, `config.toml`)."""
        raise NotImplementedError

    def list(self, path: str) -> list[str]:
        """Names directly under a directory of the state branch ([] when missing)."""
        raise NotImplementedError

    # --- notes --------------------------------------------------------------------
    def add_note(self, commit: str, text: str) -> None:
        """Attach `text` to `commit` on the notes ref, merged with an existing note."""
        raise NotImplementedError

    def note(self, commit: str) -> str | None:
        raise NotImplementedError

    # --- locks --------------------------------------------------------------------
    def lock(self, name: str, timeout: float | None = None) -> object:
        """A context manager: an exclusive lock `<git common dir>/orch/locks/<name>.lock`,
        waiting up to `timeout` (default: settings.lock_timeout) then raising Busy naming
        the holder; a lock left by a dead process is taken over."""
        raise NotImplementedError

    def scratch(self) -> Path:
        return self.repo.scratch
