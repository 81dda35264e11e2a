"""Every bad plan gets located errors and exit 2, through the real CLI (subprocess) and in-process."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import OrchRunner
from tests.plan.helpers import write

PLAN = "orchestrator.yml"

# name -> (files, plan file passed with --file or None for discovery, expected lines of the report)
CASES: dict[str, tuple[dict[str, str], str | None, list[str]]] = {
    "missing file": ({}, "nope.yml", ["nope.yml: plan file not found"]),
    "no plan at root": ({}, None, ["no plan found at", "orchestrator.yml, orchestrator.yaml"]),
    "unreadable yaml": (
        {PLAN: "version: 1\ntasks:\n  - id: A\n    title: [unclosed\n  - id: B\n"},
        None, ["orchestrator.yml:5:7: invalid YAML: did not find expected ',' or ']'"],
    ),
    "empty file": ({PLAN: ""}, None, ["orchestrator.yml: the plan file is empty"]),
    "an exit code no process has": (
        {PLAN: "version: 1\ntasks:\n  - id: A\n    acceptance: [{run: make, exit_code: 999}]\n"},
        None, ["tasks[0].acceptance[0].exit_code: expected an integer <= 255, got 999"],
    ),
    "terminal control in a title": (  # run, status, reports and TASKS.md print titles
        {PLAN: 'version: 1\ntasks:\n  - id: A\n    title: "red\\e[31m"\n    description: "a\\r\\nb\\tc"\n'},
        None, ["orchestrator.yml:4:5: tasks[0].title: title contains the control character '\\x1b'"],
    ),
    "only comments": ({PLAN: "# nothing yet\n"}, None, ["the plan file is empty (only comments)"]),
    "wrong version": (
        {PLAN: "version: 2\ntasks: [{id: A}]\n"}, None,
        ["orchestrator.yml:1:1: version: unsupported plan version 2"],
    ),
    "version not a number": (
        {PLAN: "version: one\n"}, None,
        ["orchestrator.yml:1:1: version: expected an integer, got a string"],
    ),
    "list instead of mapping": (
        {PLAN: "- id: A\n- id: B\n"}, None, ["orchestrator.yml:1:1: the plan must be a mapping"],
    ),
    "task id with spaces": (
        {PLAN: "tasks:\n  - id: A\n  - id: my task\n"}, None,
        ["orchestrator.yml:3:5: tasks[1].id: task id 'my task' contains whitespace"],
    ),
    "unknown keys and wrong types": (
        {PLAN: """\
            tasks:
              - id: A
                titel: x
                dependencies: B
                commands: {a: 1}
            projekt: {}
            """},
        None,
        ["orchestrator.yml:3:5: tasks[0].titel: unknown key `titel`", "hint: did you mean `title`?",
         "orchestrator.yml:4:5: tasks[0].dependencies: expected a list, got a string",
         "hint: a list of task ids",
         "orchestrator.yml:5:16: tasks[0].commands.a: expected a string, got an integer",
         "orchestrator.yml:6:1: projekt: unknown key `projekt`"],
    ),
    "missing required id": (
        {PLAN: "tasks:\n  - title: no id\n"}, None,
        ["orchestrator.yml:2:5: tasks[0]: missing required key `id`"],
    ),
    "duplicate ids": (
        {PLAN: "tasks:\n  - id: A\n    shards: [{id: S}, {id: A}]\n  - id: S\n  - id: A\n"}, None,
        ["tasks[0].shards[1].id: duplicate shard id 'A' (also at tasks[0].id)",
         "orchestrator.yml:4:5: tasks[1].id: duplicate task id 'S' (also at tasks[0].shards[0].id)",
         "orchestrator.yml:5:5: tasks[2].id: duplicate task id 'A' (also at tasks[0].id)"],
    ),
    "unknown dependency": (
        {PLAN: """\
            tasks:
              - id: BUILD
              - id: T
                shards: [{id: T1}]
              - id: X
                dependencies: [BIULD, T1]
            """},
        None,
        ["orchestrator.yml:6:20: tasks[2].dependencies[0]: unknown dependency 'BIULD'",
         "did you mean 'BUILD'?",
         "tasks[2].dependencies[1]: unknown dependency 'T1'", "'T1' is a shard of task 'T'"],
    ),
    "dependency cycle": (
        {PLAN: """\
            tasks:
              - {id: A, dependencies: [B]}
              - {id: B, dependencies: [C]}
              - {id: C, dependencies: [A]}
              - {id: D, dependencies: [D]}
            """},
        None, ["dependency cycle: A -> B -> C -> A", "tasks[3].dependencies[0]: dependency cycle: D -> D"],
    ),
    "paths escaping the repo": (
        {PLAN: """\
            tasks:
              - id: A
                paths: {preferred: [/etc], forbidden: [../x]}
                constraints: {forbidden: [a/../../b]}
                acceptance: ['File exists: /tmp/x', {contains: y, in: ../../z}]
            """},
        None,
        ["tasks[0].paths.preferred[0]: path '/etc' is absolute",
         "tasks[0].paths.forbidden[0]: path '../x' leaves the repository",
         "tasks[0].constraints.forbidden[0]: path 'a/../../b' leaves the repository",
         "tasks[0].acceptance[0]: path '/tmp/x' is absolute",
         "tasks[0].acceptance[1]: path '../../z' leaves the repository"],
    ),
    "unknown approval gate": (
        {PLAN: "orchestrator: {approvals: {required: [deploy]}}\ntasks:\n  - id: A\n    approvals: [ship]\n"},
        None,
        ["orchestrator.yml:4:17: tasks[0].approvals[0]: unknown approval gate 'ship'",
         "declared gates: deploy"],
    ),
    "empty command": (
        {PLAN: "tasks:\n  - id: A\n    commands: {lint: '', test: make}\n"
               "    shards: [{id: S, commands: {x: ' '}}]\n"},
        None, ["orchestrator.yml:3:16: tasks[0].commands.lint: command `lint` is empty",
               "tasks[0].shards[0].commands.x: command `x` is empty"],
    ),
    "unknown acceptance form": (
        {PLAN: "tasks:\n  - id: A\n    acceptance: ['Test passes: make', {run: x, contains: y}]\n"},
        None, ["tasks[0].acceptance[0]: unknown acceptance check 'Test passes: make'",
               "tasks[0].acceptance[1]: an acceptance mapping needs exactly one of"],
    ),
    "bad durations": (
        {PLAN: "tasks:\n  - id: A\n    constraints: {timeout: soon}\n    retry: {attempts: 0}\n"},
        None, ["tasks[0].constraints.timeout: timeout 'soon' is not a duration",
               "tasks[0].retry.attempts: expected an integer >= 1, got 0"],
    ),
    "invalid json": ({"plan.json": '{"version": 1,\n "tasks": [\n  {"id": "A",}\n ]}'}, "plan.json",
                     ["plan.json:3:14: invalid JSON: trailing comma in object"]),
    "json type errors have lines": (
        {"plan.json": '{"tasks": [\n  {"id": "A"},\n  {"id": 7}\n]}'}, "plan.json",
        ["plan.json:3:4: tasks[1].id: expected a string, got an integer"],
    ),
    "invalid toml": ({"plan.toml": "version = 1\n[[tasks]]\nid = \n"}, "plan.toml",
                     ["plan.toml:3:6: invalid TOML"]),
    "toml problems have lines": (
        {"plan.toml": """\
            [orchestrator.approvals]
            required = ["deploy"]

            [[tasks]]
            id = "A"
            description = \"\"\"
            [[tasks]]
            \"\"\"
            dependencies = ["Z"]

            [[tasks.shards]]
            id = "S1"
            titel = "x"

            [[tasks]]
            id = "my task"
            approvals = ["ship"]
            """},
        "plan.toml",
        ["plan.toml:9:1: tasks[0].dependencies[0]: unknown dependency 'Z'",
         "plan.toml:13:1: tasks[0].shards[0].titel: unknown key `titel`",
         "plan.toml:16:1: tasks[1].id: task id 'my task' contains whitespace",
         "plan.toml:17:1: tasks[1].approvals[0]: unknown approval gate 'ship'"],
    ),
    "unknown format": ({"plan.txt": "tasks: []\n"}, "plan.txt", ["unsupported plan format '.txt'"]),
    # one malformed check must not hide the problems of the task's other checks
    "one malformed check among bad ones": (
        {PLAN: "tasks:\n  - id: A\n    acceptance:\n      - {file_exists: a, label: 3}\n"
               "      - 'Tests passed: make'\n      - {matches: '('}\n      - 'File exists: ../x'\n"}, None,
        ["orchestrator.yml:4:26: tasks[0].acceptance[0].label: expected a string or null, got an integer",
         "orchestrator.yml:5:9: tasks[0].acceptance[1]: unknown acceptance check 'Tests passed: make'",
         "orchestrator.yml:6:10: tasks[0].acceptance[2].matches: `matches` is not a valid regular expression",
         "orchestrator.yml:7:9: tasks[0].acceptance[3]: path '../x' leaves the repository"],
    ),
    # hostile bytes (issue 14): a NUL or a control character where a path or command is read
    "NUL in include": ({PLAN: 'include: "x\\0"\ntasks: [{id: A}]\n'}, None,
                       ["orchestrator.yml:1:1: include: include 'x\\x00' contains a NUL byte"]),
    "NUL and control bytes in paths": (
        {PLAN: 'tasks:\n  - id: A\n    paths: ["a\\0b"]\n    constraints: {forbidden: ["\\e[31m"]}\n'
               '    acceptance: ["File exists: a\\tb", {contains: x, in: "q\\x01"}]\n'}, None,
        ["orchestrator.yml:3:13: tasks[0].paths[0]: path 'a\\x00b' contains a NUL byte",
         "  hint: a file name cannot hold NUL, control characters or invalid text",
         "tasks[0].constraints.forbidden[0]: path '\\x1b[31m' contains the control character '\\x1b'",
         "tasks[0].acceptance[0]: path 'a\\tb' contains the control character '\\t'",
         "tasks[0].acceptance[1]: path 'q\\x01' contains the control character '\\x01'"],
    ),
    "NUL in commands": (
        {PLAN: 'project: {build: {test: "make\\0"}}\n'
               'tasks:\n  - {id: A, commands: {t: "echo \\0"}, acceptance: [{run: "x\\0y"}]}\n'}, None,
        ["project.build.test: command `test` contains a NUL byte",
         "tasks[0].commands.t: command `t` contains a NUL byte",
         "tasks[0].acceptance[0]: check command contains a NUL byte"],
    ),
    "gate names follow the rules of task ids": (
        {PLAN: "orchestrator: {approvals: {required: ['a b', 'ok', '-x']}}\ntasks: [{id: A}]\n"}, None,
        ["orchestrator.yml:1:39: orchestrator.approvals.required[0]: gate name 'a b' contains whitespace",
         "orchestrator.approvals.required[2]: gate name '-x' starts with '-', not a letter or digit"],
    ),
    "unknown repo with a workspace manifest": (
        {PLAN: "tasks:\n  - {id: A, repo: lib}\n  - {id: B, repo: app}\n  - {id: C, repo: 'x y'}\n",
         "workspace.toml": '[[repos]]\nname = "lib"\n'}, None,
        ["orchestrator.yml:3:13: tasks[1].repo: unknown workspace repo 'app'",
         "  hint: repos in workspace.toml: lib",
         "tasks[2].repo: repo name 'x y' contains whitespace"],
    ),
    "tasks is a mapping": ({PLAN: "tasks: {id: A}\n"}, None,
                           ["orchestrator.yml:1:1: tasks: `tasks` must be a list, not a mapping"]),
    # an id's message names what is wrong with it
    "odd task ids": (
        {PLAN: "tasks:\n  - id: -x\n  - id: a/b\n  - id: tâche\n"}, None,
        ["orchestrator.yml:2:5: tasks[0].id: task id '-x' starts with '-', not a letter or digit",
         "orchestrator.yml:3:5: tasks[1].id: task id 'a/b' contains '/' (only ASCII letters",
         "orchestrator.yml:4:5: tasks[2].id: task id 'tâche' contains 'â' (only ASCII letters"],
    ),
    # libyaml says "cannot start any token" for a tab at the start of a line: name the tab
    "tab indentation": (
        {PLAN: "tasks:\n\t- id: A\n"}, None,
        ["orchestrator.yml:2:1: invalid YAML: found character that cannot start any token",
         "hint: YAML does not allow tabs for indentation: indent with spaces"],
    ),
    # a directory named in include: (not a glob) is named as one, not as a missing file
    "include a directory": (
        {PLAN: "tasks: [{id: A}]\ninclude: [tasks]\n", "tasks/a.yml": "- id: B\n"}, None,
        ["orchestrator.yml:2:11: include[0]: include 'tasks' is a directory, not a plan file",
         "hint: include its files with a glob such as 'tasks/*.yml'"],
    ),
    "plan file is a directory": ({"plan.yml/x.yml": "tasks: []\n"}, "plan.yml",
                                 ["plan.yml: is a directory, not a plan file"]),
    "not utf-8": ({}, "bin.yml", ["bin.yml:2: not UTF-8 text"]),
    "huge integer in yaml": ({PLAN: "version: " + "1" * 5000 + "\n"}, None,
                             ["orchestrator.yml: invalid YAML: Exceeds the limit (4300 digits)"]),
    "huge integer in toml": ({"plan.toml": "version = " + "1" * 5000 + "\n"}, "plan.toml",
                             ["plan.toml: invalid TOML: Exceeds the limit (4300 digits)"]),
    "huge integer in json": ({"plan.json": '{"version": ' + "1" * 5000 + "}"}, "plan.json",
                             ["plan.json: invalid JSON: Integer value out of range"]),
    # libyaml composes nodes recursively in C: deep flow nesting must be refused, not crash
    "deeply nested yaml": ({PLAN: "tasks: " + "[" * 100_000 + "]" * 100_000 + "\n"}, None,
                           ["orchestrator.yml: invalid YAML: nested too deeply"]),
    "deeply nested json": ({"plan.json": '{"tasks": ' + "[" * 100_000 + "]" * 100_000 + "}"}, "plan.json",
                           ["plan.json: invalid JSON: nested too deeply"]),
}

# The issue's own list of bad inputs also runs through a real `git orch` process (slower).
PROCESS_CASES = ["NUL in include", "NUL and control bytes in paths",
                 "missing file", "no plan at root", "unreadable yaml", "empty file", "wrong version",
                 "list instead of mapping", "task id with spaces", "dependency cycle", "invalid json",
                 "deeply nested yaml", "include a directory"]


def _setup(repo: Path, name: str) -> tuple[str | None, list[str]]:
    files, plan, expected = CASES[name]
    for fname, text in files.items():
        write(repo, fname, text)
    if name == "not utf-8":
        (repo / "bin.yml").write_bytes(b"tasks:\n  - id: \xff\xfe\n")
    return plan, expected


@pytest.mark.parametrize("name", PROCESS_CASES)
def test_bad_plan_through_cli_process(name: str, repo: Path, orch: OrchRunner) -> None:
    plan, expected = _setup(repo, name)
    args = ["plan", "validate", *(["--file", plan] if plan else [])]
    proc = orch(*args)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    for line in expected:
        assert line in proc.stderr, f"{line!r} not in:\n{proc.stderr}"
    # a problem with the file itself is one message; located problems end with their count
    lines = proc.stderr.rstrip().splitlines()
    assert lines[-1].startswith("git orch: plan invalid:") or proc.stderr.startswith("git orch: ")


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_plan_in_process(name: str, repo: Path, cli: Callable[..., Any]) -> None:
    plan, expected = _setup(repo, name)
    result = cli("plan", "validate", *(["--file", plan] if plan else []), "--json")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["valid"] is False and report["problems"]
    assert all(p.get("file") for p in report["problems"])  # every problem names its file
    rendered = "\n".join(_render(p) for p in report["problems"])
    for line in expected:
        assert line in rendered, f"{line!r} not in:\n{rendered}"


def _render(problem: dict[str, Any]) -> str:
    """A JSON problem rendered like the human report, to check both against one expectation."""
    where = ":".join(str(problem[k]) for k in ("file", "line", "column") if k in problem)
    text = where + (f": {problem['path']}" if "path" in problem else "") + f": {problem['message']}"
    return text + (f"\n  hint: {problem['hint']}" if "hint" in problem else "")


def test_json_lists_every_problem(repo: Path, cli: Callable[..., Any]) -> None:
    write(repo, PLAN, "tasks:\n  - {id: A, dependencies: [X]}\n  - {id: A, bogus: 1}\n  - {id: 'b c'}\n")
    result = cli("plan", "validate", "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 2
    found = [(p["path"], p["line"]) for p in report["problems"]]
    assert found == [
        ("tasks[0].dependencies[0]", 2), ("tasks[1].id", 3), ("tasks[1].bogus", 3), ("tasks[2].id", 4)]


def test_valid_plan_summary(repo: Path, orch: OrchRunner) -> None:
    write(repo, PLAN, "tasks:\n  - {id: A}\n  - {id: B, dependencies: [A], shards: [{id: B1}]}\n"
                      "  - {id: C, dependencies: [A, B]}\n")
    proc = orch("plan", "validate")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == (
        "orchestrator.yml: valid: 3 tasks, 1 shard, 3 edges, longest chain 3 (A -> B -> C)")
    sub = repo / "src" / "deep"
    sub.mkdir(parents=True)
    from_sub = orch("plan", "validate", "--json", cwd=sub)  # found at the root from a subfolder
    assert from_sub.returncode == 0, from_sub.stderr
    report = json.loads(from_sub.stdout)
    assert report["valid"] is True and report["file"] == "orchestrator.yml"  # named as in error messages
    counts = (report["tasks"], report["shards"], report["edges"], report["longest_chain"])
    assert counts == (3, 1, 3, ["A", "B", "C"])
    assert len(report["digest"]) == 64
