"""The inputs digest is written without json.dumps (engine/inputs._inputs_text) and the
definition parts memoized per whole definition: the same digests as the canonical JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitorch.engine import inputs as inp
from tests.conftest import git, make_repo

_text = st.text(max_size=12)  # any characters: quotes, backslashes, controls, non-ASCII
_maps = st.dictionaries(_text, _text, max_size=5)


@settings(max_examples=300, deadline=None)
@given(parts=_maps, oids=_maps, deps=_maps)
def test_the_digest_text_is_the_canonical_json(parts: dict[str, str], oids: dict[str, str],
                                               deps: dict[str, str]) -> None:
    expected = inp.canonical([dict(parts), sorted(oids.items()), sorted(deps.items())])
    assert inp._inputs_text(parts, oids, deps) == expected
    assert inp.digest_of(parts, oids, deps) == inp.sha(expected)


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text,
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
                     max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(a=st.dictionaries(st.sampled_from(inp.DEFINITION_PARTS), _json),
       b=st.dictionaries(st.sampled_from(inp.DEFINITION_PARTS), _json))
def test_definition_parts_are_each_parts_digest_whatever_was_seen_before(a: dict[str, Any],
                                                                      b: dict[str, Any]) -> None:
    # 1 and True, 1 and 1.0, [] and {} are different parts: a memo hit never mixes them up
    for task in (a, b, a):
        expected = {p: inp.sha(inp.canonical(task.get(p)))[:16] for p in inp.DEFINITION_PARTS}
        assert inp.definition_parts(task) == expected


def test_same_looking_values_of_other_types_have_their_own_digests() -> None:
    seen = [inp.definition_parts({"retry": v})["retry"] for v in (1, True, 1.0, "1", [1], None)]
    assert len(set(seen)) == len(seen)
    got = inp.definition_parts({"commands": {"t": "true"}})
    got["commands"] = "changed by a caller"  # the caller's copy, not the memo's
    assert inp.definition_parts({"commands": {"t": "true"}})["commands"] != "changed by a caller"


_any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _text,  # NaN and infinities too
    lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
    | st.dictionaries(_text, inner, max_size=3)
    | st.dictionaries(st.integers(), inner, max_size=2),  # keys json converts: its own fallback
    max_leaves=10)


@settings(max_examples=500, deadline=None)
@given(value=_any_json)
def test_canonical_is_json_dumps_text(value: Any) -> None:
    # hooks/jsonlite writes it without importing json: the very text, so every stored digest holds
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert inp.canonical(value) == expected


def test_a_definitions_digests_are_those_stored_before() -> None:
    # computed with json.dumps (gitorch before hooks/jsonlite wrote it): a state written then still skips
    task = {"id": "t1", "type": "chore", "paths": {"preferred": ["src/é.py"], "forbidden": []},
            "commands": {"b": 'make "x"\t\\', "a": "true\u0001"}, "acceptance": [{"exit_code": 0}],
            "shards": [], "constraints": {"timeout": 1.5, "timebox": None, "forbidden": [], "notes": ["ü"]},
            "retry": {"attempts": 2, "backoff": 1.0, "max_backoff": 1e16}, "secrets": [], "repo": None}
    parts = inp.definition_parts(task)
    assert parts == {"type": "6799b3f4074a83e7", "paths": "c7f05152c90038b0", "commands": "09a50dd9ca6515e6",
                     "acceptance": "921e93589a967c4a", "shards": "4f53cda18c2baa0c",
                     "constraints": "f3005e7a8e10926c", "retry": "8071f080278015dd",
                     "secrets": "4f53cda18c2baa0c", "repo": "74234e98afe7498f"}
    digest = inp.digest_of(parts, {"src/é.py": "a" * 40}, {"t0": "b" * 64})
    assert digest == "e8270c18b7932f27847192f8d1377cbcd4d3f9df96da7832ba97fba931e8e58e"


def test_a_first_run_does_not_import_json(tmp_path: Path) -> None:
    # a fresh clone's run computes every task's digest: json's import (its regexes) was serial
    # start-up of P1 for the digests alone (P1's shape: no paths, so no watch index at the end)
    plan = {"version": 1, "tasks": [{"id": "a", "commands": {"t": "true"}},
                                    {"id": "b", "dependencies": ["a"], "commands": {"t": "true"}}]}
    root = make_repo(tmp_path / "r", {"orchestrator.json": json.dumps(plan), "src/x.py": "x\n"})
    probe = ("import sys\nfrom gitorch.cli.entry import main\nsys.argv = ['git-orch', 'run', '-j2']\n"
             "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
             "print('json' in sys.modules, 'json.decoder' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.split()[-2:] == ["False", "False"], out.stdout + out.stderr
    index = git(root, "show", "refs/heads/orch/state:watch-index.json")  # hooks/watchindex: json's text
    assert index.strip() == json.dumps(json.loads(index), separators=(",", ":"), sort_keys=True)


def test_a_fan_out_builds_each_digest_text_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_repo(tmp_path / "r", {"src/a.py": "a\n", "src/b.py": "b\n"})
    tasks: list[dict[str, Any]] = [{"id": "root", "commands": {"t": "true"}}]
    tasks += [{"id": f"t{n}", "dependencies": ["root"], "commands": {"t": "true"}} for n in range(40)]
    tasks += [{"id": f"p{n}", "dependencies": ["root"], "paths": {"preferred": ["src/"]},
               "commands": {"t": "true"}} for n in range(10)]
    tasks.append({"id": "last", "dependencies": ["t3", "p1"], "commands": {"t": "other"}})
    built: list[str] = []
    text_of = inp._inputs_text

    def counted(*args: Any) -> str:
        built.append(text_of(*args))
        return built[-1]

    monkeypatch.setattr(inp, "_inputs_text", counted)
    got = inp.compute_inputs(tasks, inp.read_worktree(root))
    assert len(built) == 4  # root, the 40 alike, the 10 alike, last: one text each
    monkeypatch.setattr(inp, "_inputs_text", text_of)
    for ti in got.values():  # each the digest of its own parts, files and dependencies
        assert ti.digest == inp.sha(text_of(ti.parts, ti.oids, ti.deps))
    assert got["t0"].digest == got["t39"].digest != got["p0"].digest == got["p9"].digest


def test_a_whole_definition_and_one_missing_parts_have_the_parts_digests() -> None:
    # a definition from msgspec.to_builtins has every part (taken in one call); one written by
    # hand may lack some: a missing part is None, as before
    whole = {p: None for p in inp.DEFINITION_PARTS} | {"id": "a", "commands": {"t": "make"},
                                                       "retry": {"n": 2}}
    short = {"id": "b", "commands": {"t": "make"}, "retry": {"n": 2}}
    expected = {p: inp.sha(inp.canonical(whole[p]))[:16] for p in inp.DEFINITION_PARTS}
    assert inp.definition_parts(short) == expected
    assert inp.definition_parts(whole) == expected


def test_definitions_are_each_tasks_definition() -> None:
    from gitorch.engine.setup import definition, definitions
    from gitorch.plan.model import Paths, Retry, Task

    tasks = [Task(id="a", commands={"t": "make"}), Task(id="b", dependencies=["a"], retry=Retry(attempts=3),
                                                         paths=Paths(preferred=["src/"]))]
    assert definitions(tasks) == [definition(t) for t in tasks]


def test_the_inputs_cache_is_stamped_with_the_code_that_writes_the_digest_text() -> None:
    # hooks/jsonlite writes the text each digest hashes: an edit there is a miss of the inputs cache
    from gitorch.engine import inputcache

    here = Path(inputcache.__file__).parent.parent
    assert (here / "hooks/jsonlite.py").is_file()
    assert {"engine/inputs.py", "hooks/jsonlite.py"} <= set(inputcache._CODE)
    assert "jsonlite.py:" in inputcache._code_stamp()
