"""Reading the files git keeps (refs, HEAD, config) without starting git, and without `os`.

A checkout to a commit the hook has seen before is answered from files alone (kept.py), in
a process whose interpreter start is most of the hook's 25 ms budget. `import os` alone
costs that process about 2 ms (it imports `_collections_abc`, `posixpath` and `stat`), so
what the hook reads on that path goes through the functions here, which call the
interpreter's built-in `posix` module (`nt` on Windows) that `os` itself wraps.

The environment is read from `os.environ` once something has imported `os` (it holds what
the process changed since it started), else from the built-in module's copy, which is what
`os.environ` starts from.
"""

import sys

try:
    import posix as _os
except ImportError:  # pragma: no cover - Windows
    import nt as _os  # type: ignore[no-redef]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import NoReturn

SEP = "/" if _os.__name__ == "posix" else "\\"
_HEX = frozenset("0123456789abcdef")
_PACKED_REFS_MAX = 1 << 20  # a bigger packed-refs costs more to scan than cat-file
_DIR = 0o040000  # S_IFDIR
_FMT = 0o170000  # S_IFMT


def getenv(name: str) -> "str | None":
    """The environment variable `name`, as `os.environ.get` would give it."""
    os = sys.modules.get("os")
    if os is not None:
        return os.environ.get(name)  # type: ignore[no-any-return]
    if SEP == "\\":  # pragma: no cover - Windows keeps str
        return _os.environ.get(name)  # type: ignore[call-overload, no-any-return]
    raw = _os.environ.get(name.encode(sys.getfilesystemencoding(), "surrogateescape"))
    return raw.decode(sys.getfilesystemencoding(), "surrogateescape") if raw is not None else None


def join(folder: str, *names: str) -> str:
    """`folder` and `names` joined as `os.path.join` joins relative names."""
    return SEP.join([folder.rstrip("/" + SEP) or folder, *names])


def read(path: str) -> bytes:
    """The file's bytes; OSError (FileNotFoundError when missing) as `open` raises it."""
    with open(path, "rb") as fh:
        return fh.read()


def exists(path: str) -> bool:
    try:
        _os.stat(path)
    except (OSError, ValueError):
        return False
    return True


def isdir(path: str) -> bool:
    try:
        return _os.stat(path).st_mode & _FMT == _DIR
    except (OSError, ValueError):
        return False


def getsize(path: str) -> int:
    """The file's size; OSError when it cannot be read."""
    return _os.stat(path).st_size


def listdir(path: str) -> "list[str]":
    return _os.listdir(path)


def makedirs(path: str) -> None:
    """`os.makedirs(path, exist_ok=True)`, importing `os` only when a parent is missing too."""
    try:
        _os.mkdir(path)
    except FileExistsError:
        if not isdir(path):
            raise
    except FileNotFoundError:
        import os

        os.makedirs(path, exist_ok=True)


def getcwd() -> str:
    return _os.getcwd()


def exit_now(status: int) -> "NoReturn":
    """`os._exit`: the hook's process ends without the interpreter's teardown (hook.sh)."""
    _os._exit(status)


def getpid() -> int:
    return _os.getpid()


def urandom(n: int) -> bytes:
    return _os.urandom(n)


def inode(path: str) -> int:
    """The inode number of the file at `path` (OSError when it is gone)."""
    return _os.stat(path).st_ino


def fd_inode(fd: int) -> int:
    return _os.fstat(fd).st_ino


def fsync(fd: int) -> None:
    _os.fsync(fd)


def oid(text: str) -> "str | None":
    """`text` (stripped) when it is a full object id, else None."""
    text = text.strip()
    return text if len(text) in (40, 64) and set(text) <= _HEX else None


def ref_oid(common: str, ref: str) -> "str | None":
    """The commit id `ref` (refs/…) points at, read from the files git keeps; None when
    they do not say (a symbolic ref, reftable, a missing ref)."""
    if exists(join(common, "reftable")):
        return None
    try:
        return oid(read(join(common, ref)).decode("ascii"))
    except FileNotFoundError:
        pass
    except (OSError, ValueError):
        return None
    packed = join(common, "packed-refs")
    try:
        if getsize(packed) > _PACKED_REFS_MAX:
            return None
        data = read(packed)
    except OSError:
        return None
    tail = b" " + ref.encode("utf-8", "surrogateescape") + b"\n"
    end = data.find(tail)
    if end < 0:
        return None
    start = data.rfind(b"\n", 0, end) + 1
    return oid(data[start:end].decode("ascii", "replace"))


def head_commit(gitdir: str, common: str) -> "str | None":
    """HEAD's commit id in the worktree whose git dir is `gitdir`, or None when unsure."""
    try:
        text = read(join(gitdir, "HEAD")).decode("utf-8").strip()
    except (OSError, ValueError):
        return None
    if text.startswith("ref: refs/heads/"):
        return ref_oid(common, text[5:])
    return oid(text)


def main_worktree(cwd: str) -> "tuple[str, str] | None":
    """(git common dir, work tree root) when `cwd` is the root of a work tree with its own
    `.git` folder (no `commondir`: not a linked worktree's); None otherwise."""
    dotgit = join(cwd, ".git")
    if not isdir(dotgit) or exists(join(dotgit, "commondir")):
        return None
    return dotgit, cwd


# --- git config: may any file git reads here set an `orch.*` key? ---------------------------

def may_set_orch(common: str, root: str, env: "Mapping[str, str] | None") -> bool:
    """Whether any configuration git reads here could set an `orch.*` key (hookconfig.py).

    The test is conservative (a comment naming `[orch` counts); a false "nothing here"
    would need a file git reads that `_config_files` misses, so outside Linux, where the
    system file may sit under another prefix, it says yes."""
    if env or sys.platform != "linux" or getenv("GIT_CONFIG"):
        return True  # own GIT_DIR, another system prefix, or `git config`'s own file
    params = (getenv("GIT_CONFIG_PARAMETERS") or "").lower()
    if "orch." in params or "include" in params:  # `git -c include.path=…` reads a file too
        return True
    try:
        count = int(getenv("GIT_CONFIG_COUNT") or 0)
    except ValueError:
        return True
    if any((getenv(f"GIT_CONFIG_KEY_{i}") or "").lower().startswith(("orch.", "include"))
           for i in range(count)):
        return True
    if not isdir(join(root, ".git")):
        return True  # a linked worktree keeps its config.worktree elsewhere: ask git
    return any(_mentions_orch(path) for path in _config_files(common))


def _config_files(common: str) -> "list[str]":
    files = []
    if (getenv("GIT_CONFIG_NOSYSTEM") or "").lower() not in ("1", "true", "yes", "on"):
        files.append(getenv("GIT_CONFIG_SYSTEM") or "/etc/gitconfig")
        files.append("/usr/local/etc/gitconfig")  # a git built with prefix /usr/local
    glob = getenv("GIT_CONFIG_GLOBAL")
    if glob is not None:
        files.append(glob)
    else:
        home = getenv("HOME") or ""
        xdg = getenv("XDG_CONFIG_HOME") or (home and join(home, ".config"))
        if xdg:
            files.append(join(xdg, "git", "config"))
        if home:
            files.append(join(home, ".gitconfig"))
    files += [join(common, "config"), join(common, "config.worktree")]
    return [f for f in files if f]


def _mentions_orch(path: str) -> bool:
    """Whether the file at `path` may set an `orch.*` key (True when it cannot be read but
    exists: git would fail or read it, so let git say)."""
    try:
        text = read(path)
    except FileNotFoundError:
        return False
    except OSError:
        return not isdir(path)
    squeezed = b"".join(text.lower().split())
    return b"[orch" in squeezed or b"include" in squeezed
