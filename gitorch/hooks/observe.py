"""Observation: what changed since gitorch last looked, in a few git calls (stdlib only).

The git hooks run this in a process started with `python -I -S`, so it imports only the
standard library modules that Python loads anyway, and `gitorch.gitcmd`: never msgspec,
typer, pygit2 or httpx (50-85 ms each), nor json, re or subprocess (about 25 ms together,
on a budget of 40 ms; docs/hooks.md).

What it compares: `watch.json` on the state branch, which the engine writes at the end of
every run (each task's input paths and the git object id of every input file at its last
pass, and the gates runs wait at), with the tree HEAD now points at. The hook looks at
committed content, since a checkout, merge or rewrite changes exactly that; `git orch
explain` also counts uncommitted edits. Workspace drift comes from
`gitorch.workspace.observe.quick_drift` when the repository has a `workspace.toml`.
"""

from __future__ import annotations

import os

from gitorch.gitcmd import clean_env, git_quick
from gitorch.hooks import indexcache, jsonlite, stalecache
from gitorch.hooks.observation import Observation
from gitorch.hooks.watchindex import INDEX_FILE, INDEX_SCHEMA_VERSION, stale_from_index
from gitorch.twins import GLOB as _GLOB
from gitorch.twins import match_paths, tree_digest
from gitorch.twins import norm_pattern as _norm

# `typing` and `collections.abc` cost the hook ~5 ms; mypy still reads the block below.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Any

    ListFiles = Callable[[Sequence[str] | None], dict[str, str]]

WATCH_FILE = "watch.json"
WATCH_SCHEMA_VERSION = 1
WORKSPACE_MANIFEST = "workspace.toml"


def observe(
    root: str, *, branch: str, trigger: str, env: Mapping[str, str] | None = None,
    common: str | None = None,
) -> Observation:
    """Compare the state branch's watch index (else `watch.json`) with HEAD in `root`, and
    the workspace with its manifest. `env` adds git variables that locate this repository
    (the hook's own). `common`, the git common dir, lets the index be kept there between
    observations (indexcache.py)."""
    obs = Observation(trigger)
    _observe_state(obs, root, branch, env, common)
    if os.path.isfile(os.path.join(root, WORKSPACE_MANIFEST)):
        obs.workspace, problem = workspace_drift(root)
        if problem:
            obs.problems.append(problem)
    return obs


def _observe_state(
    obs: Observation, root: str, branch: str, env: Mapping[str, str] | None, common: str | None,
) -> None:
    ref = _ref(branch)
    state, head = _commits(common, root, ref) if common else (None, None)
    # the answers kept per HEAD commit and document (stalecache.py) need both read from files
    keep = (common or "") if head and stalecache.usable(common or "") else ""
    kept = indexcache.header(common, ref, state) if common and state else None
    kept = kept if kept and kept[0] else None  # one kept before it named its blob: read again
    if keep and head and kept and _answered(obs, keep, kept[0], head):
        return  # the state branch has not moved: the kept index names the document
    doc = _observe_watch(obs, root, branch, env, common, (state, head), kept, keep)
    if doc and keep and head:
        stalecache.save(keep, doc, head, obs.stale, obs.awaiting)


def _answered(obs: Observation, common: str, doc: str, head: str) -> bool:
    """Whether an answer is kept for the document `doc` at HEAD `head` (then in `obs`)."""
    hit = stalecache.load(common, doc, head)
    if hit is not None:
        obs.has_state, obs.stale, obs.awaiting = True, hit["stale"], hit["awaiting"]
    return hit is not None


def _observe_watch(
    obs: Observation, root: str, branch: str, env: Mapping[str, str] | None, common: str | None,
    at: tuple[str | None, str | None], kept: tuple[str, bytes] | None, keep: str,
) -> str | None:
    """Fill `obs` from the state branch: the blob id of the document the answer came from
    when it is whole and worth keeping, else None (also when it was read back, from `keep`).
    `at`: the state branch's and HEAD's commits when the files git keeps say (every git
    call then reads HEAD as that commit); `kept`: the kept index for that state commit."""
    head = at[1]
    watch: dict[str, Any] | None
    doc: str | None = None
    try:
        index = indexcache.parse(kept[1]) if kept is not None else None
        if index is not None:  # the state branch has not moved since the index was kept
            watch, name, obs.has_state, doc = index, INDEX_FILE, True, kept[0] if kept else None
            stale = _from_index(watch, root, env, "", head or "")
        else:
            obs.has_state, watch, name, head_tree, doc = read_watch(
                root, branch, env, index=True, keep=common, at=at)
            if keep and doc and head and _answered(obs, keep, doc, head):
                return None  # the state branch moved, the document did not
            stale = (_from_index(watch, root, env, head_tree, head)
                     if name == INDEX_FILE else None)
        if name == INDEX_FILE and stale is None:  # the index cannot tell: watch.json, not kept
            _, watch, name, _, doc = read_watch(root, branch, env, index=False, at=at)
            doc = None
    except ValueError as exc:
        obs.has_state, watch, stale = True, None, None
        obs.problems.append(f"{WATCH_FILE} on {branch} is unreadable ({exc})")
    if watch is None or not _version_ok(obs, watch, name, branch):
        return None
    if stale is not None:
        obs.stale = stale
    else:
        tasks = watch.get("tasks") or {}
        if isinstance(tasks, dict) and tasks:
            rev = head or "HEAD"
            obs.stale = stale_tasks(tasks, lambda specs: head_files(root, specs, env, rev))
    awaiting = watch.get("awaiting") or []
    # an entry that does not name its run and gate as text says nothing worth a line
    obs.awaiting = [
        {k: a[k] for k in ("run", "task", "gate") if isinstance(a.get(k), str)}
        for a in (awaiting if isinstance(awaiting, list) else [])
        if isinstance(a, dict) and isinstance(a.get("run"), str) and isinstance(a.get("gate"), str)
    ]
    return doc if not obs.problems else None


def _commits(common: str | None, root: str, ref: str) -> tuple[str | None, str | None]:
    """(the state branch's commit, HEAD's commit) as the files git keeps say, each None
    when they do not (HEAD only for a work tree with its own `.git` folder)."""
    if not common:
        return None, None
    state = indexcache.ref_oid(common, ref)
    dotgit = os.path.join(root, ".git")
    head = indexcache.head_commit(dotgit, common) if state and os.path.isdir(dotgit) else None
    return state, head


def _from_index(
    index: dict[str, Any] | None, root: str, env: Mapping[str, str] | None, head_tree: str,
    head_commit: str | None = None,
) -> dict[str, list[str]] | None:
    """The stale tasks by the watch index, None when it cannot tell (then watch.json)."""
    if index is None or index.get("schema_version") != INDEX_SCHEMA_VERSION:
        return None  # an index of another schema: watch.json (its version is checked there)
    try:
        return stale_from_index(index, root, env, head_tree=head_tree or None,
                                head_commit=head_commit)
    except (ValueError, TypeError, IndexError, AttributeError, KeyError):
        return None  # a malformed index: watch.json says the same, slower


def _version_ok(obs: Observation, doc: dict[str, Any], name: str, branch: str) -> bool:
    version = doc.get("schema_version", WATCH_SCHEMA_VERSION)
    if not isinstance(version, int) or isinstance(version, bool):
        obs.problems.append(f"{name} on {branch} is unreadable "
                            f"(schema_version {version!r} is not a number)")
        return False
    if version > WATCH_SCHEMA_VERSION and name == WATCH_FILE:
        obs.problems.append(f"{WATCH_FILE} was written by a newer gitorch (schema {version}); "
                            "upgrade gitorch to see drift")
        return False
    return True


def _ref(branch: str) -> str:
    return branch if branch.startswith("refs/") else f"refs/heads/{branch}"


def read_watch(
    root: str, branch: str, env: Mapping[str, str] | None = None, *, index: bool = False,
    keep: str | None = None, at: tuple[str | None, str | None] = (None, None),
) -> tuple[bool, dict[str, Any] | None, str, str, str | None]:
    """(whether the state branch exists, the document, its name, HEAD's root tree or "",
    the document's blob id):
    the watch index when `index` and the branch has one (read with HEAD's commit, in the
    same git call), else `watch.json` (None when missing). ValueError when the document is
    not a JSON object. `keep`: the git common dir to keep the index in (indexcache.py);
    `at`: the state branch's and HEAD's commits where known (read instead of the names)."""
    ref = _ref(branch)
    state, head = at
    spec = state or ref
    exists, head_tree = False, ""
    for name in [INDEX_FILE, WATCH_FILE] if index else [WATCH_FILE]:
        first = not exists
        query = f"{spec}\n{spec}:{name}\n" + (f"{head or 'HEAD'}\n" if name == INDEX_FILE else "")
        _, out = git_quick(["cat-file", "--batch"], root, input=query.encode(), env=env)
        objects = _split_batch(out)
        if first:
            exists = len(objects) > 0 and objects[0] is not None
            if not exists:
                return False, None, WATCH_FILE, "", None
        if name == INDEX_FILE and len(objects) > 2 and objects[2] is not None:
            line = objects[2].split(b"\n", 1)[0].split()  # a commit starts `tree <oid>`
            head_tree = line[1].decode() if len(line) == 2 and line[0] == b"tree" else ""
        raw = objects[1] if len(objects) > 1 else None
        if raw is None:
            continue
        blob = _blob_id(out, 1)
        if blob is None:
            raise ValueError("not a file")
        doc = jsonlite.loads(raw.decode("utf-8"))
        if not isinstance(doc, dict):
            raise ValueError(f"a JSON {type(doc).__name__}, not an object")
        if keep and name == INDEX_FILE:  # the first object is the state branch's commit
            commits = doc.get("commits")
            indexcache.save(keep, ref, out.split(b" ", 1)[0].decode("ascii", "replace"), raw,
                            commits[0] if isinstance(commits, list) and len(commits) == 1
                            and isinstance(commits[0], str) else None, blob)
        return exists, doc, name, head_tree, blob
    return exists, None, WATCH_FILE, head_tree, None


def _blob_id(out: bytes, n: int) -> str | None:
    """The id of the `n`th object `git cat-file --batch` printed in `out` when it is a
    blob, else None."""
    pos = 0
    for i in range(n + 1):
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        found = len(header) == 3 and header[2].isdigit()
        if i == n:
            return header[0].decode("ascii", "replace") if found and header[1] == b"blob" else None
        pos = end + 1 + (int(header[2]) + 1 if found else 0)
    return None


def _split_batch(out: bytes) -> list[bytes | None]:
    """The objects `git cat-file --batch` printed, None for each one it reported missing."""
    objects: list[bytes | None] = []
    pos = 0
    while pos < len(out):
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        if len(header) == 3 and header[2].isdigit():
            size = int(header[2])
            objects.append(out[end + 1:end + 1 + size])
            pos = end + 1 + size + 1
        else:  # "<name> missing" / "ambiguous"
            objects.append(None)
            pos = end + 1
    return objects


def head_files(
    root: str, specs: Sequence[str] | None, env: Mapping[str, str] | None = None,
    rev: str = "HEAD",
) -> dict[str, str]:
    """path -> object id of the files HEAD (or `rev`) holds under `specs` (every file when
    None)."""
    args = ["--literal-pathspecs", "ls-tree", "-r", "-z", rev]
    if specs is not None:
        args += ["--", *specs]
    return _parse_tree(*git_quick(args, root, env=env))


def _parse_tree(status: int, out: bytes) -> dict[str, str]:
    """path -> oid from `git ls-tree -r -z` output ({} when it failed: no commit yet)."""
    files: dict[str, str] = {}
    if status != 0:
        return files
    for rec in out.split(b"\0"):
        meta, _, path = rec.partition(b"\t")
        if path:
            files[path.decode("utf-8", "surrogateescape")] = meta.rsplit(b" ", 1)[-1].decode()
    return files


def stale_tasks(
    tasks: Mapping[str, Any], list_files: ListFiles,
) -> dict[str, list[str]]:
    """task -> its input files that differ from their last pass (added, changed or removed).

    `list_files(specs)` returns path -> oid for the literal path prefixes `specs`, or for
    every file when `specs` is None (needed for globs and for tasks without paths).
    """
    entries = {str(tid): t for tid, t in tasks.items() if isinstance(t, dict)}
    patterns = {_norm(p) for t in entries.values() for p in _patterns(t)}
    # Literal pathspecs narrow the listing; anything else (globs, the whole tree, a path
    # git would refuse, like "/x" or "../x") lists every file and matches here.
    whole = any(not _patterns(t) for t in entries.values()) or any(
        not p or _GLOB & set(p) or p.startswith("/") or ".." in p.split("/") for p in patterns)
    current: dict[str, str] = list_files(None if whole else sorted(patterns))
    files = sorted(current)
    out: dict[str, list[str]] = {}
    for tid, t in entries.items():
        pats = _patterns(t)
        if not pats:
            skip = t.get("exclude")
            if "tree" in t and t["tree"] != tree_digest(current, skip if isinstance(skip, list) else ()):
                out[tid] = ["(the tracked tree)"]
            continue
        recorded = t.get("oids")
        old: Mapping[str, str] = recorded if isinstance(recorded, dict) else {}
        now = {p: current[p] for p in match_paths(files, pats)}
        if now != old:
            out[tid] = sorted(p for p in old.keys() | now.keys() if old.get(p) != now.get(p))
    return out


def _patterns(task: Mapping[str, Any]) -> list[str]:
    paths = task.get("paths") or []
    return [str(p) for p in paths] if isinstance(paths, list) else []


def workspace_drift(root: str) -> tuple[list[str], str | None]:
    """(drift lines, a problem or None) from the workspace's quick check; a missing or
    broken workspace module never breaks the observation."""
    # The check reads other repositories: none of this one's git variables may leak there.
    keep = clean_env()
    for name in [k for k in os.environ if k not in keep]:
        del os.environ[name]
    try:
        from pathlib import Path

        from gitorch.workspace.observe import quick_drift
    except ImportError:
        return [], None
    try:
        return [str(line) for line in quick_drift(Path(root))], None
    except Exception as exc:  # a bug there must not break a checkout
        return [], f"workspace drift check failed ({type(exc).__name__}: {_first_line(exc)})"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else ""
