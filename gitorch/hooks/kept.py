"""A checkout to a commit the hook has seen before: the answer kept for it, told and recorded
from files alone, before the observation's own modules are imported.

Switching between a few branches is what the hook sees most, and its answer for a HEAD
commit seen before is kept (stalecache.py) under the watch document the state branch holds,
which the kept index's first line names (indexcache.py). Reading those back takes a few
files, but the full observation (observe.py, watchindex.py, gitcmd.py) costs the hook's
process about 3 ms to import, and `os` 2 ms more, beside an interpreter start of 11-16 ms
on a budget of 25. So this path reads through gitfiles.py (no `os`), answers exactly when
the full observation would answer from the same kept files, and says None otherwise (then
run.py observes as before, asking git where it must).
"""

from gitorch.hooks import gitfiles, jsonlite
from gitorch.hooks.observation import Observation

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

WORKSPACE_MANIFEST = "workspace.toml"  # observe.WORKSPACE_MANIFEST: the workspace check runs there
DEFAULT_NAME = "git orch"  # invocation.DEFAULT
INDEX_FILE = "hook-index"  # the kept index, under <git common dir>/orch/ (indexcache.py)
ANSWERS = "hook-stale"  # the kept answers' folder, under <git common dir>/orch/ (stalecache.py)
FORMAT = "gitorch-hook-stale 3"  # a kept answer's first line's start; another format is never read


def told(common: str, root: str, branch: str, trigger: str) -> "list[str] | None":
    """The lines to print for the kept answer at HEAD, recorded as the full observation
    records it; None when no answer is kept for HEAD and the document the state branch holds
    now, or when the observation does more than the kept answer says (a workspace)."""
    hit = _lookup(common, root, branch)
    if hit is None:
        return None
    lines = _observation(hit, trigger).notices(_name())
    from gitorch.hooks.record import record_fields

    try:  # the event's drift and findings as kept: nothing to list or encode again
        record_fields(common, trigger, hit["fields"])
    except OSError as exc:  # a read-only git directory: still tell what was seen
        lines.append(f"orch: could not record this observation ({exc.strerror or exc})")
    return lines


def answer(common: str, root: str, branch: str, trigger: str) -> "Observation | None":
    """The observation the kept files give for `root` (a work tree whose git dir is
    `common`, its own `.git` folder), or None."""
    hit = _lookup(common, root, branch)
    return _observation(hit, trigger) if hit is not None else None


def _lookup(common: str, root: str, branch: str) -> "dict[str, Any] | None":
    if gitfiles.exists(gitfiles.join(root, WORKSPACE_MANIFEST)):
        return None
    ref = branch if branch.startswith("refs/") else f"refs/heads/{branch}"
    state = gitfiles.ref_oid(common, ref)
    head = gitfiles.head_commit(common, common) if state else None
    if not state or not head or not usable(common):
        return None
    kept = index_header(common, ref, state)
    return load_answer(common, kept[0], head) if kept and kept[0] else None


def _observation(hit: "dict[str, Any]", trigger: str) -> Observation:
    obs = Observation(trigger)
    obs.has_state, obs.stale, obs.awaiting = True, hit["stale"], hit["awaiting"]
    return obs


def _name() -> "str | None":
    """How the user runs gitorch, where that is sure without importing `invocation` (which
    imports os): a hook not installed from orch.pyz, not started as `python -m gitorch`;
    None otherwise (then `invocation.name()` says, as for every other line)."""
    import sys

    argv = getattr(sys, "orig_argv", None) or []
    if gitfiles.getenv("GITORCH_ZIPAPP") or argv[1:3] == ["-m", "gitorch"]:
        return None
    return DEFAULT_NAME


# --- what the hook keeps in the git dir, read back (written by indexcache.py, stalecache.py) ---

def index_header(common: str, ref: str, oid: str) -> "tuple[str, bytes] | None":
    """(the kept index's own blob id, or "" when the line does not say; its JSON) when the
    index is kept for `ref` at commit `oid`, else None. Nothing is parsed."""
    try:
        data = gitfiles.read(gitfiles.join(common, "orch", INDEX_FILE))
    except OSError:
        return None
    line, _, raw = data.partition(b"\n")
    fields = line.split(b" ")
    if fields[:2] != [oid.encode("ascii", "replace"), ref.encode("utf-8", "surrogateescape")]:
        return None
    blob = gitfiles.oid(fields[3].decode("ascii", "replace")) if len(fields) > 3 else None
    return blob or "", raw


def answer_path(common: str, head: str) -> "str | None":
    """Where the answer for HEAD at commit `head` is kept; None when `head` is no object id."""
    if gitfiles.oid(head) != head:
        return None
    return gitfiles.join(common, "orch", ANSWERS, head)


def answer_header(doc: str) -> bytes:
    """A kept answer's first line: the format, and the blob id of the document it is from."""
    return f"{FORMAT} {doc}\n".encode("ascii")


def usable(common: str) -> bool:
    """Whether commit ids name their trees for good here: no replace refs, no grafts."""
    if gitfiles.exists(gitfiles.join(common, "info", "grafts")) or gitfiles.getenv(
            "GIT_REPLACE_REF_BASE"):
        return False
    try:
        if gitfiles.listdir(gitfiles.join(common, "refs", "replace")):
            return False
    except FileNotFoundError:
        pass
    except OSError:
        return False
    try:
        return b" refs/replace/" not in gitfiles.read(gitfiles.join(common, "packed-refs"))
    except FileNotFoundError:
        return True
    except OSError:
        return False


def load_answer(common: str, doc: str, head: str) -> "dict[str, Any] | None":
    """{"stale": {task: [paths]}, "awaiting": [{run, task, gate}], "fields": the event's
    drift and findings as its line holds them} as found from the document whose blob id is
    `doc` with HEAD at commit `head`; None when none is kept."""
    path = answer_path(common, head)
    if path is None or answer_path(common, doc) is None:
        return None
    try:
        data = gitfiles.read(path)
    except OSError:
        return None
    header = answer_header(doc)
    body, _, fields = data[len(header):].partition(b"\n")
    if not data.startswith(header) or not fields.endswith(b"\n") or b"\n" in fields[:-1]:
        return None  # another format, or torn
    try:
        found = jsonlite.loads(body.decode("utf-8"))
        kept_fields = fields[:-1].decode("utf-8")
    except ValueError:
        return None
    if (not isinstance(found, dict) or not isinstance(found.get("stale"), dict)
            or not isinstance(found.get("awaiting"), list)):
        return None
    found["fields"] = kept_fields
    return found
