"""What the hook last found at each commit HEAD was at, kept in the git dir (stdlib only).

Which tasks are stale, and which runs wait at a gate, depends on nothing but the document
the hook reads from the state branch (the watch index, or watch.json: the commits the tasks
passed at, their paths) and HEAD's commit (its content): a blob id and a commit id, which
name their content for good. Finding the stale tasks after a checkout to another branch
takes a `git diff-tree` (13-20 ms on 10,000 files in 1,000 changed folders) and matching its
files to the tasks; switching back and forth between a few branches asks the same question
again and again. So the hook keeps each answer in `<git common dir>/orch/hook-stale/<HEAD's
commit>`, under the document's blob id: the same HEAD with the same document reads the
answer back without any git process while the state branch has not moved (the kept index
names the document, indexcache.py), with one `cat-file` when it has (a run that changed
nothing, an approval). A run that changes the document makes every kept answer miss (each
is replaced as its HEAD is visited again); at most `MAX_KEPT` are kept.

Replace refs (`git replace`) and grafts can make git read another tree for a commit id: in a
repository that has any, nothing is kept or read here.

Reading them back is kept.py's (a kept answer's path imports neither this module nor `os`);
writing is here.
"""

from gitorch.hooks import jsonlite
from gitorch.hooks.kept import ANSWERS as FOLDER
from gitorch.hooks.kept import FORMAT, usable
from gitorch.hooks.kept import answer_header as _header
from gitorch.hooks.kept import answer_path as _path
from gitorch.hooks.kept import load_answer as load

__all__ = ["FOLDER", "FORMAT", "MAX_KEPT", "load", "put", "save", "usable"]
MAX_KEPT = 32


def save(common: str, doc: str, head: str, stale: dict[str, list[str]],
         awaiting: list[dict[str, str]]) -> None:
    """Keep what was found from the document `doc` (a blob id) with HEAD at `head`, and the
    `observed` event's drift and findings for it as their line holds them; never fails the
    hook."""
    import os

    from gitorch.hooks.observation import Observation
    from gitorch.twins import observed_fields

    path = _path(common, head)
    if path is None or _path(common, doc) is None:
        return
    obs = Observation("")
    obs.stale, obs.awaiting = stale, awaiting
    try:
        body = jsonlite.dumps({"stale": stale, "awaiting": awaiting}).encode("utf-8")
        fields = observed_fields(obs.drift, obs.findings()).encode("utf-8")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        put(path, _header(doc) + body + b"\n" + fields + b"\n")
        _prune(os.path.dirname(path))
    except (OSError, UnicodeError):
        pass


def put(path: str, data: bytes) -> None:
    """Put `data` at `path` whole: written to a temp file beside it, then hard-linked into
    place (a file there before is removed first), so a reader finds a complete file or none.
    For what the hook keeps (these answers, the kept index), never for state.

    Not `gitorch.atomic`: its imports (pathlib, contextlib, and through them re and enum)
    and its two fsyncs cost the hook more than the git call a kept file saves. Nothing here
    is replaced in place and nothing needs to survive a power cut: a file lost or torn by a
    crash fails its reader's checks and is made again from git."""
    import os

    folder = os.path.dirname(path)
    tmp = os.path.join(folder, f".{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
    try:
        try:
            os.link(tmp, path)
        except FileExistsError:  # an answer for another state commit, or a damaged one
            os.unlink(path)
            os.link(tmp, path)
    finally:
        os.unlink(tmp)


def _prune(folder: str) -> None:
    """Remove the least recently written answers beyond `MAX_KEPT`, and temp files a crash
    left (older than a minute)."""
    import os
    import time

    names = os.listdir(folder)
    if len(names) <= MAX_KEPT and not any(n.startswith(".") for n in names):
        return
    aged = []
    for name in names:
        try:
            mtime = os.stat(os.path.join(folder, name)).st_mtime_ns
        except OSError:
            continue
        if not name.startswith("."):
            aged.append((mtime, name))
        elif mtime < time.time_ns() - 60 * 10**9:
            _remove(os.path.join(folder, name))
    for _, name in sorted(aged)[:max(0, len(aged) - MAX_KEPT)]:
        _remove(os.path.join(folder, name))


def _remove(path: str) -> None:
    import os

    try:
        os.unlink(path)
    except OSError:
        pass
