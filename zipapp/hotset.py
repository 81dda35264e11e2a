"""The bytecode orch.pyz ships: which modules the everyday commands import, compiled once.

A first start (empty cache) runs gitorch straight from the archive through zipimport, which
compiles every source it imports, in memory, on every such start (~0.6 s for `status`). So
the archive carries, beside those sources, bytecode of the modules the everyday commands
import, for one interpreter: the one running the build. zipimport reads `name.pyc` before
`name.py` and takes it only when its magic number is this interpreter's; any other Python
ignores it and compiles the source, as it would without it. The .pyc files are unchecked
hash-based pycs (the archive is immutable), compiled without column ranges (-X
no_debug_ranges: a quarter smaller; tracebacks keep their lines) and in a fixed order with a
fixed hash seed, so a build stays byte-identical.

Which modules: found by running the commands (trace_hot.py) in a scratch repository against
the staged sources, so the set follows the code as it changes; the build keeps as many of
them, in that order, as fit under the archive's size limit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
# What a user runs first and most (in this order): the shipped bytecode covers their imports.
COMMANDS = [
    ["--version"], ["--help"], ["plan", "validate"], ["status"], ["run", "-j", "2"], ["status"],
    ["status", "--json"], ["next"], ["explain", "t0"], ["events"], ["self-check", "--json"],
]
# -S -P and an environment without PYTHON* (not -I, which would ignore PYTHONHASHSEED=0)
ISOLATED = ["-S", "-P"]
# YAML, as most plans are (a JSON plan needs nothing more than the standard library's json)
PLAN = "version: 1\ntasks:\n" + "".join(f"  - id: t{i}\n    commands: {{x: 'true'}}\n" for i in range(3))
# [file to read, name in tracebacks] in, one unchecked hash-based pyc (hex) per file out
COMPILE = r"""
import importlib.util, json, marshal, sys
out = []
for path, name in json.loads(sys.stdin.read()):
    with open(path, "rb") as f:
        source = f.read()
    code = compile(source, name, "exec", dont_inherit=True)
    head = importlib.util.MAGIC_NUMBER + (1).to_bytes(4, "little") + importlib.util.source_hash(source)
    out.append((head + marshal.dumps(code)).hex())
sys.stdout.write(json.dumps(out))
"""


def _stage(files: dict[str, bytes], dest: Path) -> None:
    """The sources as a folder, with this interpreter's own msgspec core beside them."""
    for name, data in files.items():
        if name.startswith("site/"):
            path = dest / name[len("site/"):]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    dist = metadata.distribution("msgspec")
    for f in dist.files or []:
        if f.name.startswith("_core.") and f.suffix in (".so", ".pyd"):
            shutil.copyfile(str(dist.locate_file(f)), dest / "msgspec" / f.name)


def _env(scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITORCH_", "PYTHON"))}
    env.update({f"XDG_{d.upper()}_HOME": str(scratch / d) for d in ("cache", "config", "data", "state")})
    env.update(HOME=str(scratch), PYTHONHASHSEED="0",
               PYTHONDONTWRITEBYTECODE="1", GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
               GIT_AUTHOR_NAME="build", GIT_AUTHOR_EMAIL="build@localhost",
               GIT_COMMITTER_NAME="build", GIT_COMMITTER_EMAIL="build@localhost")
    return env


def _trace(stage: Path, scratch: Path) -> list[str]:
    """The staged .py files the commands import, in the order they are first needed."""
    repo = scratch / "repo"
    repo.mkdir()
    env = _env(scratch)
    (repo / "orchestrator.yml").write_text(PLAN)
    for args in (["init", "-q", "-b", "main"], ["add", "orchestrator.yml"], ["commit", "-q", "-m", "plan"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    out = scratch / "trace.json"
    proc = subprocess.run([sys.executable, *ISOLATED, str(HERE / "trace_hot.py"), str(stage),
                           json.dumps(COMMANDS), str(out)], cwd=repo, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=600)
    if proc.returncode:
        raise SystemExit(f"build: tracing the everyday commands failed:\n{proc.stderr[-2000:]}")
    return [rel for step in json.loads(out.read_text()) for rel in step if rel.endswith(".py")]


def _compile(pairs: list[tuple[Path, str]], scratch: Path) -> list[bytes]:
    proc = subprocess.run([sys.executable, *ISOLATED, "-X", "no_debug_ranges", "-c", COMPILE],
                          input=json.dumps([(str(p), n) for p, n in pairs]), capture_output=True, text=True,
                          env=_env(scratch))
    if proc.returncode:
        raise SystemExit(f"build: compiling the hot modules failed:\n{proc.stderr[-2000:]}")
    return [bytes.fromhex(h) for h in json.loads(proc.stdout)]


def hot_bytecode(files: dict[str, bytes]) -> list[tuple[str, bytes]]:
    """(archive name of the .pyc, its bytes) for the bootstrap, then the hot modules, most
    needed first."""
    with tempfile.TemporaryDirectory(prefix="orch-hot-") as tmp:
        stage, scratch = Path(tmp) / "site", Path(tmp) / "scratch"
        stage.mkdir()
        scratch.mkdir()
        _stage(files, stage)
        (scratch / "__main__.py").write_bytes(files["__main__.py"])
        rels = _trace(stage, scratch)
        pairs = [(scratch / "__main__.py", "orch.pyz/__main__.py")]
        pairs += [(stage / rel, f"orch.pyz/site/{rel}") for rel in rels]
        compiled = _compile(pairs, scratch)
    return list(zip(["__main__.pyc", *(f"site/{rel}c" for rel in rels)], compiled, strict=True))
