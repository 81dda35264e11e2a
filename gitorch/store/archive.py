"""State as a tarball, for sessions that cannot push (export) and for bringing it back (import).

The tarball holds `metadata.json` (repo identity, time, gitorch version, tips),
`state.bundle` (a git bundle of the state branch and notes: exact objects, so an import
merges exactly like a sync) and `events.jsonl` (the events, for people and other tools).
Import merges into the local state as a union; it never replaces anything.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import tarfile
import tempfile
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from gitorch import __version__, atomic
from gitorch import events as ev
from gitorch.errors import StateConflict, UsageError
from gitorch.gitcmd import git
from gitorch.store.state import StateStore
from gitorch.store.sync import MergeResult, merge_notes, merge_state

FORMAT = "gitorch-state-export"
PASSPHRASE_ENV = "GITORCH_EXPORT_PASSPHRASE"
LIMIT_ENV = "GITORCH_IMPORT_MAX_SIZE"
DEFAULT_LIMIT = 256 << 20  # real state bundles are a few MiB; a bomb is refused from its headers
MAX_METADATA = 1 << 20
CHUNK = 1 << 20
IMPORT_STATE, IMPORT_NOTES = "refs/orch/import/state", "refs/orch/import/notes"


class Metadata(msgspec.Struct, kw_only=True):
    format: str = FORMAT
    schema_version: int = 1
    gitorch: str = __version__
    exported: str = ""
    host: str = ""
    repo: str = ""  # the repository's path where it was exported
    remotes: dict[str, str] = {}
    root_commits: list[str] = []  # identity of the code history (first commits)
    branch: str = ""
    state_tip: str | None = None
    notes_ref: str = ""
    notes_tip: str | None = None
    events: int = 0


def _identity(store: StateStore) -> tuple[dict[str, str], list[str]]:
    cwd = store.repo.cwd
    remotes: dict[str, str] = {}
    for name in git(["remote"], cwd).stdout.decode().split():
        url = git(["remote", "get-url", name], cwd, check=False).stdout.decode().strip()
        remotes[name] = url
    proc = git(["rev-list", "--max-parents=0", "HEAD"], cwd, check=False)
    roots = proc.stdout.decode().split() if proc.returncode == 0 else []
    return remotes, roots


def default_name(store: StateStore) -> str:
    base = (store.repo.root or store.repo.git_dir).name.removesuffix(".git") or "repo"
    return f"orch-state-{base}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.tar.gz"


def _check_out(out: Path) -> None:
    """Refuse an output path that cannot be a file, before any work is done."""
    if out.is_dir():
        raise UsageError(f"{out}: is a directory; give a file name (-o {out / 'state.tar.gz'})")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"{out}: {parent} is not a directory")
            break


def export(store: StateStore, out: Path, *, encrypt: bool = False,
           ask: Callable[[str], str] | None = None) -> Metadata:
    """Write the state (after folding in the journal) to `out` as a .tar.gz (`encrypt`: then
    encrypted with gpg, AES256, a passphrase from GITORCH_EXPORT_PASSPHRASE or `ask`).

    Written beside `out` and renamed into place, so an interrupted export never leaves a
    truncated tarball (nor spoils an earlier one at that path)."""
    _check_out(out)
    passphrase = passphrase_for("export", ask) if encrypt else None
    store.flush()
    tip = store.tip()
    if tip is None:
        raise UsageError("nothing to export: this repository has no gitorch state yet")
    notes_tip = store.backend.read_ref(store.notes_ref)
    events = store.events()
    remotes, roots = _identity(store)
    meta = Metadata(
        exported=ev.now(), host=socket.gethostname(), repo=str(store.repo.root or store.repo.git_dir),
        remotes=remotes, root_commits=roots, branch=store.branch, state_tip=tip,
        notes_ref=store.notes_ref, notes_tip=notes_tip, events=len(events),
    )
    with tempfile.TemporaryDirectory(dir=store.scratch()) as tmp:
        bundle = Path(tmp) / "state.bundle"
        refs = [store.ref] + ([store.notes_ref] if notes_tip else [])
        git(["bundle", "create", "--quiet", str(bundle), *refs], store.repo.cwd)
        plain = Path(tmp) / "state.tar.gz"
        with tarfile.open(plain, "w:gz") as tar:
            _add(tar, "metadata.json", msgspec.json.format(msgspec.json.encode(meta)) + b"\n")
            tar.add(bundle, arcname="state.bundle")
            _add(tar, "events.jsonl", ev.encode_lines(events))
        if passphrase is not None:
            sealed = Path(tmp) / "state.tar.gz.gpg"
            gpg(["--symmetric", "--cipher-algo", "AES256", "--compress-algo", "none",
                 "-o", str(sealed), str(plain)], passphrase, what=str(out))
            plain = sealed
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            with atomic.replacing(out) as fh, plain.open("rb") as src:
                shutil.copyfileobj(src, fh, CHUNK)
        except OSError as exc:
            raise UsageError(f"{out}: cannot write the export: {exc.strerror or exc}") from None
    return meta


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))


def import_(store: StateStore, path: Path, *, force: bool = False, max_size: int | None = None,
            ask: Callable[[str], str] | None = None) -> tuple[Metadata, MergeResult]:
    """Merge the state in the tarball at `path` into this repository's state.

    The archive is streamed, never read whole: an encrypted one is decrypted by gpg to a temp
    file (asking for the passphrase), and the tarball's members are checked against
    `max_size` (default `import_limit()`) from their headers before anything is unpacked.
    An export of another project (no root commit in common) is refused unless `force`:
    its runs and notes would describe commits this repository does not have."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    limit = max_size if max_size is not None else import_limit()
    with tempfile.TemporaryDirectory(dir=store.scratch()) as tmp:
        source = path
        if is_encrypted(path):
            source = Path(tmp) / "state.tar.gz"
            gpg(["--max-output", str(limit + (1 << 20)), "--decrypt", "-o", str(source), str(path)],
                passphrase_for("import", ask), what=str(path))
        meta, bundle = _unpack(path, source, Path(tmp), limit)
        _check_metadata(store, path, meta, force)
        store.flush()
        specs = [f"+refs/heads/{meta.branch}:{IMPORT_STATE}"]
        if meta.notes_tip:
            specs.append(f"+{meta.notes_ref}:{IMPORT_NOTES}")
        proc = git(["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", str(bundle), *specs],
                   store.repo.cwd, check=False)
        if proc.returncode != 0:
            said = proc.stderr.decode(errors="replace").strip().splitlines()
            raise UsageError(f"{path}: not a gitorch state export (its state.bundle does not read: "
                             f"{said[0] if said else 'git fetch failed'})")
    result = merge_state(store, store.backend.read_ref(IMPORT_STATE))
    result.notes = merge_notes(store, store.backend.read_ref(IMPORT_NOTES) if meta.notes_tip else None)
    return meta, result


def _unpack(path: Path, source: Path, tmp: Path, limit: int) -> tuple[Metadata, Path]:
    """Stream the tarball: metadata.json decoded, state.bundle copied to `tmp` in chunks; every
    member's size (from its header) counted against `limit` before it is read."""
    meta: Metadata | None = None
    bundle: Path | None = None
    total = 0
    try:
        with tarfile.open(source, "r|gz") as tar:
            for info in tar:
                total += info.size
                if total > limit:
                    raise UsageError(f"{path}: unpacks to more than {_human(limit)} (at {info.name}, "
                                     f"{_human(info.size)}); refused before unpacking",
                                     hint=f"raise the limit with {LIMIT_ENV} (e.g. {LIMIT_ENV}=2G) "
                                          "if you trust it")
                member = tar.extractfile(info) if info.isfile() else None
                if member is None:
                    continue
                if info.name == "metadata.json":
                    if info.size > MAX_METADATA:
                        raise UsageError(f"{path}: metadata.json is {_human(info.size)}; not an export")
                    meta = msgspec.json.decode(member.read(), type=Metadata)
                elif info.name == "state.bundle":
                    bundle = tmp / "state.bundle"
                    with bundle.open("wb") as out:
                        shutil.copyfileobj(member, out, CHUNK)
    except (tarfile.TarError, OSError, EOFError, zlib.error, msgspec.DecodeError,
            msgspec.ValidationError) as exc:
        raise UsageError(f"{path}: not a gitorch state export ({exc})") from None
    if meta is None or bundle is None:
        raise UsageError(f"{path}: not a gitorch state export (no "
                         f"{'metadata.json' if meta is None else 'state.bundle'})")
    with bundle.open("rb") as fh:  # git would first try it as a repository, slowly, if it is not
        if fh.readline(64) not in (b"# v2 git bundle\n", b"# v3 git bundle\n"):
            raise UsageError(f"{path}: not a gitorch state export (its state.bundle does not read: "
                             "not a git bundle)")
    return meta, bundle


def _check_metadata(store: StateStore, path: Path, meta: Metadata, force: bool) -> None:
    if meta.format != FORMAT:
        raise UsageError(f"{path}: format '{meta.format}' is not {FORMAT}")
    if meta.schema_version > 1:
        raise StateConflict(f"{path}: exported by a newer gitorch ({meta.gitorch}); upgrade to import it")
    _remotes, roots = _identity(store)
    if not force and roots and meta.root_commits and not set(roots) & set(meta.root_commits):
        raise UsageError(
            f"{path} was exported from another repository ({meta.repo}): no root commit in common",
            hint="`git orch import --force` merges it anyway",
        )


# --- limits and encryption ---------------------------------------------------------------

def import_limit() -> int:
    """The most an import may unpack: GITORCH_IMPORT_MAX_SIZE (bytes, or with K/M/G), else 256 MiB."""
    raw = os.environ.get(LIMIT_ENV, "").strip().upper()
    if not raw:
        return DEFAULT_LIMIT
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    try:
        return int(float(raw[:-1]) * units[raw[-1]]) if raw[-1] in units else int(raw)
    except ValueError:
        raise UsageError(f"{LIMIT_ENV}={raw!r}: expected a size such as 512M or 2G") from None


def _human(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def is_encrypted(path: Path) -> bool:
    """An OpenPGP message (binary packet or ASCII armour), not a gzip stream."""
    with path.open("rb") as fh:
        head = fh.read(32)
    if head[:2] == b"\x1f\x8b":
        return False
    return head.startswith(b"-----BEGIN PGP MESSAGE") or bool(head) and bool(head[0] & 0x80)


def passphrase_for(action: str, ask: Callable[[str], str] | None) -> str:
    """GITORCH_EXPORT_PASSPHRASE, else `ask` (a prompt; twice when exporting); never logged."""
    given = os.environ.get(PASSPHRASE_ENV)
    if given:
        return given
    if ask is None:
        raise UsageError(f"{action} of an encrypted archive needs a passphrase: set {PASSPHRASE_ENV} "
                         "or run it in a terminal")
    first = ask("passphrase: ")
    if action == "export" and ask("passphrase again: ") != first:
        raise UsageError("the passphrases do not match; nothing exported")
    if not first:
        raise UsageError("an empty passphrase; nothing done")
    return first


def gpg(args: list[str], passphrase: str, *, what: str) -> None:
    """Run gpg in a throwaway home with the passphrase on a pipe (--passphrase-fd, loopback
    pinentry: never on the command line); a wrong passphrase is a UsageError naming `what`."""
    import subprocess

    if shutil.which("gpg") is None:
        raise UsageError("gpg is not installed; install GnuPG to export or import encrypted archives")
    home = tempfile.mkdtemp(prefix="orch-gpg-")
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, passphrase.encode() + b"\n")
        os.close(write_end)
        proc = subprocess.run(
            ["gpg", "--homedir", home, "--batch", "--yes", "--quiet", "--no-tty", "--no-options",
             "--pinentry-mode", "loopback", "--passphrase-fd", str(read_end), *args],
            pass_fds=(read_end,), capture_output=True, stdin=subprocess.DEVNULL)
    finally:
        os.close(read_end)
        subprocess.run(["gpgconf", "--homedir", home, "--kill", "gpg-agent"], capture_output=True,
                       check=False)
        shutil.rmtree(home, ignore_errors=True)
    if proc.returncode != 0:
        said = proc.stderr.decode(errors="replace")
        if "Bad session key" in said or "decryption failed" in said:
            raise UsageError(f"{what}: wrong passphrase (or damaged archive); nothing imported")
        if "--max-output" in " ".join(args) and "exceeded" in said.lower():
            raise UsageError(f"{what}: decrypts to more than the import limit; refused")
        first = said.strip().splitlines()[0] if said.strip() else f"exit {proc.returncode}"
        raise UsageError(f"{what}: gpg failed: {first}")


def terminal_prompt() -> Callable[[str], str] | None:
    """A passphrase prompt on the terminal (input not echoed), or None without a terminal."""
    import sys

    if not sys.stdin.isatty():
        return None
    import getpass

    return lambda text: getpass.getpass(f"git orch: {text}")
