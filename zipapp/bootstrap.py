"""orch.pyz bootstrap: run gitorch from the archive with nothing installed but Python and git.

On first start the pure-Python packages (site/) and the msgspec core matching this
interpreter (native/<key>/) are extracted into the user cache directory, under a lock, into
a temporary folder renamed into place, keyed by the build id: concurrent first starts are
safe and later starts import from there with ordinary bytecode caching.
"""

import os
import sys

if sys.version_info < (3, 11):
    sys.stderr.write("orch.pyz: gitorch needs Python 3.11 or newer (this is %d.%d)\n" % sys.version_info[:2])
    sys.exit(2)

# The warm path (cache already extracted) imports nothing beyond os and sys.
ARCHIVE = os.path.dirname(os.path.abspath(__file__))
BUILD_ID = "@BUILD_ID@"  # replaced by zipapp/build.py


def _platform_key() -> str | None:
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


def user_cache_dir() -> str:
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


def _writable(path: str) -> bool:
    import tempfile

    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-"):
            return True
    except OSError:
        return False


def _cache_root() -> str:
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
    return os.path.join(tempfile.gettempdir(), f"gitorch-cache-{uid}", "zipapp")


class _Lock:
    """An exclusive lock on a file (fcntl on POSIX, msvcrt on Windows), stdlib only."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __enter__(self) -> "_Lock":
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(self.fd, msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)  # closing releases the lock


def _extract(
    zf: "zipfile.ZipFile",  # noqa: F821 (zipfile is imported on the slow path only)
    dest: str,
    native: str | None,
    skip_msgspec: bool,
) -> None:
    folders: set[str] = set()
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


def _key() -> tuple[str, str | None]:
    tag = "cp%d%d" % sys.version_info[:2]
    plat = _platform_key()
    return f"{BUILD_ID}-{tag}-{plat or 'system'}", (f"native/{tag}-{plat}/" if plat else None)


def prepare() -> str:
    """The directory to import gitorch from, extracting it on first start."""
    key, native = _key()
    root = _cache_root()
    final = os.path.join(root, key)
    if os.path.exists(os.path.join(final, ".complete")):
        return final
    return _first_start(root, key, native)


def _first_start(root: str, key: str, native: str | None) -> str:
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
                    f"orch.pyz: no bundled msgspec for CPython {sys.version_info[0]}.{sys.version_info[1]} "
                    f"on {sys.platform}-{os.uname().machine if hasattr(os, 'uname') else '?'}; install it "
                    "with `python -m pip install msgspec` (or install gitorch with pip)\n"
                )
                sys.exit(2)
            skip_msgspec = True  # use the interpreter's own msgspec
        os.makedirs(root, exist_ok=True)
        with _Lock(os.path.join(root, f".{key}.lock")):
            if os.path.exists(os.path.join(final, ".complete")):
                return final  # another first start finished while we waited
            tmp = tempfile.mkdtemp(prefix=f".tmp-{key}-", dir=root)
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
    return final


def main() -> None:
    try:
        path = prepare()
    except OSError as exc:
        sys.stderr.write(
            f"orch.pyz: cannot prepare the cache ({exc}); set GITORCH_CACHE_DIR to a writable folder\n"
        )
        sys.exit(2)
    sys.path[:] = [path] + [p for p in sys.path if p != ARCHIVE and os.path.abspath(p or ".") != ARCHIVE]
    os.environ["GITORCH_ZIPAPP"] = ARCHIVE
    os.environ["GITORCH_ZIPAPP_CACHE"] = path
    from gitorch.cli.entry import main as run

    run()


main()
