"""Build dist/orch.pyz: the whole of gitorch as one file that runs with only Python and git.

Layout of the archive (all entries sorted, fixed timestamps, so the same inputs give the
same bytes):

    __main__.py                 the bootstrap (zipapp/bootstrap.py; parses on any Python)
    __main__.pyc                its bytecode for the interpreter that ran the build
    BUILD_ID                    sha256 of site/ and native/; keys the extraction cache
    payload.zip                 stored (not deflated), a zip of its own holding:
      site/<package>/...        gitorch and its pure-Python dependencies (sources)
      site/<package>/....pyc    bytecode of the modules the everyday commands import, for
                                the build's interpreter only (zipapp/hotset.py; optional)
      native/<key>/msgspec/...  msgspec's compiled core per interpreter and platform,
                                key = cp311-linux-x86_64, cp313-macos-arm64, ...

`python orch.pyz` has zipimport read the whole directory of the archive (in Python, ~37,000
instructions a member) before the bootstrap runs, on every start: with the ~700 members in
payload.zip the archive itself has four. A first start writes the payload and the one native
core it needs to the cache, imports gitorch from the payload (zipimport), and leaves filling
the cache (everything extracted, bytecode for every module) to a background process; later
starts import from there with ordinary bytecode. See docs/zipapp.md.

Usage: python zipapp/build.py [--out dist/orch.pyz] [--wheels DIR] [--no-bytecode]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata as metadata
import io
import re
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# Pure-Python distributions that travel inside the archive (gitorch's dependency closure).
BUNDLED = [
    "typer", "shellingham", "annotated-doc",
    "httpx", "httpcore", "h11", "anyio", "idna", "certifi", "typing_extensions",
    "platformdirs", "portalocker", "tomli_w", "PyYAML",
]
# Left out on purpose: pygit2 (compiled; the zipapp uses the git-CLI backend), rich (typer's
# optional pretty help, 3 MB), msgspec (compiled: shipped per platform under native/).
EXCLUDED = {"pygit2", "rich", "msgspec", "cffi", "pycparser", "colorama", "pywin32", "exceptiongroup"}

PYTHONS = ["3.11", "3.12", "3.13", "3.14"]
# (pip --platform, key used by the bootstrap)
PLATFORMS = [
    ("manylinux2014_x86_64", "linux-x86_64"),
    ("manylinux2014_aarch64", "linux-aarch64"),
    ("macosx_14_0_arm64", "macos-arm64"),
    ("macosx_14_0_x86_64", "macos-x86_64"),
    ("win_amd64", "windows-amd64"),
]
PACKAGE_SUFFIXES = {".py", ".typed", ".sh", ".json", ".toml", ".txt"}
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
ARCHIVE_LIMIT = 6_000_000  # bytes: the hot bytecode is cut to stay under it
PAYLOAD = "payload.zip"  # bootstrap.PAYLOAD
SKIP = re.compile(r"(__pycache__/|\.pyc$|\.so$|\.pyd$|\.dylib$|\.dist-info/|\.egg-info/|\.pth$)")


def _requirement_name(req: str) -> str | None:
    """The distribution a requirement names, or None when it is only for extras."""
    if "extra ==" in req:
        return None
    return re.split(r"[ ;<>=!~\[(]", req, maxsplit=1)[0]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def check_closure() -> None:
    """Fail the build when a dependency is neither bundled nor deliberately excluded."""
    known = {_norm(n) for n in BUNDLED} | {_norm(n) for n in EXCLUDED}
    for dist in ["gitorch", *BUNDLED]:
        for req in metadata.requires(dist) or []:
            name = _requirement_name(req)
            if name and _norm(name) not in known:
                raise SystemExit(f"build: {dist} needs {name}, which is neither bundled nor excluded")


def pure_files(dist_name: str) -> dict[str, bytes]:
    """The importable files of one installed distribution, keyed by archive path."""
    if dist_name == "gitorch":
        base = ROOT
        paths = sorted(
            p for p in (ROOT / "gitorch").rglob("*") if p.is_file() and p.suffix in PACKAGE_SUFFIXES
        )
        rels = [p.relative_to(base).as_posix() for p in paths]
    else:
        dist = metadata.distribution(dist_name)
        base = Path(str(dist.locate_file("")))
        rels = sorted(str(f) for f in dist.files or [])
    out: dict[str, bytes] = {}
    for rel in rels:
        if SKIP.search(rel) or rel.startswith(".."):
            continue
        out["site/" + rel] = (base / rel).read_bytes()
    return out


def download_msgspec(wheels: Path) -> list[Path]:
    """msgspec wheels for every supported interpreter and platform (from the package index)."""
    version = metadata.version("msgspec")
    wheels.mkdir(parents=True, exist_ok=True)
    found: list[Path] = []
    for py in PYTHONS:
        for plat, _key in PLATFORMS:
            tag = f"cp{py.replace('.', '')}"
            have = [w for w in wheels.glob(f"msgspec-{version}-{tag}-{tag}-*.whl") if _plat_key(w) == _key]
            if not have:
                subprocess.run(
                    [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check",
                     "--no-deps", "--only-binary=:all:", "-d", str(wheels), "--python-version", py,
                     "--platform", plat, f"msgspec=={version}"],
                    check=True,
                )
                have = [w for w in wheels.glob(f"msgspec-{version}-{tag}-{tag}-*.whl")
                        if _plat_key(w) == _key]
            if not have:
                raise SystemExit(f"build: no msgspec {version} wheel for {tag} {plat}")
            found.append(sorted(have)[0])
    return found


def _plat_key(wheel: Path) -> str | None:
    name = wheel.name
    if "manylinux" in name:
        return "linux-x86_64" if "x86_64" in name else "linux-aarch64" if "aarch64" in name else None
    if "macosx" in name:
        return "macos-arm64" if name.endswith("arm64.whl") else "macos-x86_64" if "x86_64" in name else None
    if "win_amd64" in name:
        return "windows-amd64"
    return None


def msgspec_files(wheels: list[Path]) -> dict[str, bytes]:
    """msgspec's Python sources once (under site/) and each wheel's compiled core (native/)."""
    out: dict[str, bytes] = {}
    for wheel in wheels:
        tag = wheel.name.split("-")[2]
        key = f"{tag}-{_plat_key(wheel)}"
        with zipfile.ZipFile(wheel) as zf:
            for name in sorted(zf.namelist()):
                if not name.startswith("msgspec/") or name.endswith("/"):
                    continue
                data = zf.read(name)
                if name.endswith((".so", ".pyd")):
                    out[f"native/{key}/{name}"] = data
                else:
                    out.setdefault(f"site/{name}", data)
    return out


def _zip_bytes(files: dict[str, bytes], level: int | None, stored: frozenset[str] = frozenset()) -> bytes:
    """A zip of `files` with sorted entries and fixed metadata; stored when `level` is None
    (and the members named in `stored`)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.create_system = 3
            flat = level is None or name in stored
            info.compress_type = zipfile.ZIP_STORED if flat else zipfile.ZIP_DEFLATED
            zf.writestr(info, files[name], compresslevel=None if flat else level)
    return buf.getvalue()


def _archive(outer: dict[str, bytes], payload: bytes) -> bytes:
    """The archive: `outer`'s members (the bootstrap, BUILD_ID) deflated, the payload stored."""
    return _zip_bytes({**outer, PAYLOAD: payload}, 9, frozenset({PAYLOAD}))


def _entry_cost(name: str, data: bytes) -> int:
    """Bytes one deflated member adds to the archive: its data, local and central headers."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return len(packer.compress(data) + packer.flush()) + 30 + 46 + 2 * len(name.encode())


def _fitting(files: dict[str, bytes], extra: list[tuple[str, bytes]], reserve: int = 0) -> bytes:
    """The zip of `files` plus as many of `extra`'s leading members as keep it, with `reserve`
    bytes more, under the archive's limit (usually all of them: one pass)."""
    limit = ARCHIVE_LIMIT - reserve
    while True:
        data = _zip_bytes({**files, **dict(extra)}, 9)
        size = len(data) + 64  # the shebang line
        if size <= limit or not extra:
            return data
        while extra and size > limit:
            size -= _entry_cost(*extra.pop())


def build(out: Path, wheels_dir: Path, bytecode: bool = True) -> Path:
    check_closure()
    files: dict[str, bytes] = {}
    for dist in ["gitorch", *BUNDLED]:
        files.update(pure_files(dist))
    files.update(msgspec_files(download_msgspec(wheels_dir)))
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    build_id = digest.hexdigest()[:16]

    main_py = (HERE / "bootstrap.py").read_bytes().replace(b"@BUILD_ID@", build_id.encode())
    outer = {"__main__.py": main_py, "BUILD_ID": build_id.encode()}
    if bytecode:
        sys.dont_write_bytecode = True  # no zipapp/__pycache__ in the work tree
        from hotset import hot_bytecode

        hot = hot_bytecode({**files, **outer})
        outer.update(hot[:1])  # __main__.pyc
        overhead = len(_archive(outer, b""))  # what the archive adds around its payload
        archive = _archive(outer, _fitting(files, hot[1:], overhead))
    else:
        archive = _archive(outer, _zip_bytes(files, 9))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(b"#!/usr/bin/env python3\n" + archive)
    tmp.chmod(0o755)
    tmp.replace(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "dist" / "orch.pyz"))
    parser.add_argument("--wheels", default=str(ROOT / "build" / "wheels"))
    parser.add_argument("--no-bytecode", action="store_true",
                        help="leave out the bytecode of the everyday commands' modules (slower first start)")
    args = parser.parse_args()
    path = build(Path(args.out), Path(args.wheels), bytecode=not args.no_bytecode)
    size = path.stat().st_size
    print(f"built {path} ({size / 1e6:.2f} MB, build {zipfile.ZipFile(path).read('BUILD_ID').decode()})")


if __name__ == "__main__":
    main()
