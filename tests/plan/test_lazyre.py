"""Regular expressions compiled on first use (plan/lazyre.py): each answers as the pattern
compiled at import did, and importing the plan modules compiles none of them."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitorch.plan import acceptance, blockyaml, normalize, shapes, source, validate, yamlscalar
from gitorch.plan.lazyre import LazyPattern

ROOT = Path(__file__).resolve().parents[2]
# every pattern the plan modules compiled at import before (name, its module)
LAZY = [(m, n) for m, names in (
    (validate, ("_ID", "_SECRET", "_IDS", "_SECRETS", "_BAD_CHAR", "_UNRUNNABLE")),
    (source, ("_TOML_HEADER", "_TOML_KEY", "_BRACKETS")),
    (normalize, ("_PATH_TROUBLE", "_CONTROL")),
    (acceptance, ("_PATHLIKE", "_DURATION")),
    (yamlscalar, ("_DECIMAL", "_BLOCK")),
    (shapes, ("_BLANK", "_SUSPECT")),
    (blockyaml, ("_SINGLE", "_DOUBLE")),
) for n in names]
# text made of what these patterns look at: ids, paths, durations, quotes, TOML, controls
ALPHABET = st.sampled_from(list("aZ09._-/~:# \n\t\r\"'[]{}=\\|>+hms*?@") + ["\x00", "\x1b", "\x7f", "é",
                                                                        "\ud800", "''", "\\\""])
TEXTS = st.lists(ALPHABET, max_size=24).map("".join)


def _report(m: re.Match[str] | None) -> tuple[int, int, tuple[str | None, ...]] | None:
    return None if m is None else (m.start(), m.end(), m.groups())


@pytest.mark.parametrize(("module", "name"), LAZY, ids=[f"{m.__name__}.{n}" for m, n in LAZY])
def test_each_plan_pattern_is_lazy(module: object, name: str) -> None:
    assert isinstance(getattr(module, name), LazyPattern)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.sampled_from(LAZY), TEXTS, st.integers(0, 3))
def test_a_lazy_pattern_answers_as_the_compiled_one(where: tuple[object, str], text: str, pos: int) -> None:
    lazy: LazyPattern = getattr(where[0], where[1])
    compiled = re.compile(lazy.source, lazy.flags)
    for method in ("match", "fullmatch", "search"):
        assert _report(getattr(lazy, method)(text)) == _report(getattr(compiled, method)(text))
        assert _report(getattr(lazy, method)(text, pos)) == _report(getattr(compiled, method)(text, pos))
    assert lazy.findall(text) == compiled.findall(text)
    assert [_report(m) for m in lazy.finditer(text)] == [_report(m) for m in compiled.finditer(text)]
    assert lazy.sub("<>", text) == compiled.sub("<>", text)
    assert lazy.split(text) == compiled.split(text)


def test_compiled_once_then_its_methods_are_the_patterns_own() -> None:
    lazy = LazyPattern(r"(a+)(b)?", re.IGNORECASE)
    assert "search" not in vars(lazy)
    assert lazy.search("xAAb") is not None
    pattern = lazy.compiled()
    assert pattern is re.compile(r"(a+)(b)?", re.IGNORECASE)
    assert lazy.compiled() is pattern
    assert vars(lazy)["search"] == pattern.search and vars(lazy)["fullmatch"] == pattern.fullmatch
    assert lazy.groups == 2 and lazy.pattern == r"(a+)(b)?"  # anything else: the pattern's
    assert repr(lazy) == "LazyPattern('(a+)(b)?', re.IGNORECASE)"


def test_an_invalid_pattern_raises_when_used_and_copies_work() -> None:
    bad = LazyPattern("(")
    with pytest.raises(re.error):
        bad.match("x")
    twin = copy.copy(LazyPattern("a"))
    assert twin.fullmatch("a") is not None
    with pytest.raises(AttributeError):
        LazyPattern.__new__(LazyPattern).search  # noqa: B018 - made without __init__


def test_importing_the_plan_modules_compiles_no_pattern() -> None:
    """A real interpreter: loading every plan module compiles nothing of gitorch's."""
    code = """
import re, sys
seen = []
compile = re._compile
def spy(pattern, flags):
    frame = sys._getframe(1)
    while frame.f_code.co_filename.endswith("__init__.py") and "re" in frame.f_code.co_filename:
        frame = frame.f_back  # re.compile, re.match…: who called them
    if "gitorch" in frame.f_code.co_filename:
        seen.append((frame.f_code.co_filename, frame.f_lineno, pattern))
    return compile(pattern, flags)
re._compile = spy
import gitorch.plan.load, gitorch.plan.loader, gitorch.plan.blockyaml, gitorch.plan.shapes
import gitorch.plan.validate, gitorch.plan.normalize, gitorch.plan.source, gitorch.plan.acceptance
import gitorch.plan.yamlscalar, gitorch.plan.graph, gitorch.plan.structure, gitorch.cli.lean_plan
print(len(seen), seen)
gitorch.plan.validate.is_id("x")  # the first use compiles (the spy sees it)
print(len(seen))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    at_import, after_use = out.stdout.splitlines()
    assert at_import == "0 []"
    assert after_use == "1"


def test_a_used_pattern_pickles_as_a_compiled_one_does() -> None:
    """re.compile's patterns pickle; a LazyPattern did only until its first use (then it held
    the pattern's bound methods and a closure)."""
    import pickle

    lazy = LazyPattern(r"(a+)-(\d)", re.IGNORECASE)
    assert lazy.fullmatch("AA-1") is not None  # used: compiled
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        twin = pickle.loads(pickle.dumps(lazy, protocol))  # noqa: S301 - made here
        assert isinstance(twin, LazyPattern)
        assert (twin.source, twin.flags) == (lazy.source, lazy.flags)
        match = twin.fullmatch("aA-2")
        assert match is not None and match.groups() == ("aA", "2")
    assert pickle.loads(pickle.dumps(validate._ID)).match("task-1") is not None  # noqa: S301
    assert copy.deepcopy(lazy).fullmatch("a-3") is not None


@pytest.mark.parametrize(("module", "name"), LAZY, ids=[f"{m.__name__}.{n}" for m, n in LAZY])
def test_a_lazy_patterns_attributes_are_the_compiled_ones(module: object, name: str) -> None:
    """`flags` (re.UNICODE added to a str pattern's), `groups`, `pattern`: as re.compile's,
    before the first match too (LazyPattern.flags was the flags it was made with)."""
    made: LazyPattern = getattr(module, name)  # (made without flags, as all of them are)
    with_flags = LazyPattern(r"(?P<a>x)(y)", re.I | re.M)
    for lazy, flags in ((LazyPattern(made.source), 0), (with_flags, re.I | re.M)):
        compiled = re.compile(lazy.source, flags)
        assert lazy.flags == compiled.flags and lazy.flags & re.UNICODE
        assert (lazy.groups, lazy.groupindex, lazy.pattern) == (
            compiled.groups, compiled.groupindex, compiled.pattern)
