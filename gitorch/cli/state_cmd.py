"""`git orch init|sync|export|import|events|sessions|state log`: the git-native state."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from gitorch.events import Event
    from gitorch.store.state import StateStore

state_app = typer.Typer(
    name="state", help="Read the state branch (its commits).", no_args_is_help=True,
    rich_markup_mode=None,
)
JSON_OPT = typer.Option(False, "--json", help="Machine-readable output.")


def _store() -> StateStore:
    """The state store of this command's Context (its repository, settings and backend)."""
    from gitorch.context import build_context

    return build_context().store


def _warn_problems(store: StateStore, as_json: bool) -> None:
    from gitorch.cli.output import warn

    if not as_json:
        for problem in store.problems:
            warn(f"git orch: warning: {problem}")


def _legacy_notice(store: StateStore, as_json: bool) -> None:
    from gitorch.migrate import show_legacy_notice

    show_legacy_notice(store.repo, as_json)


def _with_legacy(store: StateStore, found: list[Event], run: str | None,
                 types: list[str] | None) -> list[Event]:
    """Dual-read: the events of legacy files not yet migrated, beside the branch's."""
    from gitorch.events import type_of
    from gitorch.migrate import exists, legacy_events

    if store.repo.root is None or not exists(store.repo.root):
        return found
    extra = [e for e in legacy_events(store.repo)
             if (run is None or e.run == run)
             and (not types or type_of(e) in types)]
    if not extra:
        return found
    seen = {e.id for e in found}
    merged = found + [e for e in extra if e.id not in seen]
    return sorted(merged, key=lambda e: (e.ts, e.id))


def init_cmd(
    portable: bool | None = typer.Option(
        None, "--portable/--no-portable",
        help="Also make git push/fetch carry the state (default: on in an ephemeral environment).",
    ),
    template: str | None = typer.Option(None, "--template", help="Start from a template (path or URL)."),
    remote: str | None = typer.Option(None, "--remote", help="Remote for --portable (default: all; "
                                      "implies --portable)."),
    as_json: bool = JSON_OPT,
) -> None:
    """Create the orphan state branch (and, with --portable, the remote refspecs)."""
    from gitorch.cli.output import emit_json, say
    from gitorch.ephemeral import detect
    from gitorch.store.portable import configure_portable

    # On a machine that goes away (Codespaces, a web agent session), state that stays
    # local is lost with it: default to portable state and say how to push it.
    ephemeral = detect()
    if remote is not None and portable is False:
        from gitorch.errors import UsageError

        raise UsageError("--remote names the remote for --portable; it cannot go with --no-portable")
    if portable is None:
        portable = remote is not None or ephemeral is not None
    with _store() as store:
        # The template first: a mistyped one then changes nothing (no branch, no refspecs).
        applied = _apply_template(store, template) if template else None
        created = store.init()
        configured = configure_portable(store, remote) if portable else []
        if as_json:
            emit_json({"branch": store.branch, "created": created, "tip": store.tip(),
                       "notes_ref": store.notes_ref, "portable": configured,
                       "template": applied, "backend": store.backend_name,
                       "ephemeral": ephemeral})
            return
        say(f"{'created' if created else 'already there:'} state branch {store.branch} "
            f"({(store.tip() or '')[:12]}, backend {store.backend_name})")
        for line in configured:
            say(f"configured {line}")
        if ephemeral is not None and portable:
            say(f"ephemeral environment ({ephemeral}): state is portable; run `git orch sync` "
                "to push it before this machine goes away")
        if applied:
            say(f"wrote {applied} from template {template}")


def _apply_template(store: StateStore, template: str) -> str:
    from gitorch.templates import apply_template

    return str(apply_template(store.repo, template))


def sync_cmd(
    remote: str | None = typer.Argument(
        None, metavar="[REMOTE]", help="Remote to sync with (default: the only one, or origin)."
    ),
    no_push: bool = typer.Option(False, "--no-push", help="Fetch and merge only."),
    as_json: bool = JSON_OPT,
) -> None:
    """Fetch, merge (union) and push the state branch and notes."""
    from gitorch.cli.output import emit_json, say
    from gitorch.store.sync import sync

    with _store() as store:
        result = sync(store, remote, push=not no_push)
        m = result.merge
        if as_json:
            emit_json({"remote": result.remote, "state": m.state, "notes": m.notes, "added": m.added,
                       "conflicts": m.conflicts, "pushed": result.pushed, "attempts": result.attempts,
                       "runs_fetched": result.runs_fetched, "runs_pushed": result.runs_pushed,
                       "tip": store.tip()})
            return
        say(f"synced with {result.remote}: {_sync_words(result, no_push)}")
        for path in m.conflicts:
            say(f"  kept ours: {path} (changed on both sides)")


def _sync_words(result: Any, no_push: bool) -> str:
    """What a sync did, in words: `fetched 2 runs, pushed 3 runs`, `already in sync`."""
    m, words = result.merge, []
    if result.runs_fetched:
        words.append(f"fetched {_count(result.runs_fetched, 'run')}")
    elif m.state not in ("up to date",):
        words.append(f"state {m.state} ({_count(m.added, 'new file')})")
    if m.notes not in ("up to date",):
        words.append(f"notes {m.notes}")
    if result.runs_pushed:
        words.append(f"pushed {_count(result.runs_pushed, 'run')}")
    elif result.pushed:
        words.append("pushed the state")
    elif no_push:
        words.append("not pushed (--no-push)")
    return ", ".join(words) or "already in sync, nothing to fetch or push"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def export_cmd(
    output: Path | None = typer.Option(None, "-o", "--output", help="Tarball to write (.tar.gz)."),
    encrypt: bool = typer.Option(False, "--encrypt", help="Encrypt with gpg (AES256); passphrase from "
                                 "GITORCH_EXPORT_PASSPHRASE or a prompt."),
    as_json: bool = JSON_OPT,
) -> None:
    """Write the state branch and notes to a tarball (for sessions that cannot push)."""
    import msgspec

    from gitorch.cli.output import emit_json, say
    from gitorch.store.archive import default_name, export, terminal_prompt

    with _store() as store:
        out = output or Path(default_name(store))
        meta = export(store, out, encrypt=encrypt, ask=terminal_prompt())
        if as_json:
            emit_json({"file": str(out), **msgspec.to_builtins(meta)})
            return
        tip = (meta.state_tip or "")[:12]
        say(f"exported {_count(meta.events, 'event')} ({store.branch} {tip}) to {out}")


def import_cmd(
    file: Path = typer.Argument(..., metavar="FILE.tar.gz", help="A tarball written by `git orch export`."),
    force: bool = typer.Option(False, "--force", help="Merge an export of another repository too."),
    as_json: bool = JSON_OPT,
) -> None:
    """Merge the state in a tarball into this repository's state (never clobbers)."""
    import msgspec

    from gitorch.cli.output import emit_json, say
    from gitorch.store.archive import import_, terminal_prompt

    with _store() as store:
        meta, m = import_(store, file, force=force, ask=terminal_prompt())
        if as_json:
            emit_json({"file": str(file), "state": m.state, "notes": m.notes, "added": m.added,
                       "conflicts": m.conflicts, "metadata": msgspec.to_builtins(meta)})
            return
        say(f"imported {file} (exported {meta.exported} from {meta.repo}, gitorch {meta.gitorch}): "
            f"state {m.state} (+{_count(m.added, 'file')}), notes {m.notes}")
        for path in m.conflicts:
            say(f"  kept ours: {path} (differs in the import)")


def events_cmd(
    run: str | None = typer.Option(None, "--run", help="Only events of this run."),
    types: list[str] | None = typer.Option(None, "--type", help="Only events of this type (repeatable)."),
    as_json: bool = JSON_OPT,
) -> None:
    """Print the recorded events (JSONL with --json), oldest first."""
    from gitorch.cli.output import emit_jsonl, say
    from gitorch.events import type_of

    _check_types(types or [])
    with _store() as store:
        found = _with_legacy(store, store.events(run=run, types=types or None), run, types)
        _warn_problems(store, as_json)
        _legacy_notice(store, as_json)
        if as_json:
            emit_jsonl(found)
            return
        for e in found:
            tag = type_of(e)
            where = "/".join(x for x in (e.run, e.task, e.shard) if x)
            say(f"{e.ts}  {tag:<18} {where}")


def _check_types(types: list[str]) -> None:
    """An unknown --type can never match: say so rather than print nothing."""
    from gitorch.errors import UsageError
    from gitorch.events import EVENT_TYPES

    known = sorted(EVENT_TYPES)
    for t in types:
        if t not in known:
            import difflib

            near = difflib.get_close_matches(t, known, n=1)
            raise UsageError(f"unknown event type {t!r} (--type)",
                             hint=f"did you mean `{near[0]}`?" if near else "known: " + ", ".join(known))


def sessions_cmd(as_json: bool = JSON_OPT) -> None:
    """List the sessions that wrote state, with their event counts and runs."""
    from gitorch.cli.output import emit_json, say
    from gitorch.store.sessions import list_sessions

    with _store() as store:
        infos = list_sessions(store)
        _warn_problems(store, as_json)
        if as_json:
            emit_json(infos)
            return
        if not infos:
            say("no sessions yet")
        for i in infos:
            pending = f", {i.pending} not flushed" if i.pending else ""
            runs = f", runs {', '.join(i.runs[:3])}" + (" …" if len(i.runs) > 3 else "") if i.runs else ""
            say(f"{i.session}  {i.first or i.day}  {_count(i.events, 'event')} in "
                f"{_count(i.segments, 'segment')}{pending}{runs}")


@state_app.command("log")
def log_cmd(
    limit: int | None = typer.Option(None, "-n", "--max-count", min=0, help="Show at most N commits."),
    as_json: bool = JSON_OPT,
) -> None:
    """The commits of the state branch, newest first."""
    from gitorch.cli.output import emit_json, say

    with _store() as store:
        commits = store.log(limit)
        _legacy_notice(store, as_json)
        if as_json:
            emit_json([{"commit": c.oid, "parents": list(c.parents), "message": c.message.strip()}
                       for c in commits])
            return
        if not commits and not store.exists():
            say(f"no state branch ({store.branch}) yet")
        for c in commits:
            say(f"{c.oid[:12]} {c.message.strip().splitlines()[0] if c.message.strip() else ''}")


def register(app: typer.Typer) -> None:
    """Add this group's commands to the root app."""
    app.command("init")(init_cmd)
    app.command("sync")(sync_cmd)
    app.command("export")(export_cmd)
    app.command("import")(import_cmd)
    app.command("events")(events_cmd)
    app.command("sessions")(sessions_cmd)
    app.add_typer(state_app, name="state")
