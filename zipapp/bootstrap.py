"""orch.pyz bootstrap: run gitorch from the archive with nothing installed but Python and git.

On first start the pure-Python packages (site/) and the msgspec core matching this
interpreter (native/<key>/) are extracted into the user cache directory, under a lock, into
a temporary folder renamed into place, keyed by the build id and the interpreter; their
bytecode is then compiled there (in a background process on POSIX), so later starts import
compiled modules even with PYTHONDONTWRITEBYTECODE=1. Every start prunes the entries of
other builds that no process uses (each running start holds a shared lock on its entry).

This file is written so that any Python, 2.7 included, can parse it: an old interpreter
must reach the one-line "needs Python 3.11" message, not a SyntaxError. Hence no
annotations and no f-strings here.
"""

import os
import sys

if sys.version_info < (3, 11):
    sys.stderr.write("orch.pyz: gitorch needs Python 3.11 or newer (this is %d.%d)\n" % sys.version_info[:2])
    sys.exit(2)

# The warm path (cache already extracted) imports nothing beyond os, sys and fcntl.
ARCHIVE = os.path.dirname(os.path.abspath(__file__))
BUILD_ID = "@BUILD_ID@"  # replaced by zipapp/build.py
_held = []  # the use lock's descriptor, open for the life of the process


def _platform_key():
    forced = os.environ.get("GITORCH_ZIPAPP_PLATFORM")  # for tests: pretend another platform
    if forced:
        return forced
    if hasattr(os, "uname"):
        machine = os.uname().machine.lower()
    else:
        machine = os.environ.get("PROCESSOR_ARCHITECTURE", "").lower()
    if sys.platform.startswith("linux"):
        try:
            glibc = os.confstr("CS_GNU_LIBC_VERSION")
        except (ValueError, OSError):
            glibc = None
        if not glibc:
            return None  # musl: the bundled manylinux cores would not load
        return {"x86_64": "linux-x86_64", "amd64": "linux-x86_64", "aarch64": "linux-aarch64",
                "arm64": "linux-aarch64"}.get(machine)
    if sys.platform == "darwin":
        return {"arm64": "macos-arm64", "x86_64": "macos-x86_64"}.get(machine)
    if sys.platform == "win32":
        return "windows-amd64" if machine in ("amd64", "x86_64") else None
    return None


def user_cache_dir():
    """platformdirs.user_cache_dir("gitorch", appauthor=False), in the standard library.

    The bootstrap runs before any bundled package can be imported cheaply (sources in a zip
    compile on every import); tests check that this agrees with platformdirs.
    """
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
        return os.path.join(base, "gitorch", "Cache")
    if sys.platform == "darwin":
        return os.path.expanduser("~/Library/Caches/gitorch")
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.expanduser("~/.cache")
    return os.path.join(base, "gitorch")


def _writable(path):
    import tempfile

    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-"):
            return True
    except OSError:
        return False


def _cache_root():
    """GITORCH_CACHE_DIR, else the user cache dir, else a temp dir when `~` is not writable."""
    explicit = os.environ.get("GITORCH_CACHE_DIR")
    if explicit:
        return os.path.join(explicit, "zipapp")
    root = os.path.join(user_cache_dir(), "zipapp")
    if os.path.isdir(root) and os.access(root, os.W_OK):
        return root
    if _writable(root):
        return root
    import tempfile

    uid = os.getuid() if hasattr(os, "getuid") else 0
    return os.path.join(tempfile.gettempdir(), "gitorch-cache-%d" % uid, "zipapp")


def _lock_path(root, key):
    return os.path.join(root, "." + key + ".lock")


def _flock(path, mode):
    """A descriptor holding `mode` (fcntl.LOCK_SH/EX, maybe | LOCK_NB) on `path`, or None when
    a non-blocking request finds it taken. Retries when a pruner unlinked the file meanwhile,
    so a lock is never held on a file that is no longer the one at `path`."""
    import fcntl

    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, mode)
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


class _Lock(object):
    """The exclusive lock for extracting one entry (fcntl on POSIX, msvcrt on Windows).

    On POSIX the descriptor stays open as the process's shared use lock afterwards."""

    def __init__(self, path):
        self.path = path
        self.fd = -1

    def __enter__(self):
        if sys.platform == "win32":
            import msvcrt

            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            msvcrt.locking(self.fd, msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            self.fd = _flock(self.path, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if sys.platform == "win32":
            os.close(self.fd)  # closing releases the lock
            return
        import fcntl

        fcntl.flock(self.fd, fcntl.LOCK_SH)  # extracted: from now on only in use
        _held.append(self.fd)


def _use(root, key):
    """Hold a shared lock on `key`'s entry while this process runs from it (POSIX)."""
    if sys.platform == "win32" or _held:
        return
    import fcntl

    try:
        fd = _flock(_lock_path(root, key), fcntl.LOCK_SH)
    except OSError:
        return  # a read-only cache: nothing can prune it either
    if fd is not None:
        _held.append(fd)


def _extract(zf, dest, native, skip_msgspec):
    folders = set()
    for info in zf.infolist():
        name = info.filename
        if name.endswith("/"):
            continue
        if name.startswith("site/"):
            rel = name[len("site/"):]
            if skip_msgspec and rel.startswith("msgspec/"):
                continue
        elif native and name.startswith(native):
            rel = name[len(native):]
        else:
            continue
        target = os.path.join(dest, *rel.split("/"))
        folder = os.path.dirname(target)
        if folder not in folders:
            os.makedirs(folder, exist_ok=True)
            folders.add(folder)
        with open(target, "wb") as out:
            out.write(zf.read(info))


def _key():
    tag = "cp%d%d" % sys.version_info[:2]
    plat = _platform_key()
    key = "%s-%s-%s" % (BUILD_ID, tag, plat or "system")
    return key, ("native/%s-%s/" % (tag, plat) if plat else None)


def prepare():
    """The directory to import gitorch from, extracting it on first start."""
    key, native = _key()
    root = _cache_root()
    final = os.path.join(root, key)
    if os.path.exists(os.path.join(final, ".complete")):
        _use(root, key)
        if os.path.exists(os.path.join(final, ".complete")):  # not pruned before we held it
            if _others(root, key):
                _prune(root)
            return final
        while _held:  # our shared lock would block our own exclusive one
            os.close(_held.pop())
    return _first_start(root, key, native)


def _first_start(root, key, native):
    import importlib.util
    import shutil
    import tempfile
    import zipfile

    final = os.path.join(root, key)
    with zipfile.ZipFile(ARCHIVE) as outer, outer.open("payload.zip") as inner, \
            zipfile.ZipFile(inner) as zf:
        if native and not any(n.startswith(native) for n in zf.namelist()):
            native = None
        skip_msgspec = False
        if native is None:
            if importlib.util.find_spec("msgspec") is None:
                sys.stderr.write(
                    "orch.pyz: no bundled msgspec for CPython %d.%d on %s-%s; install it with "
                    "`python -m pip install msgspec` (or install gitorch with pip)\n"
                    % (sys.version_info[0], sys.version_info[1], sys.platform,
                       os.uname().machine if hasattr(os, "uname") else "?")
                )
                sys.exit(2)
            skip_msgspec = True  # use the interpreter's own msgspec
        os.makedirs(root, exist_ok=True)
        with _Lock(_lock_path(root, key)) as lock:
            if os.path.exists(os.path.join(final, ".complete")):
                return final  # another first start finished while we waited
            tmp = tempfile.mkdtemp(prefix=".tmp-%s-" % key, dir=root)
            try:
                _extract(zf, tmp, native, skip_msgspec)
                with open(os.path.join(tmp, ".complete"), "w") as marker:
                    marker.write(BUILD_ID + "\n")
                if os.path.exists(final):  # left incomplete by an older, killed start
                    shutil.rmtree(final)
                os.rename(tmp, final)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            _compile(final, lock.fd)
            _prune(root)
    return final


def _compile(path, lock_fd):
    """Bytecode for every module of the entry, written beside the sources (keyed by this
    interpreter's cache tag). POSIX: a detached process holding our use lock does it while
    this command runs, so the first start does not wait for ~350 modules."""
    # niced: the command that started it keeps the CPU
    code = "import compileall, os, sys; os.nice(10); compileall.compile_dir(sys.argv[1], quiet=2)"
    argv = [sys.executable, "-I", "-c", code, path]
    if sys.platform == "win32":
        import compileall

        compileall.compile_dir(path, quiet=2)
        return
    import subprocess

    try:
        subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, pass_fds=(lock_fd,), start_new_session=True)
    except OSError:
        pass  # imports still compile what they need


def _others(root, key):
    """Whether `root` holds entries of another build (one listdir on the warm path)."""
    mine = (key, "." + key + ".lock")
    for name in os.listdir(root):
        if name not in mine and not name.startswith((BUILD_ID, "." + BUILD_ID)):
            return True
    return False


def _prune(root):
    """Remove the entries of other builds that no process uses (we hold our entry's lock).

    Entries of this build for other interpreters stay; an entry in use keeps its shared
    lock, so the non-blocking exclusive lock fails and it stays until a later first start."""
    if sys.platform == "win32":
        return  # msvcrt has no shared locks: an entry in use cannot be told apart
    import fcntl
    import shutil

    keys = set()
    for name in os.listdir(root):
        if name.startswith(".tmp-"):
            keys.add(name[len(".tmp-"):].rsplit("-", 1)[0])
        elif name.startswith(".") and name.endswith(".lock"):
            keys.add(name[1:-len(".lock")])
        elif not name.startswith("."):
            keys.add(name)
    for key in sorted(keys):
        if key.split("-", 1)[0] == BUILD_ID:
            continue
        try:
            fd = _flock(_lock_path(root, key), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue
        if fd is None:
            continue  # in use
        try:
            shutil.rmtree(os.path.join(root, key), ignore_errors=True)
            for name in os.listdir(root):
                if name.startswith(".tmp-%s-" % key):
                    shutil.rmtree(os.path.join(root, name), ignore_errors=True)
            os.unlink(_lock_path(root, key))
        except OSError:
            pass
        finally:
            os.close(fd)


def main():
    try:
        path = prepare()
    except OSError as exc:
        sys.stderr.write(
            "orch.pyz: cannot prepare the cache (%s); set GITORCH_CACHE_DIR to a writable folder\n" % exc
        )
        sys.exit(2)
    sys.path[:] = [path] + [p for p in sys.path if p != ARCHIVE and os.path.abspath(p or ".") != ARCHIVE]
    os.environ["GITORCH_ZIPAPP"] = ARCHIVE
    os.environ["GITORCH_ZIPAPP_CACHE"] = path
    from gitorch.cli.entry import main as run

    run()


main()
