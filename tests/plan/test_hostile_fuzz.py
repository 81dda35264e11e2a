"""Hostile bytes in every string of a plan: NUL, control characters and invalid text injected
into each string field (and mapping key) of a plan that uses every field. Through the real CLI
(`plan validate`, in-process), the answer is always valid (exit 0) or a located problem
(exit 2), never an internal error (exit 70).

The default size keeps the suite fast; GITORCH_FUZZ_CASES=10000 runs the full campaign
(issue 14 asks for at least 10,000 cases without an exit 70).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gitorch.cli.app import app
from tests.conftest import make_repo

CASES = int(os.environ.get("GITORCH_FUZZ_CASES", "150"))
HOSTILE = ["\0", "\x01", "\x07", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\u2028", "\ud800", "\udcff",
           "\ufeff", "\0\0", "a\0/../b"]

# every field of the plan format that holds a string, most of them filled in
BASE: dict[str, Any] = {
    "version": 1,
    "project": {"name": "demo", "root": ".", "language": "python",
                "build": {"lint": "true", "test": "true", "release": "true"}},
    "orchestrator": {"strategy": "conservative", "approvals": {"required": ["deploy", "ship"]}},
    "include": ["more.yml"],
    "secrets": ["API_TOKEN"],
    "secret_probes": {"API_TOKEN": "test -n \"$API_TOKEN\""},
    "tasks": [
        {
            "id": "A", "title": "first", "type": "code_change", "description": "does a",
            "paths": {"preferred": ["src/a.py"], "forbidden": ["secrets/"]},
            "commands": {"build": "echo a > out.txt", "test": "true"},
            "acceptance": ["Tests pass: true", "File exists: src/a.py", "File absent: tmp/x",
                           "Contains: hello in src/a.py", {"not_contains": "TODO", "in": "src/"},
                           {"run": "true", "exit_code": 0, "timeout": "1m"},
                           {"contains": "x", "in": ["src/a.py"]},
                           {"matches": "^x", "in": "src/", "label": "starts"},
                           {"file_exists": "README.md"}, {"file_absent": "junk"}],
            "shards": [{"id": "A1", "title": "one", "description": "shard",
                        "commands": {"go": "true"}, "acceptance": ["File exists: src/a.py"]}],
            "constraints": {"timeout": "10m", "timebox": "1h", "forbidden": ["vendor/"],
                            "style": "pep8", "language": "python", "notes": ["keep it short"]},
            "approvals": ["ship"],
            "retry": {"attempts": 2, "backoff": "1s", "max_backoff": "5s"},
            "secrets": ["API_TOKEN"],
        },
        {"id": "B", "type": "deploy", "dependencies": ["A"], "repo": "lib", "paths": ["docs/"],
         "constraints": "be careful", "commands": {"ship": "true"}},
    ],
}
INCLUDED = {"version": 1, "tasks": [{"id": "C", "dependencies": ["A"], "commands": {"c": "true"}}]}


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(path, kind) of every string: "value" for a string, "key" for a mapping key."""
    if isinstance(value, str):
        yield path, "value"
    elif isinstance(value, dict):
        for k, v in value.items():
            yield (*path, k), "key"
            yield from _leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, (*path, i))


LEAVES = [("main", p, k) for p, k in _leaves(BASE)] + [("more", p, k) for p, k in _leaves(INCLUDED)]


def _inject(doc: Any, path: tuple[Any, ...], kind: str, text: str, at: int) -> Any:
    """A copy of `doc` with `text` inserted at `at` in the string (or key) at `path`."""
    if not path:
        return doc[:at] + text + doc[at:]
    head, rest = path[0], path[1:]
    if isinstance(doc, list):
        return [_inject(v, rest, kind, text, at) if i == head else v for i, v in enumerate(doc)]
    out: dict[Any, Any] = {}
    for k, v in doc.items():
        if k != head:
            out[k] = v
        elif kind == "key" and not rest:
            out[k[:at] + text + k[at:]] = v
        else:
            out[k] = _inject(v, rest, kind, text, at)
    return out


def _dump(data: Any, fmt: str) -> str:
    if fmt == "yml":
        try:
            return yaml.safe_dump(data, sort_keys=False)
        except yaml.YAMLError:
            pass
    return json.dumps(data)


@pytest.fixture(scope="module")
def fuzz_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz") / "r"
    files = {"README.md": "x\n", "src/a.py": "hello\n", "workspace.toml": '[[repos]]\nname = "lib"\n'}
    make_repo(root, files)
    return root


def test_the_unmodified_plan_is_valid(fuzz_repo: Path) -> None:
    """The campaign starts from a valid plan, so each injected byte is what it tests."""
    main = fuzz_repo / "orchestrator.json"
    main.write_text(json.dumps(BASE))
    (fuzz_repo / "more.yml").write_text(json.dumps(INCLUDED))
    result = CliRunner().invoke(app, ["plan", "validate", "--file", str(main)], catch_exceptions=False)
    assert result.exit_code == 0, result.output


@settings(max_examples=CASES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(
    edits=st.lists(st.tuples(st.sampled_from(LEAVES), st.sampled_from(HOSTILE), st.integers(0, 40)),
                   min_size=1, max_size=3),
    fmt=st.sampled_from(["yml", "json"]),
)
def test_hostile_bytes_in_any_string_are_valid_or_located(
    fuzz_repo: Path, edits: list[Any], fmt: str,
) -> None:
    docs = {"main": BASE, "more": INCLUDED}
    for (doc, path, kind), text, at in edits:
        docs[doc] = _inject(docs[doc], path, kind, text, at)
    main = fuzz_repo / f"orchestrator.{fmt}"
    main.write_text(_dump(docs["main"], fmt), encoding="utf-8", errors="surrogatepass")
    (fuzz_repo / "more.yml").write_text(_dump(docs["more"], fmt), encoding="utf-8", errors="surrogatepass")
    from gitorch import config

    config._cache.clear()
    result = CliRunner().invoke(app, ["plan", "validate", "--file", str(main)], catch_exceptions=False)
    assert result.exit_code in (0, 2), f"exit {result.exit_code} for {edits!r}:\n{result.output}"
    if result.exit_code == 2:
        assert "orchestrator." in result.output or "more.yml" in result.output, result.output
