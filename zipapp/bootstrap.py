"""orch.pyz bootstrap: run gitorch from the archive with nothing installed but Python and git.

The archive is this bootstrap, BUILD_ID and payload.zip (site/ and native/, stored). A first start (no
complete cache entry for this build and interpreter) writes the payload and msgspec's core to the cache
and imports gitorch from the payload; once the command is done, a detached process fills the entry
(everything extracted, with bytecode) under a lock, renamed into place when complete, and drops those two
copies (still under the lock). Later starts import from that entry. See docs/zipapp.md. Parses on any
Python, 2.7 included (no annotations, no f-strings): an old one gets the message below.
"""
import os
import sys

if sys.version_info < (3, 11):
    sys.stderr.write("orch.pyz: gitorch needs Python 3.11 or newer (this is %d.%d)\n" % sys.version_info[:2])
    sys.exit(2)

# The warm path (cache already extracted) imports nothing beyond os, sys and fcntl.
ARCHIVE = os.path.dirname(os.path.abspath(__file__))
BUILD_ID = "@BUILD_ID@"  # replaced by zipapp/build.py
PAYLOAD = "payload.zip"  # the archive's member holding site/ and native/ (stored, not deflated)
FILL = "GITORCH_ZIPAPP_FILL"  # set (to the cache folder) only for the background fill
_held = []  # type: list[int]  # the use lock's descriptor, open for the life of the process
_running = []  # type: list[int]  # the payload's lock (shared) while running from it; not inherited
_PLATFORMS = {("linux", "x86_64"): "linux-x86_64", ("linux", "amd64"): "linux-x86_64",
              ("linux", "aarch64"): "linux-aarch64", ("linux", "arm64"): "linux-aarch64",
              ("darwin", "arm64"): "macos-arm64", ("darwin", "x86_64"): "macos-x86_64",
              ("win32", "amd64"): "windows-amd64", ("win32", "x86_64"): "windows-amd64"}


def _platform_key():
    forced = os.environ.get("GITORCH_ZIPAPP_PLATFORM")  # for tests: pretend another platform
    if forced:
        return forced
    machine = (os.uname().machine if hasattr(os, "uname") else os.environ.get("PROCESSOR_ARCHITECTURE", ""))
    system = "linux" if sys.platform.startswith("linux") else sys.platform
    try:
        if system == "linux" and not os.confstr("CS_GNU_LIBC_VERSION"):
            return None  # musl: the bundled manylinux cores would not load
    except (ValueError, OSError):
        return None
    return _PLATFORMS.get((system, machine.lower()))


def user_cache_dir():
    """platformdirs.user_cache_dir("gitorch", appauthor=False), in the standard library (tests compare)."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
        return os.path.join(base, "gitorch", "Cache")
    if sys.platform == "darwin":
        return os.path.expanduser("~/Library/Caches/gitorch")
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.expanduser("~/.cache")
    return os.path.join(base, "gitorch")


def _cache_root():
    """GITORCH_CACHE_DIR, else the user cache dir, else a temp dir when `~` is not writable."""
    explicit = os.environ.get("GITORCH_CACHE_DIR")
    if explicit:
        return os.path.join(explicit, "zipapp")
    root = os.path.join(user_cache_dir(), "zipapp")
    if os.path.isdir(root) and os.access(root, os.W_OK):
        return root
    import tempfile

    try:
        os.makedirs(root, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".probe-"):
            return root
    except OSError:
        uid = os.getuid() if hasattr(os, "getuid") else 0
        return os.path.join(tempfile.gettempdir(), "gitorch-cache-%d" % uid, "zipapp")


def _flock(path, mode):
    """A descriptor holding `mode` (fcntl.LOCK_SH/EX, maybe | LOCK_NB) on `path`, None when it is
    taken (non-blocking); retried when a pruner unlinked the file meanwhile (never held on another)."""
    import fcntl

    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, mode)
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


def _hold(root, name, keep):
    """Hold a shared lock on the cache's file `name` for the life of this process (POSIX; in `keep`):
    `.<key>.lock` keeps the entry from being pruned, `.<key>.run` its payload from being dropped."""
    if sys.platform == "win32" or keep:
        return
    import fcntl

    try:
        keep.append(_flock(os.path.join(root, name), fcntl.LOCK_SH))
    except OSError:
        pass  # a read-only cache: nothing can prune or drop in it either


def _exclusive(root, name, wait=False):
    """A descriptor holding the exclusive lock on the cache's file `name`, waiting for it when `wait`,
    else None when another process holds it (or the cache is read-only); Windows: -1 (no shared locks)."""
    path = os.path.join(root, name)
    if sys.platform == "win32":
        if not wait:
            return -1
        import msvcrt

        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
        return fd
    import fcntl

    try:
        return _flock(path, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except OSError:
        if wait:
            raise
        return None


def _key():
    tag = "cp%d%d" % sys.version_info[:2]
    plat = _platform_key()
    return "%s-%s-%s" % (BUILD_ID, tag, plat or "system"), ("native/%s-%s/" % (tag, plat) if plat else None)


def prepare():
    """(the cache entry, the folder gitorch imports from, msgspec's core from the payload or None)."""
    key, native = _key()
    root = os.path.abspath(_cache_root())
    final = os.path.join(root, key)
    if os.path.exists(os.path.join(final, ".complete")):
        _hold(root, "." + key + ".lock", _held)
        if os.path.exists(os.path.join(final, ".complete")):  # not pruned before we held it
            names = os.listdir(root)  # the one listdir of the warm path
            if any(not n.startswith((BUILD_ID, "." + BUILD_ID)) for n in names):
                _prune(root)  # another build's files
            if "." + key + ".zip" in names:
                _drop_payload(root, key)  # its fill could not: a start from it still ran
            return final, final, None
    os.makedirs(root, exist_ok=True)
    _hold(root, "." + key + ".lock", _held)
    if native and sys.platform != "win32":
        _hold(root, "." + key + ".run", _running)
        if os.path.exists(os.path.join(final, ".complete")):  # filled, its payload dropped meanwhile
            return final, final, None
        payload = _payload(root, key)
        core = _core(root, key, native, payload)
        if core is not None:
            return final, os.path.join(payload, "site"), core
    final = _fill(root, key, native, True)
    return final, final, None


def _drop_payload(root, key):
    """Remove the payload and core copies (`.<key>.zip`, `.<key>.so`), needed only to run from
    the payload, once the entry is complete, unless a start from them still runs."""
    fd = _exclusive(root, "." + key + ".run")
    for suffix in (".zip", ".so") if fd is not None else ():
        try:
            os.unlink(os.path.join(root, "." + key + suffix))
        except OSError:
            pass  # gone already (Windows: another start's fill still reads it)
    if fd is not None and fd >= 0:
        os.close(fd)


def _written(path, data):
    """Write `data` to `path` atomically: a temporary file, synced (no cut copy after a crash), renamed."""
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    return path


def _payload(root, key, again=False):
    """The archive's payload in the cache (`.<key>.zip`, zipimport needs a file): written once,
    and again when `again` (the copy there did not open: empty, cut short)."""
    path = os.path.join(root, "." + key + ".zip")
    if again or not os.path.exists(path):
        import zipimport

        _written(path, zipimport.zipimporter(ARCHIVE).get_data(PAYLOAD))
    return path


def _core(root, key, native, payload):
    """msgspec's core for this interpreter as a file in the cache (`.<key>.so`, again unless of the payload's
    size), None if the payload has none. The payload opens here (written again, once, if it does not)."""
    import zipimport
    from importlib.machinery import EXTENSION_SUFFIXES

    try:
        archive = zipimport.zipimporter(payload)
    except zipimport.ZipImportError:
        archive = zipimport.zipimporter(_payload(root, key, True))
    path = os.path.join(root, "." + key + ".so")
    for suffix in EXTENSION_SUFFIXES:
        try:
            data = archive.get_data(native + "msgspec/_core" + suffix)
        except OSError:
            continue
        return path if os.path.exists(path) and os.path.getsize(path) == len(data) else _written(path, data)
    return None


class _Core(object):
    """Finds msgspec's core for a start from the archive (zipimport loads no compiled module)."""

    def __init__(self, path):
        self.path = path

    def find_spec(self, name, path=None, target=None):
        if name != "msgspec._core":
            return None
        import importlib.util  # an ExtensionFileLoader's spec, by the file's suffix (.so)

        return importlib.util.spec_from_file_location(name, self.path)


def _fill(root, key, native, wait):
    """Extract the entry `key` (sources, native core, bytecode) into a temporary folder renamed
    into place, under its fill lock; the entry, or None when another process fills it (`wait` False)."""
    import importlib.util
    import zipfile

    final = os.path.join(root, key)
    if os.path.exists(os.path.join(final, ".complete")):  # filled meanwhile (its payload maybe dropped)
        return final
    try:
        zf = zipfile.ZipFile(_payload(root, key))
    except (zipfile.BadZipFile, FileNotFoundError):  # a crash left it empty or cut short, or it was
        zf = zipfile.ZipFile(_payload(root, key, True))  # just dropped: written again, once
    with zf:
        if native and not any(n.startswith(native) for n in zf.namelist()):
            native = None
        if native is None and importlib.util.find_spec("msgspec") is None:
            sys.stderr.write("orch.pyz: no bundled msgspec for CPython %d.%d on %s-%s; install it with "
                             "`python -m pip install msgspec` (or install gitorch with pip)\n" % (
                                 sys.version_info[0], sys.version_info[1], sys.platform,
                                 os.uname().machine if hasattr(os, "uname") else "?"))
            sys.exit(2)
        lock = _exclusive(root, "." + key + ".fill", wait)
        if lock is None:
            return None
        try:  # held to the end: once the fill lock is free, so is this fill's try to drop the payload
            if not os.path.exists(os.path.join(final, ".complete")):  # else filled meanwhile
                _fill_entry(zf, root, key, native)
            zf.close()  # before the drop (Windows unlinks no open file)
            _prune(root)
            _drop_payload(root, key)
        finally:
            os.close(lock)
    return final


def _fill_entry(zf, root, key, native):
    import shutil
    import tempfile

    final = os.path.join(root, key)
    for name in os.listdir(root):  # what a killed fill left (none runs: we hold the lock)
        if name.startswith(".tmp-%s-" % key) or name == key:
            shutil.rmtree(os.path.join(root, name), ignore_errors=True)
    tmp = tempfile.mkdtemp(prefix=".tmp-%s-" % key, dir=root)
    try:
        _extract(zf, tmp, native, final)
        with open(os.path.join(tmp, ".complete"), "w") as marker:
            marker.write(BUILD_ID + "\n")
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _extract(zf, dest, native, final):
    """site/ (without msgspec when no core is bundled: the interpreter's is used) and the core,
    with bytecode: the archive's where it is this interpreter's, compiled here for the rest."""
    import importlib.util
    import py_compile

    names = set(zf.namelist())
    fresh = []
    for name in sorted(names):
        if name.endswith(".pyc"):
            continue  # the archive's bytecode: written below, beside its source
        if name.startswith("site/") and (native or not name.startswith("site/msgspec/")):
            rel = name[len("site/"):]
        elif native and name.startswith(native):
            rel = name[len(native):]
        else:
            continue
        target = os.path.join(dest, *rel.split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as out:
            out.write(zf.read(name))
        if not rel.endswith(".py") or sys.implementation.cache_tag is None:
            continue
        shipped = zf.read(name + "c") if name + "c" in names else b""
        if shipped[:4] == importlib.util.MAGIC_NUMBER:
            cfile = importlib.util.cache_from_source(target)
            os.makedirs(os.path.dirname(cfile), exist_ok=True)
            with open(cfile, "wb") as out:
                out.write(shipped)
        else:
            fresh.append((target, os.path.join(final, *rel.split("/"))))
    for source, shown in fresh:  # `shown`: where the module will be, for tracebacks
        try:
            py_compile.compile(source, dfile=shown, doraise=True)
        except (py_compile.PyCompileError, OSError):
            pass  # an import compiles it (a source only some Python parses)


def _fill_later(root):
    """After a start from the archive: flush the output, then start the detached, niced
    process that fills the cache (stdio on /dev/null, its own session, our use lock held)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    if not sys.executable:
        return
    env = dict(os.environ, **{FILL: root})
    null = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    try:  # posix_spawn, not subprocess: nothing to reap, no "still running" warning at exit
        for fd in _held:
            os.set_inheritable(fd, True)
        os.posix_spawn(sys.executable, [sys.executable, "-I", "-S", ARCHIVE], env, file_actions=null,
                       setsid=True)
    except (OSError, NotImplementedError, AttributeError):
        pass  # the next start runs from the archive again and tries once more


def _prune(root):
    """Remove the entries of other builds no process uses (an entry in use holds its shared lock): folder,
    temporary folders, payload, core, fill and run locks, last the use lock. This build's all stay."""
    if sys.platform == "win32":
        return  # msvcrt has no shared locks: an entry in use cannot be told apart
    import shutil

    keys = {n[len(".tmp-"):].rsplit("-", 1)[0] if n.startswith(".tmp-") else n.lstrip(".").split(".", 1)[0]
            for n in os.listdir(root)}  # .tmp-<key>-*, <key>, .<key>.fill|lock|run|so|zip (no dot in a key)
    for key in sorted(keys):
        fd = None if key.split("-", 1)[0] == BUILD_ID else _exclusive(root, "." + key + ".lock")
        if fd is None:
            continue  # this build's, or in use
        try:
            shutil.rmtree(os.path.join(root, key), ignore_errors=True)
            for name in os.listdir(root):
                if name.startswith(".tmp-%s-" % key):
                    shutil.rmtree(os.path.join(root, name), ignore_errors=True)
                elif name.startswith(".%s." % key) and name != "." + key + ".lock":
                    os.unlink(os.path.join(root, name))
            os.unlink(os.path.join(root, "." + key + ".lock"))
        except OSError:
            pass
        finally:
            os.close(fd)


def main():
    if os.environ.get(FILL):  # the process _fill_later starts: fill unless another one is at it
        os.nice(10)  # the user's next command keeps the CPU
        key, native = _key()
        return _fill(os.environ[FILL], key, native, False)
    try:
        path, folder, core = prepare()
    except OSError as exc:
        sys.stderr.write("orch.pyz: cannot prepare the cache (%s); set GITORCH_CACHE_DIR to a writable "
                         "folder\n" % exc)
        sys.exit(2)
    rest = [p for p in sys.path if p != ARCHIVE and os.path.abspath(p or ".") != ARCHIVE]
    os.environ["GITORCH_ZIPAPP"] = ARCHIVE
    os.environ["GITORCH_ZIPAPP_CACHE"] = path
    os.environ["GITORCH_ZIPAPP_SITE"] = folder if core is not None else ""  # for gitorch/invocation
    sys.path[:] = [folder] + rest
    if core is not None:
        sys.meta_path.insert(0, _Core(core))
    try:
        from gitorch.cli.entry import main as run

        return run()
    finally:
        if core is not None:  # started from the payload: fill the cache for the next starts
            _fill_later(os.path.dirname(path))


main()
