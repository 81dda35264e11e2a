"""Sessions: every writing process has one; `git orch sessions` lists what each recorded."""

from __future__ import annotations

import msgspec

from gitorch import events as ev
from gitorch.store import layout
from gitorch.store.state import StateStore
from gitorch.store.statebranch import lookup


class SessionInfo(msgspec.Struct, kw_only=True):
    session: str
    day: str
    segments: int = 0  # segments on the state branch
    events: int = 0  # events on the branch and in the journal
    pending: int = 0  # events only in the local journal (not flushed yet)
    first: str = ""
    last: str = ""
    runs: list[str] = []


def list_sessions(store: StateStore) -> list[SessionInfo]:
    """Every session with records on the branch or in the local journal, oldest first."""
    infos: dict[str, SessionInfo] = {}

    def info(session: str) -> SessionInfo:
        if session not in infos:
            infos[session] = SessionInfo(session=session, day=layout.session_day(session))
        return infos[session]

    tree = store.state.root_tree()
    dirs: dict[str, str] = {}  # safe directory name -> a session it holds
    if tree is not None:
        sessions = lookup(store.backend, tree, layout.SESSIONS)
        if sessions is not None and sessions.is_tree:
            for path, _entry in store.backend.walk(sessions.oid):
                # <month>/<dd>/<h>/<h>/<session>/<ff>/<segment> (older: <day>/[<hh>/]<session>/…):
                # the session is third from the end
                parts = path.split("/")
                if len(parts) >= 3 and path.endswith(".jsonl"):
                    name = parts[1] if len(parts) == 3 else parts[-3]
                    dirs.setdefault(name, name)
                    info(name).segments += 1
    # a journaled tasks_skipped: pending as the skipped events `events()` gives for it
    pending_ids = {e.id for p in store._journal.live() for e in ev.expanded(p.events)}
    for e in store.events():
        name = e.session or "unknown"
        safe = layout.safe_name(name)
        if safe != name and safe in infos and name not in infos:
            infos[name] = infos.pop(safe)  # the directory name was sanitised
            infos[name].session = name
        i = info(name)
        i.events += 1
        i.pending += e.id in pending_ids
        i.first = min(i.first, e.ts) if i.first else e.ts
        i.last = max(i.last, e.ts)
        if e.run and e.run not in i.runs:
            i.runs.append(e.run)
    return sorted(infos.values(), key=lambda i: (i.first or i.day, i.session))
