"""The watch index as the hook last read it, kept in the git directory (standard library only).

Reading `watch-index.json` from the state branch takes a `git cat-file` process, a few
milliseconds of the hook's 25 ms budget, on every checkout, although the index changes only
when a run ends. So the hook keeps the last one it read in `<git common dir>/orch/hook-index`,
under the state branch's commit id, and reads that commit id from the files git keeps (a
loose ref, `packed-refs`): while the state branch stays where it was, no `cat-file` is needed.
A ref it cannot read that way (the reftable format, a symbolic ref) means no cache.

HEAD's commit is read the same way, so a checkout back to the commit the tasks passed at
needs no git call at all.
"""

from __future__ import annotations

import os

from gitorch.hooks import jsonlite

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CACHE_FILE = "hook-index"  # under <git common dir>/orch/
_PACKED_REFS_MAX = 1 << 20  # a bigger packed-refs costs more to scan than cat-file
_HEX = frozenset("0123456789abcdef")


def _oid(text: str) -> str | None:
    text = text.strip()
    return text if len(text) in (40, 64) and set(text) <= _HEX else None


def ref_oid(common: str, ref: str) -> str | None:
    """The commit id `ref` (refs/…) points at, read from the files git keeps; None when
    they do not say (a symbolic ref, reftable, a missing ref)."""
    if os.path.exists(os.path.join(common, "reftable")):
        return None
    try:
        with open(os.path.join(common, ref), encoding="ascii") as fh:
            return _oid(fh.read())
    except FileNotFoundError:
        pass
    except (OSError, ValueError):
        return None
    packed = os.path.join(common, "packed-refs")
    try:
        if os.path.getsize(packed) > _PACKED_REFS_MAX:
            return None
        with open(packed, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    tail = b" " + ref.encode("utf-8", "surrogateescape") + b"\n"
    end = data.find(tail)
    if end < 0:
        return None
    start = data.rfind(b"\n", 0, end) + 1
    return _oid(data[start:end].decode("ascii", "replace"))


def head_commit(gitdir: str, common: str) -> str | None:
    """HEAD's commit id in the worktree whose git dir is `gitdir`, or None when unsure."""
    try:
        with open(os.path.join(gitdir, "HEAD"), encoding="utf-8") as fh:
            text = fh.read().strip()
    except (OSError, ValueError):
        return None
    if text.startswith("ref: refs/heads/"):
        return ref_oid(common, text[5:])
    return _oid(text)


def header(common: str, ref: str, oid: str) -> tuple[str, bytes] | None:
    """(the kept index's own blob id, or "" when the line does not say; its JSON) when the
    index is kept for `ref` at commit `oid`, else None. Nothing is parsed."""
    try:
        with open(os.path.join(common, "orch", CACHE_FILE), "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    line, _, raw = data.partition(b"\n")
    fields = line.split(b" ")
    if fields[:2] != [oid.encode("ascii", "replace"), ref.encode("utf-8", "surrogateescape")]:
        return None
    blob = _oid(fields[3].decode("ascii", "replace")) if len(fields) > 3 else None
    return blob or "", raw


def load(common: str, ref: str, oid: str) -> dict[str, Any] | None:
    """The index kept for `ref` at commit `oid`, or None."""
    kept = header(common, ref, oid)
    return parse(kept[1]) if kept is not None else None


def parse(raw: bytes) -> dict[str, Any] | None:
    """The kept index's JSON as a dict, None when it is not one."""
    try:
        doc = jsonlite.loads(raw.decode("utf-8"))
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def save(common: str, ref: str, oid: str, raw: bytes, commit: str | None = None,
         blob: str | None = None) -> None:
    """Keep `raw` (the index's JSON, blob `blob`) for `ref` at commit `oid`; never fails
    the hook.

    The first line reads `<oid> <ref> <commit> <blob>`, "-" for an unknown one; `commit` is
    the one commit every task passed at: the sh hook reads that line to start `git
    diff-tree` from it, and to see whether an answer is kept for the new HEAD (hook.sh)."""
    from gitorch.hooks.stalecache import put

    folder = os.path.join(common, "orch")
    line = f"{oid} {ref} {_oid(commit or '') or '-'} {_oid(blob or '') or '-'}"
    try:
        os.makedirs(folder, exist_ok=True)
        put(os.path.join(folder, CACHE_FILE), f"{line}\n".encode("utf-8", "surrogateescape") + raw)
    except (OSError, UnicodeError):
        pass
