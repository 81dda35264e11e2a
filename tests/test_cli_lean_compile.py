"""msgspec is imported on the lean path without compiling anything (cli/lean._import_msgspec):
its one probe of typing.ForwardRef is answered, so a command that reads no string annotation
never pays for the AST's types (~9 M instructions at the first compile() of a process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import OrchRunner
from tests.engine.helpers import plan_repo

# builtins.compile of text recorded: what sets up the AST's types (bytes: the import system
# compiling a module that has no bytecode yet, as a fresh checkout's first run does)
_RECORD = """
import builtins
compiled = []
real_compile = builtins.compile
def recorded(source, *args, **kwargs):
    if isinstance(source, str):
        compiled.append(source)
    return real_compile(source, *args, **kwargs)
builtins.compile = recorded
"""
_PROBE = _RECORD + """
import typing
real = typing.ForwardRef
from gitorch.cli import lean
lean._import_msgspec()
import msgspec, msgspec._utils
assert typing.ForwardRef is real, "typing.ForwardRef put back"
ref = msgspec._utils._forward_ref("int")  # the variant of Python 3.11+: is_class taken
assert isinstance(ref, real) and ref.__forward_is_class__ and not ref.__forward_is_argument__
print(repr([c for c in compiled if c != "int"]))

class Late(msgspec.Struct):  # a string annotation still resolves, through the real ForwardRef
    n: "int"
assert msgspec.json.decode(b'{"n": 3}', type=Late) == Late(n=3)
"""


def test_msgspec_is_imported_without_a_compile() -> None:
    proc = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"  # without the answered probe: ['Foo']


_COMMAND = _RECORD + """
import atexit, os, sys
atexit.register(lambda: os.write(2, ("COMPILED %r\\n" % compiled).encode()))
sys.argv = ["git-orch", *sys.argv[1:]]
from gitorch.cli.entry import main
main()
"""


def test_a_run_and_status_compile_nothing(tmp_path: Path, orch: OrchRunner) -> None:
    """Events, plans and the store's records are read with their field types as objects (no
    string annotations: each would be a typing.ForwardRef, compiled): after a run, a re-run
    and `status` call compile() on no text at all (gitorch/events.py, plan/model.py)."""
    root = plan_repo(tmp_path / "r", {"a/one.txt": "one\n"},
                     [{"id": "a", "paths": {"preferred": ["a/"]}, "commands": {"t": "true"}}])
    assert orch("run", cwd=root).returncode == 0
    for args in (["run"], ["status"]):
        proc = subprocess.run([sys.executable, "-c", _COMMAND, *args], cwd=root, capture_output=True,
                              text=True)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert "COMPILED []" in proc.stderr, (args, proc.stderr[-2000:])


def test_a_first_run_and_validate_compile_nothing(tmp_path: Path) -> None:
    """A plan the plan cache does not hold (a fresh clone, P1's rounds, P9) is decoded through
    plan/spec's types, read as objects: `plan validate` and the first run compile no text."""
    root = plan_repo(tmp_path / "r", {"a/one.txt": "one\n"},
                     [{"id": "a", "paths": {"preferred": ["a/"]}, "commands": {"t": "true"},
                       "acceptance": [{"file_exists": "a/one.txt"}]}])
    for args in (["plan", "validate"], ["run"]):  # neither finds the plan in the cache
        proc = subprocess.run([sys.executable, "-c", _COMMAND, *args], cwd=root, capture_output=True,
                              text=True, env={**os.environ, "GITORCH_PLAN_CACHE": "0"})
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert "COMPILED []" in proc.stderr, (args, proc.stderr[-2000:])
