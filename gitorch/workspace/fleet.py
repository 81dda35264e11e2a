"""Fleet: one saved workspace plan applied on several machines over ssh.

Each host is `ssh://[user@]host[:port]/path`, where `path` is the remote workspace (the folder
holding its workspace.toml). The plan is re-rooted there: every absolute path of the plan
that lies at or under one of the local workspace's folders is moved to the same place
relative to the remote workspace (so the remote must have the same layout, e.g. `../lib`
beside its manifest folder). A plan that embeds a local path elsewhere (a PEP 508
`file://` link writes the absolute path into the manifest) cannot be re-rooted and fails
for that host, naming it. The remote then applies it as `ws apply` does: preconditions are
checked there, against its own disk. orch.pyz is copied to the remote's cache, named by its
digest, when it is not there yet; ssh runs with BatchMode (it never prompts).
"""

from __future__ import annotations

import hashlib
import os
import shlex
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgspec

from gitorch.errors import Location, UsageError, WorkspaceError
from gitorch.workspace.plan import WorkspacePlan, plan_id
from gitorch.workspace.toolrun import run_streamed

SSH_ENV = "GITORCH_SSH"  # the ssh command (default `ssh`), e.g. `ssh -F ~/.ssh/fleet_config`
_CACHE = '"${GITORCH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/gitorch}/fleet"'


@dataclass(frozen=True)
class Host:
    url: str
    dest: str  # [user@]host
    port: int | None
    path: str  # the remote workspace, absolute

    @property
    def name(self) -> str:
        return self.dest + (f":{self.port}" if self.port else "")


@dataclass
class HostResult:
    host: Host
    code: int
    last: str = ""


def parse_host(url: str, where: str | None = None) -> Host:
    """`ssh://[user@]host[:port]/path`; anything else is a located usage error."""
    loc = Location(file=where) if where else None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"bad --remote {url!r}: {exc}", where=loc) from None
    if parts.scheme != "ssh" or not parts.hostname or not parts.path.startswith("/") \
            or parts.path == "/" or parts.query or parts.fragment:
        raise UsageError(f"bad --remote {url!r}: expected ssh://[user@]host[:port]/absolute/path",
                         where=loc)
    if parts.password is not None:
        raise UsageError(f"bad --remote {url!r}: no passwords in the URL; use an ssh key", where=loc)
    dest = (f"{parts.username}@" if parts.username else "") + parts.hostname
    return Host(url=url.strip(), dest=dest, port=port, path=os.path.normpath(parts.path))


def read_fleet(file: Path) -> list[Host]:
    """One ssh URL per line; blank lines and `#` comments are skipped."""
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the fleet file: {exc}", where=Location(file=str(file))) from None
    hosts = [parse_host(ln, f"{file}:{n}") for n, ln in enumerate(lines, 1)
             if ln.strip() and not ln.strip().startswith("#")]
    if not hosts:
        raise UsageError("the fleet file names no host", where=Location(file=str(file)))
    return hosts


def reroot(plan: WorkspacePlan, remote_root: str) -> WorkspacePlan:
    """The plan with the local workspace's paths moved under `remote_root` (and a new id)."""
    local = os.path.normpath(plan.root)
    if remote_root == local:
        return plan
    folders = {local} | {str(r["path"]) for view in (plan.current, plan.desired)
                         for r in view.get("repos", {}).values() if isinstance(r, dict) and "path" in r}
    mapping = {p: os.path.normpath(os.path.join(remote_root, os.path.relpath(p, local)))
               for p in sorted(folders, key=len, reverse=True)}
    stuck: list[str] = []

    def move(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: move(v) for k, v in value.items()}
        if isinstance(value, list):
            return [move(v) for v in value]
        if not isinstance(value, str):
            return value
        for old, new in mapping.items():
            if value == old or value.startswith(old + "/"):
                return new + value[len(old):]
        if any(old in value for old in mapping):
            stuck.append(value)
        return value

    moved = move(msgspec.to_builtins(plan))
    if stuck:
        raise WorkspaceError(f"the plan cannot be re-rooted to {remote_root}: it embeds a local path "
                             f"in {stuck[0][:120]!r}",
                             hint="make the plan on that machine with `git orch ws plan`")
    new = msgspec.convert(moved, WorkspacePlan)
    return msgspec.structs.replace(new, id=plan_id(new))


def ssh_command(host: Host, script: str) -> list[str]:
    base = shlex.split(os.environ.get(SSH_ENV, "ssh"))
    return [*base, "-o", "BatchMode=yes", *(["-p", str(host.port)] if host.port else []), host.dest, script]


def _pyz_name(pyz: bytes) -> str:
    return f"orch-{hashlib.sha256(pyz).hexdigest()[:16]}.pyz"


def _copy_pyz(host: Host, pyz: bytes, say: Callable[[str], None]) -> int:
    """Copy orch.pyz into the remote cache unless it is there; the ssh exit code."""
    name = _pyz_name(pyz)
    script = (f'c={_CACHE}; test -f "$c/{name}" && exit 0; mkdir -p "$c" && '
              f'cat > "$c/{name}.$$" && mv "$c/{name}.$$" "$c/{name}" && echo "copied orch.pyz to $c"')
    return run_streamed(ssh_command(host, script), stdin=pyz, on_line=say)


def _run_plan(host: Host, plan: bytes, pyz_name: str, python: str, force: bool,
              say: Callable[[str], None]) -> HostResult:
    flags = " --force" if force else ""
    script = (f"cd {shlex.quote(host.path)} || exit 2; f=$(mktemp) || exit 1; cat > \"$f\"; "
              f'{shlex.quote(python)} {_CACHE}/{pyz_name} ws apply "$f"{flags}; rc=$?; rm -f "$f"; exit $rc')
    said: list[str] = []

    def keep(line: str) -> None:
        say(line)
        if line.strip() and not line.strip().startswith("hint:"):
            said.append(line.strip())

    code = run_streamed(ssh_command(host, script), stdin=plan, on_line=keep)
    return HostResult(host=host, code=code, last=said[-1] if said else "")


def apply_fleet(plan: WorkspacePlan, hosts: list[Host], pyz: bytes, *, jobs: int = 4,
                force: bool = False, python: str = "python3",
                out: Callable[[str], None] = print) -> list[HostResult]:
    """Apply `plan` on every host (up to `jobs` at once); output lines are prefixed by host."""
    lock = threading.Lock()
    width = max(len(h.name) for h in hosts)

    def one(host: Host) -> HostResult:
        def say(line: str) -> None:
            with lock:
                out(f"[{host.name:<{width}}] {line}")
        try:
            data = reroot(plan, host.path).to_bytes()
        except WorkspaceError as exc:
            say(f"error: {exc}")
            return HostResult(host=host, code=2, last=str(exc))
        code = _copy_pyz(host, pyz, say)
        if code != 0:
            return HostResult(host=host, code=code, last="could not copy orch.pyz over ssh")
        return _run_plan(host, data, _pyz_name(pyz), python, force, say)

    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(hosts)))) as pool:
        return list(pool.map(one, hosts))


def table(results: list[HostResult]) -> list[str]:
    """host | result | exit | last line, one row per host."""
    rows = [(r.host.name, "ok" if r.code == 0 else "FAILED", str(r.code), r.last) for r in results]
    head = ("host", "result", "exit", "last line")
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(3)]
    return [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:<{widths[2]}}  {d}" for a, b, c, d in [head, *rows]]


def find_pyz(given: Path | None, say: Callable[[str], None] = print) -> bytes:
    """orch.pyz to copy: `--pyz`, else $GITORCH_PYZ, else dist/orch.pyz of a source checkout,
    else one built from that checkout by zipapp/build.py into the user cache."""
    if given is not None:
        try:
            return given.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read --pyz: {exc.strerror}", where=Location(file=str(given))) from None
    source = Path(__file__).resolve().parents[2]
    for path in (Path(os.environ.get("GITORCH_PYZ", "")), source / "dist" / "orch.pyz"):
        if path.name and path.is_file():
            return path.read_bytes()
    if not (source / "zipapp" / "build.py").is_file():
        raise UsageError("no orch.pyz to copy to the remotes", hint="give --pyz PATH (or set GITORCH_PYZ)")
    import sys

    import platformdirs

    from gitorch.workspace.toolrun import run_tool

    out = Path(platformdirs.user_cache_dir("gitorch")) / "fleet" / "orch.pyz"
    say(f"building orch.pyz with {source / 'zipapp/build.py'} into {out}")
    res = run_tool([sys.executable, str(source / "zipapp" / "build.py"), "--out", str(out),
                    "--wheels", str(source / "build" / "wheels")], source, timeout=600)
    if not res.ok or not out.is_file():
        raise UsageError(f"could not build orch.pyz: {res.first_error()}", hint="give --pyz PATH")
    return out.read_bytes()
