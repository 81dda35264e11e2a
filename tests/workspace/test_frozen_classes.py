"""The classes written on gitorch/frozen.py (so `ws snapshot` and every command's Context load no
`dataclasses`) behave as the frozen dataclasses they were: each is held beside the dataclass
it replaced (the same fields, order and defaults), on construction, equality, hash, repr,
pattern matching, frozenness, replace, pickling and copying."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gitorch.context import Context, Output, build_context
from gitorch.store.select import Choice
from gitorch.workspace.deps import Parsed
from gitorch.workspace.freeze import FrozenRepo
from gitorch.workspace.manifest import LinkSpec, Manifest, RepoSpec
from gitorch.workspace.records import Dependency


# The dataclasses as they were defined before (field types as strings: only behaviour counts).
@dataclasses.dataclass(frozen=True)
class OutputDC:
    json: bool = False
    colour: bool = False
    tty: bool = False
    prog: str = "git orch"


@dataclasses.dataclass(frozen=True)
class ContextDC:
    cwd: Any
    file: Any = None
    output: Any = dataclasses.field(default_factory=Output)
    overrides: Any = ()
    given_repo: Any = None


@dataclasses.dataclass(frozen=True)
class ChoiceDC:
    name: Any
    asked: Any
    reason: Any


@dataclasses.dataclass(frozen=True)
class RepoSpecDC:
    name: Any
    path: Any
    url: Any = None
    ref: Any = None


@dataclasses.dataclass(frozen=True)
class LinkSpecDC:
    consumer: Any
    provider: Any
    dep: Any = None


@dataclasses.dataclass(frozen=True)
class ManifestDC:
    root: Any
    file: Any
    repos: Any
    links: Any = dataclasses.field(default=())
    teardown_verify: Any = None


@dataclasses.dataclass(frozen=True)
class FrozenRepoDC:
    name: Any
    commit: Any
    branch: Any = None
    upstream: Any = None


@dataclasses.dataclass
class ParsedDC:
    manifests: Any = dataclasses.field(default_factory=list)
    provides: Any = dataclasses.field(default_factory=list)
    deps: Any = dataclasses.field(default_factory=list)
    diagnostics: Any = dataclasses.field(default_factory=list)


PAIRS: list[tuple[type, type, tuple[Any, ...], dict[str, Any]]] = [
    (Output, OutputDC, (True,), {"prog": "git-orch"}),
    (Context, ContextDC, (Path("/w"),), {"file": "p.yaml", "overrides": (("jobs", 2),)}),
    (Choice, ChoiceDC, ("cli", "auto"), {"reason": "auto: why"}),
    (RepoSpec, RepoSpecDC, ("a", "../a"), {"ref": "main"}),
    (LinkSpec, LinkSpecDC, ("a", "b"), {}),
    (Manifest, ManifestDC, (Path("/w"), None, (RepoSpec("a", "a"),)), {"teardown_verify": "make"}),
    (FrozenRepo, FrozenRepoDC, ("a", "0" * 40), {"upstream": "origin/main"}),
]


def _strip(text: str, cls: type) -> str:
    return text.replace(cls.__qualname__, "X", 1)


@pytest.mark.parametrize(("plain", "dc", "args", "kwargs"), PAIRS, ids=lambda v: getattr(v, "__name__", ""))
def test_same_fields_order_and_defaults(plain: Any, dc: Any, args: tuple[Any, ...],
                                        kwargs: dict[str, Any]) -> None:
    params = list(inspect.signature(plain).parameters.values())
    fields = dataclasses.fields(dc)
    assert plain._fields == tuple(p.name for p in params) == tuple(f.name for f in fields)
    full = plain(*args, **kwargs)
    required = [f.name for f in fields if f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING]
    bare, bare_dc = (cls(*[getattr(full, name) for name in required]) for cls in (plain, dc))
    assert bare._values() == tuple(getattr(bare_dc, f.name) for f in fields)  # the same defaults


@pytest.mark.parametrize(("plain", "dc", "args", "kwargs"), PAIRS, ids=lambda v: getattr(v, "__name__", ""))
def test_behaves_as_the_frozen_dataclass(plain: Any, dc: Any, args: tuple[Any, ...],
                                         kwargs: dict[str, Any]) -> None:
    a, d = plain(*args, **kwargs), dc(*args, **kwargs)
    assert _strip(repr(a), plain) == _strip(repr(d), dc)
    assert a._values() == tuple(getattr(d, f.name) for f in dataclasses.fields(dc))
    assert a == plain(*args, **kwargs) and hash(a) == hash(plain(*args, **kwargs))
    assert hash(a) == hash(d)  # both hash the tuple of their fields
    assert a != d and (a == d) is False  # another class: NotImplemented both ways, as a dataclass
    assert a.__eq__(object()) is NotImplemented
    assert plain.__match_args__ == dc.__match_args__
    first = plain.__match_args__[0]
    match a:
        case plain(value):
            assert value == getattr(a, first)
    for name in (first, "unknown"):
        with pytest.raises(dataclasses.FrozenInstanceError) as want:
            setattr(d, name, 1)
        with pytest.raises(dataclasses.FrozenInstanceError) as got:
            setattr(a, name, 1)
        assert str(got.value) == str(want.value)
    with pytest.raises(dataclasses.FrozenInstanceError, match=f"cannot delete field '{first}'"):
        delattr(a, first)
    changed = a.replace(**{first: "other"})
    assert getattr(changed, first) == "other" and changed != a
    assert changed._values()[1:] == a._values()[1:]
    assert _strip(repr(changed), plain) == _strip(repr(dataclasses.replace(d, **{first: "other"})), dc)
    with pytest.raises(TypeError):
        a.replace(unknown=1)
    assert pickle.loads(pickle.dumps(a)) == a == copy.copy(a) == copy.deepcopy(a)


def test_context_keeps_its_lazy_members_and_with_file(tmp_path: Path) -> None:
    ctx = build_context(cwd=tmp_path, json=True, overrides={"jobs": 3})
    assert ctx.output == Output(json=True, colour=False, tty=False, prog=ctx.prog) and ctx.json
    assert Context(tmp_path).output == Output() and Context(tmp_path).output is not Context(tmp_path).output
    marker = object()
    ctx.__dict__["repo"] = marker  # a found repository, as cached_property keeps it
    assert ctx.repo is marker
    other = ctx.with_file("other.yaml")
    assert other.file == "other.yaml" and other.given_repo is marker and other.overrides == (("jobs", 3),)
    assert ctx.with_file(None) is ctx


def test_parsed_is_the_mutable_dataclass() -> None:
    dep = Dependency(repo="a", ecosystem="npm", name="x", raw="1")
    p, d = Parsed(), ParsedDC()
    assert repr(p) == repr(d).replace("ParsedDC", "Parsed") and p == Parsed() and p != d
    p.deps += [dep]
    assert p.deps == [dep] and Parsed().deps == [] and Parsed().manifests is not Parsed().manifests
    assert Parsed.__hash__ is None and ParsedDC.__hash__ is None
    assert Parsed(["go.mod"]) == Parsed(manifests=["go.mod"]) != Parsed()


def test_the_snapshot_loads_no_dataclasses_typing_or_json(tmp_path: Path) -> None:
    (tmp_path / "r").mkdir()
    subprocess.run(["git", "init", "-q", str(tmp_path / "r")], check=True)
    probe = ("import sys; from gitorch.cli.entry import main\n"
             "try: main(['ws', 'snapshot', '--root', sys.argv[1], '--json'])\n"
             "except SystemExit: pass\n"
             "sys.stderr.write(repr(sorted(m for m in sys.modules if m in "
             "('dataclasses', 'inspect', 'typing', 'contextlib', 'importlib.util', 'json'))))")
    proc = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], cwd=tmp_path, capture_output=True,
                          text=True)
    assert proc.stderr.splitlines()[-1] == "[]", proc.stderr
