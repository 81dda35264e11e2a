"""The git CLI backend: plumbing only, for machines without pygit2.

Objects are read through one long-lived `git cat-file --batch` per store, refs from git's
files (store/reffiles.py; cat-file when they cannot say); objects are written as loose
objects in-process (store/loose.py: exactly what `git hash-object -w` writes) where the
repository's config allows, else by long-lived `git hash-object -w --stdin-paths` processes;
refs are moved by a long-lived `git update-ref --stdin` (`update REF NEW OLD`: git's own
compare-and-swap under `<ref>.lock`). A commit starts at most `git config` (the identity,
how objects are written) and `update-ref`, both early (`prepare_writes`); an append none.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from gitorch.errors import GitError
from gitorch.gitcmd import git, git_popen, stop
from gitorch.store import loose, reffiles
from gitorch.store.backend import (
    IDENT_KEYS,
    MODE_TREE,
    ZERO_OID,
    CommitInfo,
    RefLocked,
    TreeEntry,
    parse_commit,
    parse_tree,
    signatures,
)
from gitorch.store.gitpipe import GitPipe, unanswered

if TYPE_CHECKING:
    from gitorch.gitcmd import GitProcess, GitResult

_LOCK_WAIT = 1.0
# how long update-ref is asked again while each one is killed before it commits (a Ctrl-C held
# down repeats every ~30 ms; a reference-transaction hook may take longer than that)
_KILLED_WAIT = 30.0
_KILLED = "git update-ref --stdin was killed by a signal"  # what _update_ref_once says then
_BATCH = 256  # blobs asked for at once (256 requests: ~10 KB, well under a pipe's buffer)
# The one config read of a writer: the commits' identity and how objects are written.
_IDENT_PATTERN = r"^(user|author|committer)\.(name|email)$"  # IDENT_KEYS
_WRITE_CONFIG = ["config", "-z", "--get-regexp", rf"{_IDENT_PATTERN}|{loose.CONFIG_PATTERN}"]
_WRITE_KEYS = frozenset({*IDENT_KEYS, *loose.CONFIG_KEYS})  # what that pattern matches
_PARSED_TREES = 512  # recently parsed trees kept (the paths appends rewrite)
_PARSED_COMMITS = 64  # recently read commits kept (the tips the store read its refs at)


class CliBackend:
    """Objects and refs through git plumbing commands."""

    name = "cli"

    def __init__(self, git_dir: str, scratch: str | None = None) -> None:
        self.git_dir = git_dir
        self._common = loose.common_dir(git_dir)  # where the refs are (a linked worktree's too)
        self._base = [f"--git-dir={git_dir}"]
        self._cat = GitPipe([*self._base, "cat-file", "--batch"])
        self._blob = GitPipe([*self._base, "hash-object", "-w", "--no-filters", "--stdin-paths"])
        self._commit = GitPipe([*self._base, "hash-object", "-w", "-t", "commit", "--stdin-paths"])
        self._tree = GitPipe([*self._base, "hash-object", "-w", "-t", "tree", "--stdin-paths"])
        # in gitorch's process group: it runs the reference-transaction hook, which a Ctrl-C must reach
        self._update = GitPipe([*self._base, "update-ref", "--stdin", "-z", "-m", "gitorch"], stderr=True,
                               own_group=False)
        tmp = Path(scratch) if scratch else Path(git_dir) / "orch"
        self._tmp = tmp / "tmp"  # created by the first write: reads need no writable git dir
        self._tmp_files: set[Path] = set()
        self._parsed: OrderedDict[str, dict[str, TreeEntry]] = OrderedDict()
        self._parsed_lock = threading.Lock()
        self._commits: dict[str, CommitInfo] = {}  # immutable: kept by id (_PARSED_COMMITS)
        self._config: dict[str, str] | None = None  # read at the first write (reads need none)
        self._config_proc: GitProcess | None = None  # started early by prepare_writes
        self._loose: loose.LooseWriter | None = None
        self._config_lock = threading.Lock()
        self._early: bytes | None = None  # _early_config's answer
        self._signatures: tuple[tuple[str, str], tuple[str, str]] | None = None  # (author, committer)

    def _git(self, args: Sequence[str], check: bool = True) -> GitResult:
        return git([f"--git-dir={self.git_dir}", *args], check=check)

    def prepare_writes(self) -> None:
        """Start what the first write waits for (the config read, `update-ref --stdin`) now,
        so git starts them while the caller works."""
        with self._config_lock:
            if self._config is None and self._config_proc is None and self._early_config() is None:
                self._config_proc = git_popen([*self._base, *_WRITE_CONFIG])
        with self._update.lock:
            self._update.start()

    def _write_config(self) -> dict[str, str]:
        """user.name, user.email and the keys of loose.CONFIG_KEYS (the last value of each, as
        `git config --get` gives), with one git call, made only when something is written."""
        with self._config_lock:
            if self._config is None:
                proc, self._config_proc = self._config_proc, None
                early = self._early_config() if proc is None else None
                out = (proc.communicate()[0] if proc is not None else early if early is not None
                       else self._git(_WRITE_CONFIG, check=False).stdout)
                found: dict[str, str] = {}
                for item in out.decode(errors="replace").split("\0"):
                    key, newline, value = item.partition("\n")
                    if key:  # a key without "=" in the file is a boolean true to git
                        found[key] = value.strip() if newline else "true"
                self._loose = loose.plan(self.git_dir, found)
                self._config = found
            return self._config

    def _early_config(self) -> bytes | None:
        """What `_WRITE_CONFIG` prints, from the `git config` a run started at entry for this
        repository (gitorch/earlyconfig; kept until used), else None."""
        if self._early is None:
            from gitorch import earlyconfig

            self._early = earlyconfig.output(self.git_dir, _WRITE_KEYS.__contains__)
        return self._early

    def _who(self) -> tuple[tuple[str, str], tuple[str, str]]:
        """The commits' author and committer (name, email) as `git commit` picks them
        (backend.signatures: the GIT_AUTHOR_* / GIT_COMMITTER_* variables over author.* /
        committer.* over user.name and user.email), "gitorch" when none is set."""
        if self._signatures is None:  # once per store, as its config (the environment too)
            found = self._write_config()
            self._signatures = signatures(found)
        return self._signatures

    def _write(self, pipe: GitPipe, kind: bytes, data: bytes) -> str:
        """An object written in-process where the config allows, else by `git hash-object`."""
        self._write_config()
        writer = self._loose
        if writer is not None:
            return writer.write(kind, data)
        return self._hash_file(pipe, data)

    # --- reads ----------------------------------------------------------------------
    def _cat_file(self, name: str) -> tuple[str, str, bytes] | None:
        with self._cat.exchange() as proc:
            stdin, stdout = _streams(proc)
            stdin.write(name.encode() + b"\n")
            stdin.flush()
            return self._answer(stdout, name)

    def _answer(self, stdout: IO[bytes], name: str) -> tuple[str, str, bytes] | None:
        """cat-file's answer to `name` (the caller holds the pipe's lock)."""
        header = stdout.readline()
        if not header:
            self._cat.close()
            raise GitError(f"git cat-file stopped while reading {name}")
        if unanswered(header, name.encode()):
            return None
        parts = header.split()
        if len(parts) != 3 or not parts[2].isdigit():
            self._cat.close()  # the pipe's place in git's answers is lost
            raise GitError(f"git cat-file answered {header!r} to {name!r}")
        size = int(parts[2])
        data = stdout.read(size)
        stdout.read(1)  # the newline after the content
        return parts[0].decode(), parts[1].decode(), data

    def _object(self, oid: str, kind: str) -> bytes:
        found = self._cat_file(oid)
        if found is None or found[1] != kind:
            raise GitError(f"object {oid} is not a {kind} in {self.git_dir}")
        return found[2]

    def read_ref(self, ref: str) -> str | None:
        if not ref.startswith("refs/"):
            raise ValueError(f"not a full ref name: {ref}")
        kept = reffiles.read(self._common, ref)  # from git's files: no round trip to cat-file
        if kept != reffiles.ASK_GIT:
            return kept
        found = self._cat_file(ref)
        if found is not None and found[1] == "commit":  # kept: read_commit(tip) asks no more
            self._keep_commit(parse_commit(found[0], found[2]))
        return found[0] if found is not None else None

    def list_refs(self, prefix: str) -> dict[str, str]:
        out = self._git(["for-each-ref", "--format=%(objectname) %(refname)", prefix]).stdout
        refs: dict[str, str] = {}
        for line in out.decode().splitlines():
            oid, _, name = line.partition(" ")
            refs[name] = oid
        return refs

    def read_blob(self, oid: str) -> bytes:
        return self._object(oid, "blob")

    def read_blobs(self, oids: Sequence[str]) -> list[bytes]:
        """The requests written together, then the answers read: one wait on git, not one
        per blob (in chunks, so the requests never fill the pipe while git's answers do)."""
        out: list[bytes] = []
        for start in range(0, len(oids), _BATCH):
            chunk = oids[start : start + _BATCH]
            for oid, found in zip(chunk, self._ask(chunk), strict=True):
                if found is None or found[1] != "blob":
                    raise GitError(f"object {oid} is not a blob in {self.git_dir}")
                out.append(found[2])
        return out

    def _ask(self, names: Sequence[str]) -> list[tuple[str, str, bytes] | None]:
        """cat-file's answers to `names` (at most _BATCH), asked at once."""
        with self._cat.exchange() as proc:
            stdin, stdout = _streams(proc)
            stdin.write(b"".join(name.encode() + b"\n" for name in names))
            stdin.flush()
            return [self._answer(stdout, name) for name in names]

    def prefetch_trees(self, tree: str, paths: Iterable[str]) -> None:
        """The trees at `paths` (folders) under `tree` parsed with one round trip to cat-file
        (`<tree>:<path>`), for the reads that follow: an append's path, folder by folder."""
        names = [f"{tree}:{path}" for path in paths if "\n" not in path and not self._known(tree, path)]
        for found in self._ask(names[:_BATCH]) if names else []:
            if found is not None and found[1] == "tree" and found[0] not in self._parsed:
                self._keep_tree(found[0], parse_tree(found[2]))

    def _known(self, tree: str, path: str) -> bool:
        """Whether the trees parsed already tell the folder at `path` under `tree` (parsed too,
        or missing): nothing to ask git for."""
        for part in path.split("/"):
            entries = self._parsed.get(tree)
            if entries is None:
                return False
            entry = entries.get(part)
            if entry is None or not entry.is_tree:
                return True
            tree = entry.oid
        return tree in self._parsed

    def read_tree(self, oid: str) -> list[TreeEntry]:
        return list(self._tree_map(oid).values())

    def _tree_map(self, oid: str) -> dict[str, TreeEntry]:
        """A tree's entries by name; trees are immutable, so recent ones stay parsed."""
        with self._parsed_lock:
            cached = self._parsed.get(oid)
            if cached is not None:
                self._parsed.move_to_end(oid)
                return cached
        return self._keep_tree(oid, parse_tree(self._object(oid, "tree")))

    def _keep_tree(self, oid: str, entries: dict[str, TreeEntry]) -> dict[str, TreeEntry]:
        with self._parsed_lock:
            self._parsed[oid] = entries
            if len(self._parsed) > _PARSED_TREES:
                self._parsed.popitem(last=False)
        return entries

    def tree_entry(self, tree: str, name: str) -> TreeEntry | None:
        return self._tree_map(tree).get(name)

    def edit_tree(self, base: str | None, edits: Mapping[str, TreeEntry | None]) -> str | None:
        entries = dict(self._tree_map(base)) if base else {}
        for name, e in edits.items():
            if e is None:
                entries.pop(name, None)
            else:
                entries[name] = e
        if not entries:
            return None
        oid = self.write_tree(entries.values())
        self._keep_tree(oid, entries)  # the next append starts from this tree
        return oid

    def read_commit(self, oid: str) -> CommitInfo:
        kept = self._commits.get(oid)
        if kept is not None:
            return kept
        return self._keep_commit(parse_commit(oid, self._object(oid, "commit")))

    def _keep_commit(self, info: CommitInfo) -> CommitInfo:
        with self._parsed_lock:
            if len(self._commits) >= _PARSED_COMMITS:
                self._commits.clear()
            self._commits[info.oid] = info
        return info

    def walk(self, tree: str, prefix: str = "") -> Iterator[tuple[str, TreeEntry]]:
        out = self._git(["ls-tree", "-r", "-z", tree]).stdout
        for rec in out.split(b"\0"):
            if not rec:
                continue
            meta, _, path = rec.partition(b"\t")
            mode, _kind, oid = meta.split()
            name = path.decode("utf-8", errors="surrogateescape")
            yield prefix + name, TreeEntry(name.rsplit("/", 1)[-1], int(mode, 8), oid.decode())

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        if ancestor == descendant:
            return True
        proc = self._git(["merge-base", "--is-ancestor", ancestor, descendant], check=False)
        return proc.returncode == 0

    # --- writes ---------------------------------------------------------------------
    def _hash_file(self, pipe: GitPipe, data: bytes) -> str:
        with pipe.exchange() as proc:
            # One scratch file per process and thread; hash-object has read it when it answers.
            path = self._tmp / f"obj-{os.getpid()}-{threading.get_ident()}"
            if not self._tmp_files:
                self._tmp.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            self._tmp_files.add(path)
            stdin, stdout = _streams(proc)
            stdin.write(str(path).encode() + b"\n")
            stdin.flush()
            line = stdout.readline().strip()
            if len(line) != 40:
                pipe.close()
                raise GitError(f"git hash-object failed writing an object in {self.git_dir}")
            return line.decode()

    def write_blob(self, data: bytes) -> str:
        return self._write(self._blob, b"blob", data)

    def write_tree(self, entries: Iterable[TreeEntry]) -> str:
        # git's tree format, written by `hash-object -t tree` (which checks the format).
        # Not `mktree`: it looks up the object of every entry, a cost that grows with the
        # tree (hundreds of loose-object reads for a wide directory) on every append.
        items = []
        for e in entries:
            name = e.name.encode("utf-8", errors="surrogateescape")
            # git orders entries by name, a directory as if its name ended in "/".
            key = name + b"/" if e.mode == MODE_TREE else name
            items.append((key, f"{e.mode:o} ".encode() + name + b"\0" + bytes.fromhex(e.oid)))
        items.sort()
        return self._write(self._tree, b"tree", b"".join(raw for _key, raw in items))

    def write_commit(self, tree: str, parents: Sequence[str], message: str) -> str:
        (author, author_email), (committer, committer_email) = self._who()
        stamp = f"{int(time.time())} +0000"
        lines = [f"tree {tree}", *(f"parent {p}" for p in parents),
                 f"author {author} <{author_email}> {stamp}",
                 f"committer {committer} <{committer_email}> {stamp}"]
        text = "\n".join(lines) + "\n\n" + (message if message.endswith("\n") else message + "\n")
        return self._write(self._commit, b"commit", text.encode())

    def update_ref(self, ref: str, new: str, old: str | None, message: str) -> bool:
        deadline = time.monotonic() + _LOCK_WAIT
        killed_until = time.monotonic() + _KILLED_WAIT
        while True:
            ok, err = self._update_ref_once(ref, new, old)
            if ok:
                return True
            if "File exists" in err:
                if time.monotonic() > deadline:
                    raise RefLocked(ref)
                time.sleep(0.002)  # another writer holds `<ref>.lock` for a moment
                continue
            now = self.read_ref(ref)
            if err == _KILLED and now == new:
                return True  # killed once it had committed
            if now != old:
                return False
            if err == _KILLED and time.monotonic() < killed_until:
                continue  # killed (a terminal's Ctrl-C reaches it: its hook too) before: again
            raise GitError(f"git update-ref {ref} failed: {err.strip()}")

    def _update_ref_once(self, ref: str, new: str, old: str | None) -> tuple[bool, str]:
        """One transaction on the long-lived `git update-ref --stdin`; git verifies `old`
        under `<ref>.lock`. On failure git exits; the next call starts a new process."""
        pipe = self._update
        with pipe.exchange() as proc:
            assert proc.stdin is not None and proc.stdout is not None
            request = f"start\0update {ref}\0{new}\0{old or ZERO_OID}\0prepare\0commit\0"
            try:
                proc.stdin.write(request.encode())
                proc.stdin.flush()
            except BrokenPipeError:
                pass
            answers = [proc.stdout.readline() for _ in range(3)]
            if answers == [b"start: ok\n", b"prepare: ok\n", b"commit: ok\n"]:
                return True, ""
            if proc.wait() < 0:
                pipe.close()
                return False, _KILLED
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            pipe.close()
            return False, err or "git update-ref --stdin stopped"

    def adopt_reader(self, proc: GitProcess) -> bool:
        """Read through `proc`, a `git cat-file --batch` started in a directory of this very
        repository before the store was made (engine/prestart); whether it was taken."""
        return self._cat.adopt(proc)

    def close(self) -> None:
        for pipe in (self._cat, self._blob, self._commit, self._tree, self._update):
            pipe.close()
        with self._config_lock:
            if self._config_proc is not None:
                stop(self._config_proc)
                self._config_proc = None
        for path in self._tmp_files:
            path.unlink(missing_ok=True)
        self._tmp_files.clear()


def _streams(proc: GitProcess) -> tuple[IO[bytes], IO[bytes]]:
    """The pipes to a GitPipe's process and from it."""
    assert proc.stdin is not None and proc.stdout is not None
    return proc.stdin, proc.stdout
