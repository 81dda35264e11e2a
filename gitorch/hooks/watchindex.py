"""The watch index: what the git hook reads instead of watch.json (standard library only).

watch.json lists, per task, the object id of every input file at its last pass: on a
10,000-file repository with 1,000 tasks that is megabytes, most of it repeated where tasks
share a folder, and the hook used to read and parse all of it and list HEAD's whole tree.

The index is content-addressed instead: each task names the commit it passed at (whose
root tree id stands for all its content) and its input paths (each folder or file once,
shared by the tasks that name it). The hook compares HEAD's root tree id with each commit's
(equal: nothing changed, no further git call); otherwise one `git diff-tree` from that
commit to HEAD, which skips every folder whose tree id is unchanged, names the files that
differ, and each task is stale when one is under its paths (what comparing watch.json's
file lists finds). A task whose passing content was not the commit's (uncommitted edits),
or whose paths are globs, cannot be indexed: then there is no index and the hook reads
watch.json, which stays the record the engine and `explain` read.

Layout (JSON): {"schema_version", "commits": [commit], "commit_trees": [root tree],
"units": [[path, commit index]], "tasks": {task: [unit index]},
"trees": {task: [unit index, [excluded paths]]}, "awaiting": [...]}; a unit's path "" is
the whole tree (a task without paths).
"""

from __future__ import annotations

import os

from gitorch.gitcmd import git_quick, git_start
from gitorch.twins import is_glob, match_paths, norm_pattern, tree_digest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Any

INDEX_FILE = "watch-index.json"  # beside watch.json on the state branch
INDEX_SCHEMA_VERSION = 2  # 1 (a day old) held per-path object ids
_PARALLEL = 4  # git diff-tree processes at once (tasks that passed at several commits)
DIFF_OK = b"gitorch-diff-ok"  # what hook.sh prints after the `git diff-tree` it started

# (from commit, to commit) -> the file descriptor where the sh hook pipes `git diff-tree`'s
# output for them (run.py registers it; `_diff` reads it instead of starting git).
_prestarted: dict[tuple[str, str], int] = {}


def prestarted(commits: str, fd: int) -> None:
    """`commits` ("<from> <to>"): whose `git diff-tree` output the hook gets on `fd`."""
    pair = commits.split()
    if len(pair) == 2:
        _prestarted[pair[0], pair[1]] = fd


def _listing(root: str, commit: str) -> dict[str, str] | None:
    """path -> oid of every file in `commit`, None when it is unreadable."""
    status, out = git_quick(["ls-tree", "-r", "-z", "--full-tree", commit], root)
    if status != 0:
        return None
    found: dict[str, str] = {}
    for rec in out.split(b"\0"):
        meta, _, path = rec.partition(b"\t")
        if path:
            found[path.decode("utf-8", "surrogateescape")] = meta.rsplit(b" ", 1)[-1].decode()
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
    digests: dict[tuple[int, tuple[str, ...]], str] = {}
    ordered = {c: sorted(files or {}) for c, files in listings.items()}  # once per commit, not per task
    doc: dict[str, Any] = {"schema_version": INDEX_SCHEMA_VERSION, "commits": commits,
                           "commit_trees": trees, "units": [],
                           "tasks": {}, "trees": {}, "awaiting": watch.get("awaiting") or []}

    def unit(path: str, ci: int) -> int:
        if (path, ci) not in units:
            units[path, ci] = len(doc["units"])
            doc["units"].append([path, ci])
        return units[path, ci]

    for tid, t in sorted(tasks.items()):
        ci = commits.index(str(t.get("commit")))
        files = listings[commits[ci]] or {}
        patterns = [str(p) for p in t.get("paths") or []]
        if not patterns:
            exclude = [str(p) for p in t.get("exclude") or []]
            key = (ci, tuple(exclude))  # tasks without paths share a digest per commit (P1)
            if key not in digests:
                digests[key] = tree_digest(files, exclude)
            if t.get("tree") != digests[key]:
                return None  # the tree it passed with was not the commit's
            doc["trees"][tid] = [unit("", ci), exclude]
            continue
        paths = _indexable(patterns)
        if paths is None:
            return None
        passed = {p: files[p] for p in match_paths(ordered[commits[ci]], paths)}
        if passed != (t.get("oids") or {}):
            return None  # it passed with content that is not the commit's
        doc["tasks"][tid] = [unit(p, ci) for p in paths]
    from gitorch.hooks.jsonlite import dumps  # json.dumps's text, without json's regexes

    return dumps(doc, sort_keys=True, ensure_ascii=True).encode()


def stale_from_index(
    index: Mapping[str, Any], root: str, env: Mapping[str, str] | None = None,
    head_tree: str | None = None, head_commit: str | None = None,
) -> dict[str, list[str]] | None:
    """task -> its input files that differ at HEAD from its last pass (what
    `observe.stale_tasks` finds from watch.json), or None when the index cannot tell (the
    caller reads watch.json). `head_tree`: HEAD's root tree when the caller read it already;
    `head_commit`: HEAD's commit ("" when unknown; either given, no git call asks for them;
    a commit given is what the diff reads as HEAD).

    A commit whose root tree is HEAD's changed nothing; otherwise one `git diff-tree` from
    it to HEAD (which skips every folder whose tree id is the same) names the files; up to
    `_PARALLEL` of them run at once."""
    units: list[list[Any]] = index.get("units") or []
    commits: list[str] = index.get("commits") or []
    trees: list[str] = index.get("commit_trees") or []
    if len(trees) != len(commits):
        return None
    if head_tree is None and head_commit is None:
        status, out = git_quick(["rev-parse", "HEAD^{tree}"], root, env=env)
        head_tree = out.decode().strip() if status == 0 else ""
    head = head_commit or "HEAD"
    todo = [ci for ci, (commit, tree) in enumerate(zip(commits, trees, strict=True))
            if tree != head_tree and commit != head_commit]
    diffs: dict[int, list[str]] = {ci: [] for ci in range(len(commits))}  # sorted files
    for at in range(0, len(todo), _PARALLEL):
        # tasks that passed at several commits: their diffs run side by side, a batch at a time
        waits = [(ci, _diff_start(root, commits[ci], env, head)) for ci in todo[at:at + _PARALLEL]]
        found = [(ci, wait()) for ci, wait in waits]
        for ci, files in found:
            if files is None:
                return None
            diffs[ci] = files
    out_: dict[str, list[str]] = {}
    under = _files_under(units, diffs)  # each list sorted, no file twice
    get = under.get
    for tid, refs in (index.get("tasks") or {}).items():
        if len(refs) == 1:  # most tasks name one folder: its list is the answer
            one = get(refs[0])
            if one:
                out_[tid] = list(one)
            continue
        paths = sorted({p for i in refs for p in get(i, ())})
        if paths:
            out_[tid] = paths
    for tid, (i, exclude) in (index.get("trees") or {}).items():
        if set(under.get(i, ())) - set(exclude):
            out_[tid] = ["(the tracked tree)"]
    return out_


def _files_under(units: list[list[Any]], diffs: Mapping[int, list[str]]) -> dict[int, list[str]]:
    """unit -> the changed files it names: the file itself or anything under the folder
    (the literal rule of `match_paths`), found by walking each file's parent folders
    instead of matching every unit against every file."""
    by_commit: dict[int, dict[str, list[int]]] = {}  # commit -> unit path -> units
    for i, (path, ci) in enumerate(units):
        by_commit.setdefault(ci, {}).setdefault(path, []).append(i)
    under: dict[int, list[str]] = {}
    for ci, files in diffs.items():
        named = by_commit.get(ci)
        if not named:
            continue
        for f in files:  # sorted, so each unit's list comes out sorted
            prefix = f
            while True:
                for i in named.get(prefix, ()):
                    if i in under:
                        under[i].append(f)
                    else:
                        under[i] = [f]
                if not prefix:
                    break
                prefix = prefix.rpartition("/")[0]  # ends with "": the whole tree
    return under


def _diff_start(
    root: str, commit: str, env: Mapping[str, str] | None, head: str,
) -> Callable[[], list[str] | None]:
    """Start finding the sorted files whose object id differs between `commit` and `head`
    (the output hook.sh piped in for them, else a `git diff-tree` started now); what it
    returns waits and gives them, or None when git cannot tell (the commit is gone)."""
    if (commit, head) in _prestarted:
        def piped() -> list[str] | None:
            out = _read_prestarted(commit, head)
            return _changed(out) if out is not None else _diff_start(root, commit, env, head)()
        return piped
    args = ["diff-tree", "-r", "-z", "--raw", "--no-abbrev", "--no-renames", commit, head]
    wait = git_start(args, root, env=env)

    def started() -> list[str] | None:
        status, out = wait()
        return _changed(out) if status == 0 else None
    return started


def _changed(out: bytes) -> list[str]:
    """The sorted paths in `git diff-tree -r -z --raw` output whose object id changed."""
    files: list[str] = []
    recs = out.split(b"\0")
    for meta, path in zip(recs[::2], recs[1::2], strict=False):
        fields = meta.split(b" ")
        if len(fields) >= 4 and fields[2] != fields[3]:  # a mode-only change is no change
            files.append(path.decode("utf-8", "surrogateescape"))
    return sorted(files)


def _read_prestarted(commit: str, head: str) -> bytes | None:
    """The output of the `git diff-tree` hook.sh started for exactly (`commit`, `head`)
    with the same options as `_diff`, or None (none started, or it failed: no `DIFF_OK`)."""
    fd = _prestarted.pop((commit, head), None)
    if fd is None:
        return None
    chunks = []
    try:
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
    except OSError:
        return None
    data = b"".join(chunks)
    if not data.endswith(DIFF_OK):
        return None
    out = data[:-len(DIFF_OK)]
    return out if not out or out.endswith(b"\0") else None
