"""The watch index as the hook last read it, kept in the git directory (standard library only).

Reading `watch-index.json` from the state branch takes a `git cat-file` process, a few
milliseconds of the hook's 25 ms budget, on every checkout, although the index changes only
when a run ends. So the hook keeps the last one it read in `<git common dir>/orch/hook-index`,
under the state branch's commit id, and reads that commit id from the files git keeps (a
loose ref, `packed-refs`): while the state branch stays where it was, no `cat-file` is needed.
A ref it cannot read that way (the reftable format, a symbolic ref) means no cache.

HEAD's commit is read the same way (gitfiles.py), so a checkout back to the commit the tasks
passed at needs no git call at all.

Its first line is read back by kept.py (a kept answer's path imports neither this module
nor `os`); writing and parsing are here.
"""

from gitorch.hooks import gitfiles, jsonlite
from gitorch.hooks.gitfiles import head_commit, ref_oid
from gitorch.hooks.kept import INDEX_FILE as CACHE_FILE
from gitorch.hooks.kept import index_header as header

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["CACHE_FILE", "head_commit", "header", "load", "parse", "ref_oid", "save"]


def load(common: str, ref: str, oid: str) -> "dict[str, Any] | None":
    """The index kept for `ref` at commit `oid`, or None."""
    kept = header(common, ref, oid)
    return parse(kept[1]) if kept is not None else None


def parse(raw: bytes) -> "dict[str, Any] | None":
    """The kept index's JSON as a dict, None when it is not one."""
    try:
        doc = jsonlite.loads(raw.decode("utf-8"))
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def save(common: str, ref: str, oid: str, raw: bytes, commit: "str | None" = None,
         blob: "str | None" = None) -> None:
    """Keep `raw` (the index's JSON, blob `blob`) for `ref` at commit `oid`; never fails
    the hook.

    The first line reads `<oid> <ref> <commit> <blob>`, "-" for an unknown one; `commit` is
    the one commit every task passed at: the sh hook reads that line to start `git
    diff-tree` from it, and to see whether an answer is kept for the new HEAD (hook.sh)."""
    import os

    from gitorch.hooks.stalecache import put

    folder = os.path.join(common, "orch")
    line = f"{oid} {ref} {gitfiles.oid(commit or '') or '-'} {gitfiles.oid(blob or '') or '-'}"
    try:
        os.makedirs(folder, exist_ok=True)
        put(os.path.join(folder, CACHE_FILE), f"{line}\n".encode("utf-8", "surrogateescape") + raw)
    except (OSError, UnicodeError):
        pass
