"""The work tree as git sees it: object ids of every file, from `git ls-files -s` (the index)
and `git status --porcelain` (what differs from it), plus one `git hash-object --stdin-paths`
for the files that are modified or untracked; so no file is re-read that git already knows.
Standard library only (the git hook imports gitorch.engine.inputs, which imports this)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from gitorch.frozen import Frozen, Record
from gitorch.gitcmd import git, git_popen, status_config
from gitorch.twins import match_paths, tree_digest  # one copy with the git hook's

if TYPE_CHECKING:
    from collections.abc import Iterable

    from gitorch.gitcmd import GitProcess


class WorkTree(Record):
    """The object id of every tracked file as it is in the work tree (plus untracked ones).
    Behaves as the (mutable) dataclass it was, without loading dataclasses (gitorch/frozen.py)."""

    _fields = ("oids", "tracked", "untracked", "changed")
    oids: dict[str, str]  # path -> oid (work tree content), tracked and untracked
    tracked: list[str]  # sorted tracked paths present in the work tree
    untracked: list[str]  # sorted untracked, not ignored
    changed: list[str]  # tracked files differing from HEAD (staged or not)

    def __init__(self, oids: dict[str, str], tracked: list[str], untracked: list[str] | None = None,
                 changed: list[str] | None = None) -> None:
        self.oids, self.tracked = oids, tracked
        self.untracked = [] if untracked is None else untracked
        self.changed = [] if changed is None else changed

    def tree_digest(self, exclude: Iterable[str] = ()) -> str:
        """One digest of every tracked file's content (but the `exclude`d ones)."""
        return tree_digest({p: self.oids[p] for p in self.tracked}, exclude)

    @cached_property
    def files(self) -> list[str]:
        """Every file present, tracked or untracked, sorted."""
        return sorted(self.oids)

    def match(self, patterns: Sequence[str]) -> list[str]:
        """Files (tracked and untracked) named by `patterns`: files, directories, or globs."""
        return match_paths(self.files, patterns)


def start_git(args: list[str], cwd: Path) -> GitProcess:
    """Start `git ARGS` in `cwd` (stdout piped); collect it later with communicate()."""
    return git_popen(args, cwd)


class WorktreeReader:
    """`read_worktree` in two halves: start the git calls now, collect them later (so they
    run while the caller does other work, e.g. imports and reading the state branch).

    `git status` starts at once; `git ls-files -s` (the whole index, ~0.8 MB on a
    10,000-file repository) only when `result()` needs it, unless `eager`: a run whose
    inputs are cached (inputcache.py) needs only the status."""

    def __init__(self, root: Path, *, untracked: bool = True, only: Sequence[str] | None = None,
                 eager: bool = True, beside: bool = True) -> None:
        self.root = root
        tail = ["--", *only] if only else []
        self._ls_args = ["ls-files", "-s", "-z", *tail]
        # `beside`: the caller works while status runs (on 2 cores, then, without its preload
        # threads: gitcmd.status_config); a caller that only waits for it lets git use them
        st_args = [*(status_config() if beside else []), "status", "--porcelain=v1", "-z",
                   "--no-renames", "--ignore-submodules=all"]
        st_args.append("--untracked-files=all" if untracked else "--untracked-files=no")
        self._st: GitProcess | None = start_git([*st_args, *tail], root)
        self._ls: GitProcess | None = start_git(self._ls_args, root) if eager else None
        self._status: StatusView | None = None
        self._tree: WorkTree | None = None

    @classmethod
    def adopt(cls, root: Path, st: GitProcess, ls: GitProcess | None = None) -> WorktreeReader:
        """A reader of git processes already started (prestart.py): `status --porcelain=v1
        -z` (and `ls-files -s -z`, when given), listing the whole work tree from its top."""
        reader = cls.__new__(cls)
        reader.root, reader._st, reader._ls = root, st, ls
        reader._ls_args = list(LS_WHOLE)
        reader._status, reader._tree = None, None
        return reader

    def status(self) -> StatusView:
        """What git status says differs from the index, with those files' object ids."""
        if self._status is None:
            assert self._st is not None
            st_out, _ = self._st.communicate()
            self._st = None
            self._status = parse_status(self.root, st_out)
        return self._status

    def close(self) -> None:
        """Wait for the git processes not read yet, their output unwanted (a listing dropped)."""
        for proc in (self._st, self._ls):
            if proc is not None:
                proc.communicate()
        self._st = self._ls = None

    def result(self) -> WorkTree:
        if self._tree is None:
            status = self.status()
            ls = self._ls or start_git(self._ls_args, self.root)
            self._ls = None
            ls_out, _ = ls.communicate()
            self._tree = _parse_worktree(ls_out, status)
        return self._tree


# ls-files of the whole work tree, paths from its top, from any subfolder (prestart.py)
LS_WHOLE = ("ls-files", "-s", "-z", "--full-name", "--", ":/")


def read_worktree(root: Path, *, untracked: bool = True, only: Sequence[str] | None = None) -> WorkTree:
    """Object ids of the work tree's files with two or three git calls in all.

    `only`: literal pathspecs to limit the listing to (see `pathspecs`).
    """
    return WorktreeReader(root, untracked=untracked, only=only, beside=False).result()


class StatusView(Frozen):
    """`git status --porcelain -z` parsed: what differs from the index (and HEAD), with the
    object ids of the files whose content is not the index's (modified or untracked).
    A frozen dataclass's behaviour (gitorch/frozen.py)."""

    _fields = ("raw", "rehashed", "new", "changed", "gone")
    raw: bytes  # git's output as it came (part of the inputs cache key)
    rehashed: dict[str, str]  # modified or untracked file -> its oid now ("": unreadable)
    new: list[str]  # untracked, not ignored
    changed: list[str]  # tracked files differing from HEAD (staged or not)
    gone: list[str]  # tracked files deleted from the work tree

    def __init__(self, raw: bytes, rehashed: dict[str, str], new: list[str], changed: list[str],
                 gone: list[str]) -> None:
        set_field = object.__setattr__
        set_field(self, "raw", raw)
        set_field(self, "rehashed", rehashed)
        set_field(self, "new", new)
        set_field(self, "changed", changed)
        set_field(self, "gone", gone)


def parse_status(root: Path, st_out: bytes) -> StatusView:
    rehash: list[str] = []
    new: list[str] = []
    changed: list[str] = []
    gone: list[str] = []
    for rec in st_out.split(b"\0"):
        if len(rec) < 4:
            continue
        x, y, path = chr(rec[0]), chr(rec[1]), rec[3:].decode("utf-8", "surrogateescape")
        if x == "?":
            new.append(path)
            rehash.append(path)
            continue
        changed.append(path)
        if y == "D" or (x == "D" and y == " "):
            gone.append(path)
        elif y != " " or x == "U":
            rehash.append(path)
    oids = dict(zip(rehash, hash_files(root, rehash), strict=True)) if rehash else {}
    return StatusView(st_out, oids, new, changed, gone)


def _parse_worktree(ls_out: bytes, status: StatusView) -> WorkTree:
    oids: dict[str, str] = {}
    for rec in ls_out.split(b"\0"):
        if not rec:
            continue
        meta, _, raw = rec.partition(b"\t")
        parts = meta.split()
        if len(parts) >= 3 and parts[2] in (b"0", b"2"):  # stage 0, or "ours" in a conflict
            oids.setdefault(raw.decode("utf-8", "surrogateescape"), parts[1].decode())
    for path in status.gone:
        oids.pop(path, None)  # gone from the work tree
    for path, oid in status.rehashed.items():
        if oid:
            oids[path] = oid
        else:
            oids.pop(path, None)
    new_set = set(status.new)
    tracked = sorted(p for p in oids if p not in new_set)
    return WorkTree(oids=oids, tracked=tracked, untracked=sorted(p for p in status.new if p in oids),
                    changed=list(status.changed))


def hash_files(root: Path, paths: Sequence[str]) -> list[str]:
    """Blob ids of `paths` as `git add` would store them, in one git call ('' when unreadable)."""
    readable = [p for p in paths if (root / p).is_file()]
    if not readable:
        return [""] * len(paths)
    proc = git(["hash-object", "--stdin-paths"], root, check=False,
               input="".join(p + "\n" for p in readable).encode("utf-8", "surrogateescape"))
    got = dict(zip(readable, proc.stdout.decode().split(), strict=False))
    return [got.get(p, "") for p in paths]


