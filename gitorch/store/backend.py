"""The storage interface both git backends implement (pygit2 in-process, git CLI).

Small on purpose: refs (read, compare-and-swap, list), blobs, trees, commits. Everything
else (the state branch layout, notes, sync) is built on these primitives, so one contract
test suite proves both backends.
"""

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import NamedTuple, Protocol

MODE_BLOB = 0o100644
MODE_TREE = 0o040000
ZERO_OID = "0" * 40


# what git strips from both ends of user.name and user.email (ident.c, crud())
_CRUD = "".join(map(chr, range(33))) + ",:;<>\"\\'"


def ident_text(value: str | None, default: str) -> str:
    """user.name or user.email as git writes it in a commit's author and committer lines
    (ident.c, strbuf_addstr_without_crud): crud stripped from both ends, newlines, `<` and
    `>` (the line's delimiters) dropped; `default` when nothing is left. Written as set, a
    name with a newline made a commit `git fsck` refuses (or pygit2 raised)."""
    text = (value or "").strip(_CRUD)
    text = text.replace("\n", "").replace("<", "").replace(">", "")
    return text or default


IDENT_KEYS = ("user.name", "user.email", "author.name", "author.email", "committer.name", "committer.email")


def signatures(config: Mapping[str, str | None],
               environ: Mapping[str, str] | None = None) -> tuple[tuple[str, str], tuple[str, str]]:
    """The (name, email) of a commit's author and of its committer as `git commit` picks them
    (ident.c, fmt_ident) from `config` (IDENT_KEYS, None or absent when unset): the variables
    GIT_AUTHOR_NAME / GIT_AUTHOR_EMAIL (GIT_COMMITTER_* for the committer), then author.name /
    author.email (committer.*; an empty one counts as unset, as git's length check), then
    user.name / user.email, then EMAIL (non-empty, and only when no *.email key is set at
    all). A given email may be empty (git writes `<>`); an empty name falls back to the next
    source (git would refuse the commit), finally to "gitorch" (and an email never given to
    "gitorch@localhost"). Each cleaned by ident_text."""
    env = os.environ if environ is None else environ
    email = config.get("user.email")
    if email is None:  # git's ident_default_email: empty once any *.email key is set
        given = any(config.get(f"{w}.email") is not None for w in ("author", "committer"))
        email = "" if given else env.get("EMAIL") or None
    out = []
    for who in ("author", "committer"):
        var = who.upper()
        name = env.get(f"GIT_{var}_NAME") or config.get(f"{who}.name") or config.get("user.name")
        mail = env.get(f"GIT_{var}_EMAIL")
        if mail is None:
            mail = config.get(f"{who}.email") or email
        out.append((ident_text(name, "gitorch"),
                    "gitorch@localhost" if mail is None else ident_text(mail, "")))
    return out[0], out[1]


def parse_commit(oid: str, data: bytes) -> "CommitInfo":
    """The CommitInfo of a commit object's bytes."""
    head, _, message = data.partition(b"\n\n")
    tree, parents = "", []
    for line in head.splitlines():
        if line.startswith(b"tree "):
            tree = line[5:].decode()
        elif line.startswith(b"parent "):
            parents.append(line[7:].decode())
    return CommitInfo(oid, tree, tuple(parents), message.decode(errors="replace"))


def parse_tree(data: bytes) -> "dict[str, TreeEntry]":
    """The entries of a tree object's bytes, by name."""
    entries: dict[str, TreeEntry] = {}
    i = 0
    while i < len(data):
        sp = data.index(b" ", i)
        nul = data.index(b"\0", sp)
        name = data[sp + 1 : nul].decode("utf-8", errors="surrogateescape")
        entries[name] = TreeEntry(name, int(data[i:sp], 8), data[nul + 1 : nul + 21].hex())
        i = nul + 21
    return entries


class RefLocked(Exception):
    """`<ref>.lock` stayed in place while update_ref waited (a writer is busy or was killed)."""

    def __init__(self, ref: str) -> None:
        super().__init__(f"{ref} is locked by another writer")
        self.ref = ref


class TreeEntry(NamedTuple):
    """One entry of a tree: a name (no slash), a git file mode and an object id (hex)."""

    name: str
    mode: int
    oid: str

    @property
    def is_tree(self) -> bool:
        return self.mode == MODE_TREE


class CommitInfo(NamedTuple):
    """What the store needs of a commit."""

    oid: str
    tree: str
    parents: tuple[str, ...]
    message: str


class Backend(Protocol):
    """Object and ref access for one repository. Never touches the work tree, index or HEAD."""

    name: str

    def read_ref(self, ref: str) -> str | None:
        """The object a full ref name (`refs/heads/orch/state`) points at, or None."""
        ...

    def update_ref(self, ref: str, new: str, old: str | None, message: str) -> bool:
        """Set `ref` to `new` only if it still points at `old` (None: must not exist).
        Returns False when it moved (the caller rebuilds on the new tip and retries); raises
        RefLocked when `<ref>.lock` stays held for a second."""
        ...

    def list_refs(self, prefix: str) -> dict[str, str]:
        """Every ref under `prefix` (e.g. `refs/orch/`) -> its object id."""
        ...

    def read_blob(self, oid: str) -> bytes: ...

    def read_blobs(self, oids: Sequence[str]) -> list[bytes]:
        """Several blobs, in order (the CLI backend asks git for all of them at once)."""
        ...

    def write_blob(self, data: bytes) -> str: ...

    def read_tree(self, oid: str) -> list[TreeEntry]: ...

    def write_tree(self, entries: Iterable[TreeEntry]) -> str: ...

    def tree_entry(self, tree: str, name: str) -> TreeEntry | None:
        """The entry called `name` directly in `tree`, or None."""
        ...

    def edit_tree(self, base: str | None, edits: Mapping[str, TreeEntry | None]) -> str | None:
        """`base` (None: empty) with entries set or removed (None); None when the result
        is empty. The append path: the cost must not grow with the untouched entries."""
        ...

    def read_commit(self, oid: str) -> CommitInfo: ...

    def write_commit(self, tree: str, parents: Sequence[str], message: str) -> str:
        """A new commit object (the ref is not moved; see update_ref)."""
        ...

    def walk(self, tree: str, prefix: str = "") -> Iterator[tuple[str, TreeEntry]]:
        """Every blob under `tree`, recursively, as (path, entry)."""
        ...

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """Whether `ancestor` is reachable from `descendant` (or equal to it)."""
        ...

    def prefetch_trees(self, tree: str, paths: Iterable[str]) -> None:
        """A hint: the trees at `paths` (folders) under `tree` are about to be read (the CLI
        backend asks git for them at once; a missing one is no error)."""
        ...

    def prepare_writes(self) -> None:
        """A write will follow: start now whatever it would wait for (helper processes)."""
        ...

    def close(self) -> None: ...

