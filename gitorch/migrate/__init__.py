"""Legacy state: the seed's files, read in place (dual-read) or imported by `git orch migrate`.

Read-only commands never migrate. They call `legacy_notice(repo)` (the seed's one-time
notice, None when there is nothing to say) and may show `legacy_events(repo)` beside the
state branch's events until the user migrates.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from gitorch.migrate.legacy import exists, scan
from gitorch.migrate.ops import Status, migrate, prepare, status
from gitorch.migrate.removal import remove
from gitorch.migrate.report import Report
from gitorch.migrate.rollback import rollback
from gitorch.repo import Repo

if TYPE_CHECKING:
    from gitorch.events import Event

__all__ = [
    "Report", "Status", "exists", "legacy_events", "legacy_notice", "migrate", "notice_text",
    "prepare", "remove", "rollback", "scan", "show_legacy_notice", "status",
]

NOTICE_FILE = "legacy-notice"  # under Repo.scratch: which legacy set was announced


def notice_text(files: list[str], branch: str, left: list[str] | None = None) -> str:
    """The seed's visual notice box, for gitorch; `left`: what migrate leaves alone, and why."""
    shown = ", ".join(files[:3]) + (", …" if len(files) > 3 else "")
    lines: list[str | None] = [
        "gitorch: legacy orchestrator state found",
        None,
        f"Old: {shown}",
        f"New: the state branch {branch}, inside git",
        *[f"Left alone: {note}" for note in (left or [])],
        "",
        "gitorch reads the old files for now and changes nothing.",
        "Run 'git orch migrate --dry-run' to see what would move,",
        "then 'git orch migrate' to import it in one commit",
        "(legacy files stay until 'git orch migrate --remove-legacy').",
    ]
    width = max(len(line) for line in lines if line is not None) + 2
    out = ["╔" + "═" * width + "╗"]
    for line in lines:
        out.append("╠" + "═" * width + "╣" if line is None else "║ " + line.ljust(width - 1) + "║")
    out.append("╚" + "═" * width + "╝")
    return "\n".join(out)


def legacy_notice(repo: Repo, *, once: bool = True) -> str | None:
    """The one-time notice when legacy state exists and no migration covers it, else None.

    With `once`, a given set of legacy files is announced once per clone (remembered
    under the git directory); cheap when there are no legacy files (a few `lstat`s)."""
    if repo.root is None or not exists(repo.root):
        return None
    from gitorch.config import settings

    s = settings(repo)
    if not s.legacy_notice:
        return None
    st = status(repo)
    if not st.changed or st.migration is not None:
        return None
    key = hashlib.sha256("\n".join(sorted(st.changed)).encode()).hexdigest()
    marker = repo.scratch / NOTICE_FILE
    if once:
        try:
            if marker.read_text().strip() == key:
                return None
        except OSError:
            pass
        marker.write_text(key + "\n")
    return notice_text(st.changed, s.state_branch, st.notes)


def show_legacy_notice(repo: Repo, as_json: bool = False) -> None:
    """For read-only commands: print the one-time notice on stderr when there is one.

    Nothing with `as_json` (a machine reading the output would use up the one time a
    person sees it), and never an error: the notice must not make a read fail."""
    if as_json:
        return
    from gitorch.errors import OrchError

    try:
        text = legacy_notice(repo)
    except (OrchError, OSError):
        return  # `git orch doctor` reports the cause
    if text:
        import sys

        sys.stderr.write(text + "\n")


def legacy_events(repo: Repo) -> list[Event]:
    """Events read from legacy files not yet migrated (dual-read; nothing is written)."""
    if repo.root is None or not exists(repo.root):
        return []
    st = status(repo)
    if st.migration is not None:
        return []
    from gitorch.migrate.convert import convert

    return convert(scan(repo.root)).events
