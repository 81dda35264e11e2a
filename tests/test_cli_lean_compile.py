"""msgspec is imported on the lean path without compiling anything (cli/lean._import_msgspec):
its one probe of typing.ForwardRef is answered, so a command that reads no string annotation
never pays for the AST's types (~9 M instructions at the first compile() of a process)."""

from __future__ import annotations

import subprocess
import sys

# builtins.compile of text recorded: what sets up the AST's types (bytes: the import system
# compiling a module that has no bytecode yet, as a fresh checkout's first run does)
_PROBE = """
import builtins
compiled = []
real_compile = builtins.compile
def recorded(source, *args, **kwargs):
    if isinstance(source, str):
        compiled.append(source)
    return real_compile(source, *args, **kwargs)
builtins.compile = recorded
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
