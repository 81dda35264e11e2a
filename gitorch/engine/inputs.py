"""A task's inputs: its definition plus the git object ids of its `paths` (stdlib only).

The git hook imports this module, so it must stay importable with the standard library
alone (no msgspec, typer or pygit2). Callers pass task definitions as plain builtins.

Object ids come from git itself, with at most three git calls for every task at once
(worktree.py); a re-run on an unchanged work tree takes them from the inputs cache
(inputcache.py) with `git status` alone.

A task's digest also covers its dependencies' digests: when their inputs change, it runs
again too (its outputs may depend on them). A task without paths depends on the tracked tree.
"""

from __future__ import annotations

import marshal
import operator
import os
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

# the listing lives in worktree.py; these names stay importable from here
from gitorch.engine.worktree import WorkTree, WorktreeReader, hash_files, read_worktree, start_git
from gitorch.frozen import Record
from gitorch.twins import match_paths  # one copy with the git hook's

if TYPE_CHECKING:
    from gitorch.digests import Hasher

__all__ = ["DEFINITION_PARTS", "Mark", "TaskInputs", "WorkTree", "WorktreeReader", "canonical", "clock_mark",
           "compute_inputs", "definition_parts", "digest_of", "explain_change", "hash_files", "match_paths",
           "part_digest", "pathspecs", "read_worktree", "rebind", "refresh", "sha", "start_git",
           "untouched_since", "watch_entry"]

# Parts of a task's definition that decide what it does; title and description do not.
DEFINITION_PARTS = (
    "type", "paths", "commands", "acceptance", "shards", "constraints", "retry", "secrets", "repo",
)
_parts_of = operator.itemgetter(*DEFINITION_PARTS)
_GLOB = frozenset("*?[")
_WHOLE_TREE = "(tree)"  # pseudo-path of a task without paths: the whole tracked tree


_sha256: Callable[[bytes], Hasher] | None = None  # hashlib.sha256, once a digest is made


def sha(data: bytes | str) -> str:
    """Hex sha256 of `data`: hashlib's (OpenSSL's), the fastest on many small inputs; imported
    on first use: a re-run served by the inputs cache does not load it (gitorch/digests)."""
    global _sha256
    if _sha256 is None:
        import hashlib

        _sha256 = hashlib.sha256
    return _sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def canonical(value: Any) -> str:
    """A stable JSON text for hashing (json.dumps's, sorted keys, no spaces, no ASCII escapes)."""
    from gitorch.hooks.jsonlite import dumps  # not at import: a skip-all re-run hashes nothing

    return dumps(value, sort_keys=True)


_part_memo: dict[str, str] = {}


def part_digest(value: Any) -> str:
    """Digest of one definition part; memoized, since most tasks share most parts."""
    key = repr(value)
    found = _part_memo.get(key)
    if found is None:
        found = _part_memo[key] = sha(canonical(value))[:16]
    return found


_parts_memo: dict[bytes, dict[str, str]] = {}


def definition_parts(task: Mapping[str, Any]) -> dict[str, str]:
    """Per-part digests of a task's definition (builtins, as msgspec.to_builtins gives),
    memoized as a whole: most tasks of a plan share their whole definition but the id."""
    try:  # one C call (~4k instructions a task less than a list of .get): to_builtins gives every part
        values = _parts_of(task)
    except KeyError:
        values = tuple([task.get(part) for part in DEFINITION_PARTS])
    key = marshal.dumps(values, 2)  # format 2 (no back-references): equal bytes, equal values (repr: ~5x)
    found = _parts_memo.get(key)
    if found is None:
        found = _parts_memo[key] = {p: part_digest(v) for p, v in zip(DEFINITION_PARTS, values, strict=True)}
    return dict(found)  # a copy: the caller's to keep


def pathspecs(patterns: Sequence[str]) -> list[str] | None:
    """Literal git pathspecs covering `patterns` (None: the whole tree)."""
    out: list[str] = []
    for raw in patterns:
        pat = raw.strip().removeprefix("./")
        cut = min((pat.index(c) for c in _GLOB if c in pat), default=len(pat))
        head = pat[:cut]
        if cut < len(pat):
            head = head.rpartition("/")[0]
        head = head.rstrip("/")
        if not head or head == ".":
            return None
        out.append(head)
    return out or None


_FIELDS = ("task", "digest", "parts", "paths", "oids", "deps", "tree", "untracked", "exclude")
_LATER = frozenset({"parts", "paths", "oids", "tree", "exclude"})
if TYPE_CHECKING:  # how a deferred task's other fields are decoded: (decoder, blob, start, end)
    _Later = tuple[Callable[[memoryview], tuple[Any, ...]], memoryview, int, int]


class TaskInputs(Record):
    """What a task's digest is made of, kept so `explain` can say what changed.

    One the inputs cache gives (`deferred`) holds `parts`, `paths`, `oids`, `tree` and
    `exclude` still encoded until one of them is first read: a re-run that skips every task
    reads only digests, not 1,000 tasks' file lists."""

    __slots__ = (*_FIELDS, "_later")
    _fields = _FIELDS
    task: str
    digest: str
    parts: dict[str, str]  # definition part -> digest
    paths: list[str]  # the patterns it declares
    oids: dict[str, str]  # matched file -> oid (or {"(tree)": digest} without paths)
    deps: dict[str, str]  # dependency id -> its digest
    tree: str  # without paths: digest of the tracked files but `exclude` (the hook's check)
    untracked: frozenset[str]  # matched files git does not track (not in HEAD)
    exclude: tuple[str, ...]  # files a task without paths ignores (the plan itself, …)

    def __init__(self, task: str, digest: str, parts: dict[str, str], paths: list[str], oids: dict[str, str],
                 deps: dict[str, str], tree: str = "", untracked: frozenset[str] = frozenset(),
                 exclude: tuple[str, ...] = ()) -> None:
        self.task, self.digest, self.parts, self.paths, self.oids = task, digest, parts, paths, oids
        self.deps, self.tree, self.untracked, self.exclude = deps, tree, untracked, exclude
        self._later: _Later | None = None

    @classmethod
    def deferred(cls, tasks: list[str], digests: list[str], deps: list[dict[str, str]],
                 untracked: list[frozenset[str]], ends: list[int], blob: bytes,
                 decode: Callable[[memoryview], tuple[Any, ...]]) -> dict[str, TaskInputs]:
        """Each task's inputs from the inputs cache's columns: `tasks[i]`'s other fields are
        `decode(blob[ends[i - 1]:ends[i]])`, decoded when one is first read (one call for every
        task: ~2 M instructions less than a call and a partial each at 1,000 tasks, P2)."""
        new, parts = cls.__new__, memoryview(blob)
        out, start = {}, 0
        for task, digest, needs, new_files, end in zip(tasks, digests, deps, untracked, ends, strict=True):
            ti = new(cls)
            ti.task, ti.digest, ti.deps, ti.untracked = task, digest, needs, new_files
            ti._later = (decode, parts, start, end)
            out[task] = ti
            start = end
        return out

    def __getattr__(self, name: str) -> Any:  # only for a field not set yet: a deferred one
        later = object.__getattribute__(self, "_later")
        if later is None or name not in _LATER:
            raise AttributeError(name)
        decode, blob, start, end = later
        self.parts, self.paths, self.oids, self.tree, self.exclude = decode(blob[start:end])
        self._later = None
        return getattr(self, name)


def compute_inputs(
    tasks: Sequence[Mapping[str, Any]], tree: WorkTree, order: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
) -> dict[str, TaskInputs]:
    """Inputs of every task (builtins with id, paths, dependencies, …), dependencies first.

    `exclude`: files that never count as inputs of a task without paths (the plan itself,
    whose changes the definition digests already see; a TASKS.md kept in the work tree).
    """
    by_id = {str(t["id"]): t for t in tasks}
    ids = list(order) if order is not None else _topo(by_id)
    tree_digest: str | None = None
    excluded = tuple(sorted(set(exclude)))
    untracked = set(tree.untracked)
    out: dict[str, TaskInputs] = {}
    seen: dict[tuple[Any, ...], str] = {}  # digests by their inputs in order: a fan-out's tasks share one
    for tid in ids:
        t = by_id[tid]
        patterns = list((t.get("paths") or {}).get("preferred") or [])
        if patterns:
            oids = {p: tree.oids[p] for p in tree.match(patterns)}
        else:
            if tree_digest is None:
                tree_digest = tree.tree_digest(excluded)
            oids = {_WHOLE_TREE: tree_digest}
        parts = definition_parts(t)
        deps = {d: out[d].digest for d in t.get("dependencies") or [] if d in out}
        key = (tuple(parts.values()), tuple(oids.items()), tuple(deps.items()))
        digest = seen.get(key) or seen.setdefault(key, digest_of(parts, oids, deps))  # no text built again
        out[tid] = TaskInputs(tid, digest, parts, patterns, oids, deps,
                              "" if patterns else tree_digest or "",
                              frozenset(untracked.intersection(oids)), () if patterns else excluded)
    return out


def digest_of(parts: Mapping[str, str], oids: Mapping[str, str], deps: Mapping[str, str]) -> str:
    """The inputs digest: definition parts, input object ids, dependencies' digests (the sha256
    of `canonical([parts, sorted oids, sorted deps])`)."""
    text = _inputs_text(parts, oids, deps)
    found = _digest_memo.get(text)
    if found is None:
        if len(_digest_memo) > 4096:
            _digest_memo.clear()
        found = _digest_memo[text] = sha(text)
    return found


_digest_memo: dict[str, str] = {}  # tasks without paths that share definition and dependencies


def _inputs_text(parts: Mapping[str, str], oids: Mapping[str, str], deps: Mapping[str, str]) -> str:
    """`canonical([dict(parts), sorted(oids.items()), sorted(deps.items())])`, the same text,
    written here for what each of them holds (strings to strings): json.dumps's general
    encoder took most of a digest's time (a run of 1,000 tasks makes one each)."""
    global _quote
    q = _quote
    if q is None:
        from gitorch.hooks.jsonlite import quote

        q = _quote = quote
    key = tuple(parts.items())  # tasks share their parts' text (the same definition but the id)
    head = _parts_text.get(key)
    if head is None:
        if len(_parts_text) > 4096:
            _parts_text.clear()
        head = _parts_text[key] = ",".join([q(k) + ":" + q(v) for k, v in sorted(parts.items())])
    return "".join((
        "[{", head,
        "},[", ",".join(["[" + q(k) + "," + q(v) + "]" for k, v in sorted(oids.items())]),
        "],[", ",".join(["[" + q(k) + "," + q(v) + "]" for k, v in sorted(deps.items())]), "]]",
    ))


_quote: Callable[[str], str] | None = None
_parts_text: dict[tuple[tuple[str, str], ...], str] = {}


def rebind(ti: TaskInputs, deps: Mapping[str, str]) -> TaskInputs:
    """`ti` with its dependencies' digests as they are now (after they ran)."""
    if deps == ti.deps:
        return ti
    return TaskInputs(ti.task, digest_of(ti.parts, ti.oids, deps), ti.parts, ti.paths, ti.oids, dict(deps),
                      ti.tree, ti.untracked, ti.exclude)


Mark = tuple[int, int]  # the file system's device and its clock's "now" (see clock_mark)


def clock_mark(folder: Path) -> Mark | None:
    """The file system's own "now": the change time of a file created (and removed) in
    `folder`, with its device; None when no file can be made there. A file or folder changed
    after the mark has a change time at or after it (the same clock stamps both, in the same
    steps): what `untouched_since` relies on, as git's racy-clean check does with the index's
    mtime."""
    path = folder / f"clock-{os.getpid()}"
    try:
        try:
            os.unlink(path)  # one left by a killed process of the same pid: a new inode, a new ctime
        except FileNotFoundError:
            pass
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            st = os.fstat(fd)
        finally:
            os.close(fd)
            os.unlink(path)
    except OSError:
        return None
    return st.st_dev, st.st_ctime_ns


def untouched_since(root: Path, patterns: Sequence[str], mark: Mark) -> bool:
    """Whether nothing that `patterns` (files and folders, no globs) name changed since `mark`:
    each exists, and it and every file and folder below it (as os.walk lists them: no .git,
    links to folders not followed) has a change time before the mark, on the mark's device.
    Writing, creating, removing or renaming anything below a folder moves a change time
    there, even when sizes and mtimes are put back. False (ask git) for globs, no paths, a
    missing path, another device (another clock), or a time at the mark itself."""
    if not patterns or any(c in _GLOB for p in patterns for c in p):
        return False
    dev, before = mark
    for pattern in patterns:
        top = root / pattern
        try:
            st = os.lstat(top)
        except OSError:
            return False  # absent now: whether it was at the mark is not known here
        if st.st_dev != dev or st.st_ctime_ns >= before:
            return False
        if stat.S_ISDIR(st.st_mode) and not _folder_untouched(str(top), dev, before):
            return False
    return True


def _folder_untouched(folder: str, dev: int, before: int) -> bool:
    """untouched_since for what is below `folder`: one scandir per folder, one stat per entry."""
    try:
        entries = os.scandir(folder)
    except OSError:
        return False
    below: list[str] = []
    with entries:
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                return False  # gone while we look: a change
            if stat.S_ISDIR(st.st_mode):
                if entry.name == ".git":
                    continue  # a nested repository's git dir is not an input (os.walk's listing)
                below.append(entry.path)
            if st.st_dev != dev or st.st_ctime_ns >= before:
                return False
    return all(_folder_untouched(path, dev, before) for path in below)


def refresh(ti: TaskInputs, root: Path) -> TaskInputs:
    """`ti` with its paths' object ids as they are now (after the task wrote to them)."""
    if not ti.paths:
        return ti  # the whole tree: left as it was when the run started
    tree = read_worktree(root, only=pathspecs(ti.paths))
    oids = {p: tree.oids[p] for p in tree.match(ti.paths)}
    if oids == ti.oids:
        return ti
    untracked = set(tree.untracked)
    return TaskInputs(ti.task, digest_of(ti.parts, oids, ti.deps), ti.parts, ti.paths, oids, ti.deps,
                      untracked=frozenset(p for p in oids if p in untracked))


def _topo(by_id: Mapping[str, Mapping[str, Any]]) -> list[str]:
    from graphlib import TopologicalSorter

    graph = {tid: [d for d in t.get("dependencies") or [] if d in by_id] for tid, t in by_id.items()}
    return list(TopologicalSorter(graph).static_order())


def explain_change(current: TaskInputs, last: Mapping[str, Any] | None, last_commit: str = "") -> list[str]:
    """Why `current` differs from the last pass (`last` is its watch.json entry); [] if same.

    Reasons read like "src/a.py changed since the last pass at abc123", "command changed",
    "never passed".
    """
    if not last:
        return ["never passed"]
    if last.get("inputs") == current.digest:
        return []
    at = f" at {last_commit[:7]}" if last_commit else ""
    reasons: list[str] = []
    old_parts = last.get("parts") or {}
    for part, digest in current.parts.items():
        if part in old_parts and old_parts[part] != digest:
            noun = {"commands": "command", "acceptance": "acceptance"}.get(part, part)
            reasons.append(f"{noun} changed")
    # untracked files the task itself left on its last pass (its outputs) count as known
    old_oids: Mapping[str, str] = {**(last.get("oids") or {}), **(last.get("untracked") or {})}
    if _WHOLE_TREE in current.oids:
        if old_oids.get(_WHOLE_TREE) != current.oids[_WHOLE_TREE]:
            reasons.append(f"the tracked tree changed since the last pass{at} (the task names no paths)")
    else:
        for path, oid in sorted(current.oids.items()):
            if path not in old_oids:
                reasons.append(f"{path} added since the last pass{at}")
            elif old_oids[path] != oid:
                reasons.append(f"{path} changed since the last pass{at}")
        for path in sorted(set(old_oids) - set(current.oids)):
            if path != _WHOLE_TREE:
                reasons.append(f"{path} removed since the last pass{at}")
    old_deps: Mapping[str, str] = last.get("deps") or {}
    for dep, digest in sorted(current.deps.items()):
        if old_deps.get(dep) != digest:
            reasons.append(f"dependency {dep} changed")
    if not reasons:
        reasons.append("inputs changed")
    return reasons


def watch_entry(inputs: TaskInputs, run: str, commit: str) -> dict[str, Any]:
    """The watch.json record of a task's last pass (read by the git hook)."""
    return {
        "paths": inputs.paths, "inputs": inputs.digest,
        # Only tracked files: the hook compares them with HEAD after a checkout, where an
        # untracked file (a build product, __pycache__) never is.
        "oids": {p: o for p, o in inputs.oids.items() if p != _WHOLE_TREE and p not in inputs.untracked},
        # the untracked ones apart (what `explain` compares with; the hook never reads them)
        **({"untracked": {p: inputs.oids[p] for p in sorted(inputs.untracked)}} if inputs.untracked else {}),
        "run": run, "commit": commit, "parts": inputs.parts, "deps": inputs.deps,
        # the tracked tree as `git ls-tree -r HEAD` lists it (path NUL oid LF, sorted), but
        # the files the engine ignores for it (the plan): what the git hook recomputes
        **({"tree": inputs.tree, "exclude": list(inputs.exclude)} if inputs.tree else {}),
    }
