"""Did a link really take effect? Ask the ecosystem's own resolver, from the consumer.

Python: the consumer's `.venv` interpreter names where the distribution comes from; Node:
`require.resolve` from the consumer; Rust: `cargo metadata --offline`; Go: `go list -m -json`;
Elixir: `mix deps`. Each answer is one of three states: `effective`, `not_effective` ("applied
but not effective: <reason>", which fails observation) or `not_verified` (the tool is not
installed, or it could not answer: never counted as a pass).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import msgspec

from gitorch.workspace.model import Link, Snapshot
from gitorch.workspace.toolrun import ToolResult, installed, run_tool

Effect = Literal["effective", "not_effective", "not_verified"]


class LinkEffect(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    ecosystem: str
    state: Effect
    reason: str = ""

    def describe(self) -> str:
        if self.state == "effective":
            return f"link {self.key}: effective ({self.reason})"
        if self.state == "not_effective":
            return f"link {self.key}: applied but not effective: {self.reason}"
        return f"link {self.key}: not verified: {self.reason}"


def _inside(found: str | Path, provider: Path) -> bool:
    real, root = os.path.realpath(found), os.path.realpath(provider)
    return real == root or real.startswith(root + os.sep)


def _not_installed(tool: str) -> tuple[Effect, str]:
    return "not_verified", f"{tool} not installed"


def _python(link: Link, consumer: Path, provider: Path) -> tuple[Effect, str]:
    venv = next((consumer / d for d in (".venv", "venv") if (consumer / d / "bin" / "python").exists()), None)
    if venv is None:
        return "not_verified", f"{link.repo} has no .venv (the consumer's interpreter is unknown)"
    script = ("import importlib.metadata as m, json, sys\n"
              "try:\n    d = m.distribution(sys.argv[1])\n"
              "except m.PackageNotFoundError:\n    print('{}'); raise SystemExit\n"
              "print(json.dumps({'direct': d.read_text('direct_url.json') or '', "
              "'at': str(d.locate_file('')), 'version': d.version}))\n")
    res = run_tool([str(venv / "bin" / "python"), "-c", script, link.dep], consumer)
    if not res.ok:
        return "not_verified", f"{venv}/bin/python failed: {res.first_error()}"
    found = json.loads(res.stdout or "{}")
    if not found:
        return "not_effective", (f"{link.dep} is not installed in {link.repo}/{venv.name} "
                                 "(install the consumer)")
    url = json.loads(found["direct"]).get("url", "") if found["direct"] else ""
    from gitorch.workspace.deps import file_url_path

    local = file_url_path(url) if url else None
    if local and _inside(local, provider):
        return "effective", f"{venv.name} installs {link.dep} from {provider}"
    return "not_effective", (f"{link.repo}/{venv.name} has {link.dep} {found['version']} from "
                             f"{local or found['at']}, not from {provider} (reinstall the consumer)")


def _node(link: Link, consumer: Path, provider: Path) -> tuple[Effect, str]:
    if not installed("node"):
        return _not_installed("node")
    if not (consumer / "node_modules").is_dir():
        return "not_verified", f"{link.repo} has no node_modules (run npm install there)"
    script = ("const n = process.argv[1];\n"
              "try { console.log(require.resolve(n + '/package.json')) }\n"
              "catch (e) { try { console.log(require.resolve(n)) } catch (f) { console.log('') } }\n")
    res = run_tool(["node", "-e", script, link.dep], consumer)
    if not res.ok:
        return "not_verified", f"node failed: {res.first_error()}"
    found = res.stdout.strip()
    if not found:
        return "not_effective", f"node cannot resolve {link.dep} from {link.repo} (run npm install there)"
    if _inside(found, provider):
        return "effective", f"node resolves {link.dep} into {provider}"
    return "not_effective", (f"node resolves {link.dep} to {found}, not into {provider} "
                             "(run npm install there)")


def _leaving_lock_as_it_was(lock: Path, run: Callable[[], ToolResult]) -> ToolResult:
    """Run cargo, then put Cargo.lock back as it was (cargo writes or updates it; a check
    must not leave the consumer dirty)."""
    from gitorch.atomic import write_bytes

    try:
        before: bytes | None = lock.read_bytes()
    except FileNotFoundError:
        before = None
    try:
        return run()
    finally:
        if before is None:
            lock.unlink(missing_ok=True)
        elif not lock.exists() or lock.read_bytes() != before:
            write_bytes(lock, before)


def _cargo(link: Link, consumer: Path, provider: Path) -> tuple[Effect, str]:
    if not installed("cargo"):
        return _not_installed("cargo")
    res = _leaving_lock_as_it_was(consumer / "Cargo.lock", lambda: run_tool(
        ["cargo", "metadata", "--offline", "--format-version", "1"], consumer))
    unused = "was not used in the crate graph"
    if unused in res.stderr:
        return "not_effective", next(ln.strip() for ln in res.stderr.splitlines() if unused in ln)
    if not res.ok:
        said = res.stderr
        if f"failed to select a version for the requirement `{link.dep}" in said:
            lines = [ln.strip().removeprefix("error: ") for ln in said.splitlines() if ln.strip()]
            return "not_effective", "; ".join(lines[:2])
        return "not_verified", f"cargo metadata --offline failed: {res.first_error()}"
    packages = json.loads(res.stdout).get("packages", [])
    wanted = link.dep.replace("_", "-")
    hits = [p["manifest_path"] for p in packages if p["name"].replace("_", "-") == wanted]
    if any(_inside(path, provider) for path in hits):
        return "effective", f"cargo uses {link.dep} from {provider}"
    if not hits:  # e.g. an optional or target-only dependency: the [patch] is not used
        return "not_effective", f"{link.dep} is not in cargo's crate graph: the [patch] is not used"
    return "not_effective", f"cargo resolves {link.dep} to {hits[0]}, not {provider}"


def _go(link: Link, consumer: Path, provider: Path) -> tuple[Effect, str]:
    if not installed("go"):
        return _not_installed("go")
    env = {**os.environ, "GOPROXY": "off", "GOFLAGS": "-mod=mod"}
    if (consumer / "go.work").exists():  # workspace mode refuses -mod=mod
        env.pop("GOFLAGS")
    res = run_tool(["go", "list", "-m", "-json", link.dep], consumer, env=env)
    if not res.ok:
        return "not_verified", f"go list -m failed: {res.first_error()}"
    found = json.loads(res.stdout)
    replace = found.get("Replace") or {}
    # A go.work `use` makes the provider a main module: its own Dir, no Replace.
    target = replace.get("Dir") or replace.get("Path") or (found.get("Dir", "") if found.get("Main") else "")
    if target and _inside(consumer / target if not os.path.isabs(target) else target, provider):
        return "effective", f"go replaces {link.dep} with {provider}"
    return "not_effective", f"go does not replace {link.dep} with {provider}"


def _mix(link: Link, consumer: Path, provider: Path) -> tuple[Effect, str]:
    if not installed("mix"):
        return _not_installed("mix")
    res: ToolResult = run_tool(["mix", "deps"], consumer, env={**os.environ, "MIX_ENV": "dev"})
    if not res.ok:
        return "not_verified", f"mix deps failed: {res.first_error()}"
    block = res.stdout.split(f"* {link.dep} ", 1)
    if len(block) == 2 and os.path.realpath(provider) in block[1].split("\n* ", 1)[0]:
        return "effective", f"mix uses {link.dep} from {provider}"
    return "not_effective", f"mix deps does not take {link.dep} from {provider}"


CHECKS = {"python": _python, "npm": _node, "cargo": _cargo, "go": _go, "mix": _mix}


def check_link(link: Link, snap: Snapshot) -> LinkEffect:
    """What the consumer's own tool says about one link."""
    consumer, provider = snap.repo(link.repo), snap.repo(link.provider)
    if consumer is None or provider is None or not consumer.exists or not provider.exists:
        return LinkEffect(key=link.key, ecosystem=link.ecosystem, state="not_effective",
                          reason="the consumer or the provider is not checked out")
    check = CHECKS.get(link.ecosystem)
    if check is None:
        return LinkEffect(key=link.key, ecosystem=link.ecosystem, state="not_verified",
                          reason=f"no resolver known for {link.ecosystem}")
    state, reason = check(link, Path(consumer.path), Path(provider.path))
    return LinkEffect(key=link.key, ecosystem=link.ecosystem, state=state, reason=reason)


def check_links(snap: Snapshot) -> list[LinkEffect]:
    """Every link of the snapshot, checked with its ecosystem's resolver (in parallel)."""
    from concurrent.futures import ThreadPoolExecutor

    if not snap.links:
        return []
    with ThreadPoolExecutor(max_workers=min(4, len(snap.links))) as pool:
        return list(pool.map(lambda lk: check_link(lk, snap), snap.links))
