"""The watch index: what the git hook reads instead of watch.json (standard library only).

watch.json lists, per task, the object id of every input file at its last pass: on a
10,000-file repository with 1,000 tasks that is megabytes, most of it repeated where tasks
share a folder, and the hook used to read and parse all of it and list HEAD's whole tree.

The index names each task's inputs by git's own content address instead: for every input
path (a file or a folder, as the plan names it) the object id git gave it in the commit the
task passed at, and for a task without paths the commit's root tree. One small blob; the
hook asks git for the same paths at HEAD in one `cat-file --batch-check`, and only where an
id differs runs one `git diff` from that commit to HEAD to name the files (as watch.json's
comparison would). A task whose passing content was not the commit's (uncommitted edits),
or whose paths are globs, is not indexable: then the index says so and the hook falls back
to watch.json, which stays the record the engine and `explain` read.

Layout (JSON): {"schema_version", "commits": [commit], "units": [[path, commit index, oid]],
"tasks": {task: [unit index]}, "trees": {task: [unit index, [excluded paths]]},
"awaiting": [...]}; a unit's path "" is the root tree.
"""

from __future__ import annotations

from gitorch.gitcmd import git_quick
from gitorch.twins import is_glob, match_paths, norm_pattern, tree_digest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

INDEX_FILE = "watch-index.json"  # beside watch.json on the state branch
INDEX_SCHEMA_VERSION = 1
_MAX_QUERY = 16384  # bytes of `cat-file` input gitcmd.git_quick hands over without subprocess


def _listing(root: str, commit: str) -> dict[str, tuple[str, str]] | None:
    """path -> (type, oid) of every blob and tree in `commit`, None when it is unreadable."""
    status, out = git_quick(["ls-tree", "-r", "-t", "-z", "--full-tree", commit], root)
    if status != 0:
        return None
    found: dict[str, tuple[str, str]] = {}
    for rec in out.split(b"\0"):
        meta, _, path = rec.partition(b"\t")
        if path:
            _mode, kind, oid = meta.decode().split(" ")
            found[path.decode("utf-8", "surrogateescape")] = (kind, oid)
    return found


def _root_trees(root: str, commits: Sequence[str]) -> list[str] | None:
    status, out = git_quick(["rev-parse", *(f"{c}^{{tree}}" for c in commits)], root)
    trees = out.decode().split()
    return trees if status == 0 and len(trees) == len(commits) else None


def _indexable(patterns: Sequence[str]) -> list[str] | None:
    """The task's patterns as index paths, or None when one cannot be (a glob, everything,
    a path git would refuse, a newline that `cat-file` cannot take)."""
    out = []
    for raw in patterns:
        pat = norm_pattern(raw)
        if (not pat or is_glob(pat) or pat.startswith("/") or ".." in pat.split("/")
                or "\n" in pat or ":" in pat[:1]):
            return None
        out.append(pat)
    return out


def build_index(watch: Mapping[str, Any], root: str) -> bytes | None:
    """The index of `watch` (watch.json's document) for the repository at `root`, or None
    when some task cannot be indexed (the hook then reads watch.json)."""
    tasks: Mapping[str, Any] = watch.get("tasks") or {}
    commits: list[str] = sorted({str(t.get("commit") or "") for t in tasks.values()})
    if not tasks or "" in commits:
        return None
    listings = {c: _listing(root, c) for c in commits}
    trees = _root_trees(root, commits)
    if trees is None or any(v is None for v in listings.values()):
        return None
    units: dict[tuple[str, int], int] = {}
    doc: dict[str, Any] = {"schema_version": INDEX_SCHEMA_VERSION, "commits": commits, "units": [],
                           "tasks": {}, "trees": {}, "awaiting": watch.get("awaiting") or []}

    def unit(path: str, ci: int, oid: str) -> int:
        if (path, ci) not in units:
            units[path, ci] = len(doc["units"])
            doc["units"].append([path, ci, oid])
        return units[path, ci]

    for tid, t in sorted(tasks.items()):
        ci = commits.index(str(t.get("commit")))
        listing = listings[commits[ci]] or {}
        files = {p: oid for p, (kind, oid) in listing.items() if kind != "tree"}
        patterns = [str(p) for p in t.get("paths") or []]
        if not patterns:
            exclude = [str(p) for p in t.get("exclude") or []]
            if t.get("tree") != tree_digest(files, exclude):
                return None  # the tree it passed with was not the commit's
            doc["trees"][tid] = [unit("", ci, trees[ci]), exclude]
            continue
        paths = _indexable(patterns)
        if paths is None:
            return None
        passed = {p: files[p] for p in match_paths(sorted(files), paths)}
        if passed != (t.get("oids") or {}):
            return None  # it passed with content that is not the commit's
        doc["tasks"][tid] = [unit(p, ci, listing.get(p, ("", ""))[1]) for p in paths]
    from json import dumps

    return dumps(doc, separators=(",", ":"), sort_keys=True).encode()


def stale_from_index(
    index: Mapping[str, Any], root: str, env: Mapping[str, str] | None = None,
) -> dict[str, list[str]] | None:
    """task -> its input files that differ at HEAD from its last pass (what
    `observe.stale_tasks` finds from watch.json), or None when the index cannot tell (the
    caller reads watch.json)."""
    units: list[list[Any]] = index.get("units") or []
    commits: list[str] = index.get("commits") or []
    query = "".join("HEAD^{tree}\n" if u[0] == "" else f"HEAD:{u[0]}\n" for u in units).encode()
    if not units or len(query) > _MAX_QUERY:
        return None
    status, out = git_quick(["cat-file", "--batch-check=%(objectname)"], root, input=query, env=env)
    now = out.decode("utf-8", "surrogateescape").split("\n")[:len(units)]
    if status != 0 or len(now) != len(units):
        return None
    changed = [i for i, (u, oid) in enumerate(zip(units, now, strict=True))
               if (oid if " " not in oid else "") != u[2]]  # "HEAD:x missing": not there
    if not changed:
        return {}
    diffs: dict[int, list[str]] = {}  # unit -> its files that differ
    for ci in sorted({units[i][1] for i in changed}):
        mine = [i for i in changed if units[i][1] == ci]
        specs = [] if any(units[i][0] == "" for i in mine) else [units[i][0] for i in mine]
        files = _diff(root, commits[ci], specs, env)
        if files is None:
            return None
        for i in mine:
            diffs[i] = files if units[i][0] == "" else match_paths(files, [units[i][0]])
    out_: dict[str, list[str]] = {}
    for tid, refs in (index.get("tasks") or {}).items():
        paths = sorted({p for i in refs for p in diffs.get(i, ())})
        if paths:
            out_[tid] = paths
    for tid, (i, exclude) in (index.get("trees") or {}).items():
        if i in diffs and set(diffs[i]) - set(exclude):
            out_[tid] = ["(the tracked tree)"]
    return out_


def _diff(root: str, commit: str, specs: Sequence[str], env: Mapping[str, str] | None) -> list[str] | None:
    """The sorted files whose object id differs between `commit` and HEAD under `specs`
    (everywhere when empty); None when git cannot tell (the commit is gone)."""
    args = ["--literal-pathspecs", "diff-tree", "-r", "-z", "--raw", "--no-abbrev", "--no-renames",
            commit, "HEAD"]
    status, out = git_quick([*args, "--", *specs] if specs else args, root, env=env)
    if status != 0:
        return None
    files: list[str] = []
    recs = out.split(b"\0")
    for meta, path in zip(recs[::2], recs[1::2], strict=False):
        fields = meta.split(b" ")
        if len(fields) >= 4 and fields[2] != fields[3]:  # a mode-only change is no change
            files.append(path.decode("utf-8", "surrogateescape"))
    return sorted(files)
