"""What the engine and the git hook must compute alike, in one copy (standard library only).

The hook runs under `python -I -S` on a budget of a few milliseconds, so it cannot import the
engine (dataclasses, json, subprocess) or msgspec; the engine cannot use a second copy of the
same rules without the two drifting apart. So both import these: which files a task's `paths`
name (`match_paths`), the digest of the tracked tree a task without paths depends on
(`tree_digest`), and the `observed` event line the hook appends to the journal (the msgspec
encoding of `gitorch.events.Observed`, which a test holds equal).

Imports: nothing at module level (the hook needs only `observed_line` when it reads the watch
index); `bisect` only to match paths, `fnmatch` (which imports `re`) only for a glob,
`hashlib` only for a digest; and not `__future__` either (annotations naming what only mypy
imports are quoted).
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

GLOB = frozenset("*?[")


def norm_pattern(pattern: str) -> str:
    """A `paths` pattern as matched: "" names everything; a literal loses its trailing "/",
    and "/" alone (which names nothing) stays "/"."""
    pat = pattern.strip().removeprefix("./")
    if pat in ("", "."):
        return ""
    return pat if GLOB & set(pat) else pat.rstrip("/") or "/"


def is_glob(pattern: str) -> bool:
    return bool(GLOB & set(pattern))


def match_paths(files: "Sequence[str]", patterns: "Iterable[str]") -> list[str]:
    """The sorted `files` (themselves sorted) named by `patterns`: a file, a directory prefix,
    or a glob (case-sensitive, as git paths are: `fnmatchcase`, on every platform)."""
    from bisect import bisect_left

    out: set[str] = set()
    for raw in patterns:
        pat = norm_pattern(raw)
        if not pat:
            out.update(files)
        elif GLOB & set(pat):
            from fnmatch import fnmatchcase  # imports re: only for globs

            under = pat.rstrip("/") + "/*"
            out.update(f for f in files if fnmatchcase(f, pat) or fnmatchcase(f, under))
        else:
            i = bisect_left(files, pat)
            if i < len(files) and files[i] == pat:
                out.add(pat)
            # Everything under "pat/" sorts between "pat/" and "pat0" ("0" follows "/").
            out.update(files[bisect_left(files, pat + "/"):bisect_left(files, pat + "0")])
    return sorted(out)


def tree_digest(files: "Mapping[str, str]", exclude: "Iterable[str]" = ()) -> str:
    """One digest of the tracked tree (path -> object id) but `exclude`: sha256 over
    `path NUL oid LF`, paths sorted. A task without paths depends on it."""
    import hashlib

    h = hashlib.sha256()
    skip = set(exclude)
    for path in sorted(files):
        if path in skip:
            continue
        h.update(path.encode("utf-8", "surrogateescape") + b"\0" + files[path].encode() + b"\n")
    return h.hexdigest()


def observed_line(trigger: str, drift: bool, findings: list[str], session_id: str,
                  event_id: str, ts: str) -> bytes:
    """An `observed` event as one JSON line, field for field what msgspec writes for
    `gitorch.events.Observed` (defaults omitted, the base's fields last)."""
    return observed_event(trigger, observed_fields(drift, findings), session_id, event_id, ts)


def observed_fields(drift: bool, findings: list[str]) -> str:
    """The `drift` and `findings` of an `observed` event as its line holds them, between the
    trigger and the id ("" when both are defaults): what a kept answer keeps (stalecache.py),
    so that telling it again encodes no findings."""
    from gitorch.hooks import jsonlite

    fields = ['"drift":true'] if drift else []
    if findings:
        fields.append('"findings":' + jsonlite.dumps(findings))
    return ",".join(fields)


def observed_event(trigger: str, fields: str, session_id: str, event_id: str, ts: str) -> bytes:
    """The `observed` event's line around `fields` (what `observed_fields` gives)."""
    from gitorch.hooks.jsonlite import dumps

    head = '{"type":"observed"' + (f',"trigger":{dumps(trigger)}' if trigger else "")
    return (f'{head}{"," if fields else ""}{fields},"id":{dumps(event_id)},"ts":{dumps(ts)},'
            f'"session":{dumps(session_id)}}}\n').encode()
