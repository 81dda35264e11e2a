"""The lean start-up path (gitorch.cli.lean) accepts exactly what typer accepts for the hot
commands, calls the same body with the same arguments, and answers the same: the table it
parses with is the one derived from the typer app, and every argv it is not sure of goes
to typer."""

from __future__ import annotations

import importlib
import json
import platform
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gitorch.cli import lean, lean_derive, lean_run
from gitorch.cli.lean_table import TABLE
from gitorch.errors import EXIT_INTERNAL, NotARepoError
from tests.conftest import git
from tests.e2e.helpers import write_plan

# argv the lean path answers itself: typer must read each the same way.
ACCEPTED = [
    ["status"], ["status", "--json"], ["status", "-f", "x.yml"], ["status", "--file=x.yml", "--json"],
    ["status", "--json", "--json"], ["status", "-f", "a.yml", "-f", "b.yml"], ["status", "--file="],
    ["status", "--file", "--json"],  # click takes the next word as the value, whatever it is
    ["next"], ["next", "--limit", "0"], ["next", "--limit=3", "--ttl", "5"], ["next", "--ttl", "1e3"],
    ["next", "--remote", "up", "--json"], ["next", "--ttl", "nan"], ["next", "--limit", " 7"],
    ["explain", "a"], ["explain", "a", "--json"], ["explain", "--json", "a"], ["explain", "-f", "p.yml", "a"],
    ["explain", ""], ["explain", "-"], ["explain", "a", "-f", "x", "-f", "y"],
    ["run"], ["run", "-t", "a", "-t", "b"], ["run", "--task=a", "--all"], ["run", "-j", "2", "-k"],
    ["run", "--jobs=3", "--dry-run", "--json"], ["run", "--force", "--no-build", "--dashboard", "--only"],
    ["run", "--resume", "--remote", "x"], ["run", "-t", "a", "-t", "a"], ["run", "-j", "+4"],
    ["run", "-j2"], ["run", "-tfoo", "-j2", "-k"], ["status", "-fx.yml"],  # click: the rest is the value
    ["plan", "validate"], ["plan", "validate", "-f", "p.yml", "--json"], ["plan", "validate", "--file="],
    ["ws", "snapshot"], ["ws", "snapshot", "--root", "..", "--out", "s.json"], ["ws", "snapshot", "--json"],
]
# argv the lean path leaves to typer: help, completion, errors typer words, forms it does not read.
LEFT_TO_TYPER = [
    ["status", "-h"], ["status", "--help"], ["-h", "status"], ["status", "--bogus"], ["status", "extra"],
    ["status", "--json=1"], ["status", "-f"], ["status", "--", "x"], ["status", "--jso"], ["status", "-f=x"],
    ["explain"], ["explain", "a", "b"], ["next", "--limit", "-1"], ["next", "--limit", "x"],
    ["next", "--ttl", "abc"], ["next", "--claim"], ["run", "-j", "0"], ["run", "-kj2"],
    ["run", "--claim"], ["run", "--file", "x", "--help"], ["--version"], ["resume"], ["plan", "show"],
    ["stauts"], [], ["plan"], ["plan", "--json", "validate"], ["plan", "validate", "-h"],
    ["ws", "snapshot", "x"],
]


def test_the_table_is_the_one_derived_from_the_typer_app() -> None:
    derived = lean_derive.derive()
    assert derived == TABLE, "run `python -m gitorch.cli.lean_derive` after changing a hot command's options"
    assert lean_derive.render(derived) == lean_derive.TABLE.read_text(encoding="utf-8")


def test_every_hot_command_with_a_body_is_read_by_the_lean_parser() -> None:
    assert set(lean.BODIES) <= set(TABLE["commands"])
    for path in lean.BODIES:
        assert lean._plain(TABLE["commands"][path]), path
        assert lean._steps(path) is not None, path
    for path, names in lean.TYPER_ONLY.items():
        assert names <= {p["name"] for p in TABLE["commands"][path]["params"]}, path


def test_a_new_option_in_typer_is_caught_by_the_table_test(monkeypatch: pytest.MonkeyPatch) -> None:
    import typer

    from gitorch.cli import app as app_module

    command = next(c for c in app_module.app.registered_commands if c.name == "status")

    def status_command(file: str | None = None, as_json: bool = False,
                       verbose: bool = typer.Option(False, "--verbose")) -> None:
        """Stand-in with one option more."""

    monkeypatch.setattr(command, "callback", status_command)
    assert lean_derive.derive() != TABLE


# Where each hot command's typer function and the lean path meet: the body both call.
# `ws snapshot`'s is a function of the Context the command builds (cli/ws_snapshot.py).
MEETING = {**lean.BODIES, ("ws", "snapshot"): ("gitorch.cli.ws_snapshot", "snapshot")}


def test_the_root_callback_does_nothing_the_lean_path_would_skip() -> None:
    import ast
    import inspect
    import textwrap

    from gitorch.cli import app as app_module

    assert f"{app_module.root.__module__}:{app_module.root.__qualname__}" in lean.BEFORE
    [function] = ast.parse(textwrap.dedent(inspect.getsource(app_module.root))).body
    assert isinstance(function, ast.FunctionDef)
    assert [type(node) for node in function.body] == [ast.Expr]  # its docstring alone
    for param in TABLE["root"]["params"]:  # options that act only when given, never on this path
        assert param.get("eager") and param.get("flag") and param["default"] is False, param


def test_a_group_callback_the_lean_path_does_not_know_sends_the_command_to_typer(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert lean.find(["ws", "snapshot"]) is not None
    monkeypatch.setitem(TABLE["groups"], ("ws",), {**TABLE["groups"][("ws",)], "callback": "x:y"})
    assert lean.find(["ws", "snapshot"]) is None


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[tuple[str, str]]]:
    """Every hot body, and the steps typer's group callbacks take before them, replaced by a
    recorder of (name, repr of its arguments); run in an empty folder."""
    monkeypatch.chdir(tmp_path)
    calls: list[tuple[str, str]] = []
    steps = [step for step in lean.BEFORE.values() if step is not None]
    for module, name in [*MEETING.values(), *steps]:
        def record(*args: Any, _name: str = name, **kwargs: Any) -> None:
            calls.append((_name, repr((args, sorted(kwargs.items())))))

        monkeypatch.setattr(importlib.import_module(module), name, record)
    yield calls


def _typer(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    from typer.testing import CliRunner

    from gitorch import config
    from gitorch.cli.app import app

    config._cache.clear()
    monkeypatch.setattr(sys, "argv", ["git-orch", *argv])
    result = CliRunner().invoke(app, argv, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _lean(argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[
        int, str, str]:
    from gitorch import config

    config._cache.clear()
    monkeypatch.setattr(sys, "argv", ["git-orch", *argv])
    found = lean.find(argv)
    assert found is not None, argv
    capsys.readouterr()
    with pytest.raises(SystemExit) as ended:
        lean.run(*found, argv)
    out, err = capsys.readouterr()
    return int(ended.value.code or 0), out, err


@pytest.mark.parametrize("argv", ACCEPTED, ids=" ".join)
def test_the_lean_path_passes_the_body_what_typer_passes(
        argv: list[str], recorded: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _typer(argv, monkeypatch)
    assert code == 0, err
    by_typer = list(recorded)
    assert _lean(argv, monkeypatch, capsys) == (0, "", "")
    assert by_typer and recorded == by_typer * 2, recorded
    if argv[0] == "ws":  # the ws group's sweep first, told the command, on both paths
        assert by_typer[0] == ("before_command", repr((("snapshot",), [])))


@pytest.mark.parametrize("argv", LEFT_TO_TYPER, ids=lambda a: " ".join(a) or "(nothing)")
def test_what_the_lean_path_is_not_sure_of_goes_to_typer(argv: list[str]) -> None:
    assert lean.find(argv) is None


def test_completion_requests_go_to_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    assert lean.find(["status"]) is not None
    monkeypatch.setenv("_GIT_ORCH_COMPLETE", "bash_complete")
    assert lean.find(["status"]) is None


@pytest.fixture
def ran(repo: Path) -> Path:
    """A repository with a plan of three tasks and one run (one task failed)."""
    write_plan(repo, [{"id": "a", "title": "A", "commands": {"t": "true"}},
                      {"id": "b", "dependencies": ["a"], "commands": {"t": "echo boom; false"}},
                      {"id": "c", "dependencies": ["b"], "commands": {"t": "true"}}])
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "plan")
    done = subprocess.run(["git-orch", "run"], cwd=repo, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    (repo.parent / "bad.json").write_text('{"version": 1, "tasks": [{"id": "x", "dependencies": ["y"]}]}')
    return repo


SAME_ANSWER = [
    ["status"], ["status", "--json"], ["next"], ["next", "--json", "--limit", "0"], ["explain", "b"],
    ["explain", "c", "--json"], ["explain", "zz"], ["explain", "zz", "--json"],
    ["status", "-f", "missing.yml"], ["status", "-f", "missing.yml", "--json"],
    ["run", "-t", "a", "--all"], ["run", "-t", "a", "--all", "--json"],
    ["run", "--dry-run"], ["run", "--dry-run", "--json", "-t", "b"], ["run", "-t", "zz"],
    ["plan", "validate"], ["plan", "validate", "--json"], ["plan", "validate", "-f", "missing.yml", "--json"],
    ["plan", "validate", "-f", "../bad.json"], ["plan", "validate", "-f", "../bad.json", "--json"],
    ["ws", "snapshot"], ["ws", "snapshot", "--root", "missing"],
    ["ws", "snapshot", "--root", "missing", "--json"],
]


@pytest.mark.parametrize("color", ["NO_COLOR", "FORCE_COLOR"])
def test_both_paths_answer_the_same(ran: Path, color: str, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(color, "1")
    for argv in SAME_ANSWER:
        assert _typer(argv, monkeypatch) == _lean(argv, monkeypatch, capsys), argv


def test_a_failed_run_exits_alike(ran: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    for path in (_typer, lambda a, m: _lean(a, m, capsys)):
        code, out, _ = path(["run", "--json"], monkeypatch)
        assert code == 1 and json.loads(out)["status"] == "failed"


@pytest.mark.parametrize("raised, code, words", [
    (KeyboardInterrupt(), 130, "git orch: interrupted"),
    (RuntimeError("boom"), EXIT_INTERNAL, "internal error: RuntimeError: boom"),
])
@pytest.mark.parametrize("as_json", [False, True])
def test_ctrl_c_and_bugs_read_the_same(raised: BaseException, code: int, words: str, as_json: bool,
                                       monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    def body(**_: Any) -> None:
        raise raised

    monkeypatch.setattr(lean_run, "status", body)
    argv = ["status", "--json"] if as_json else ["status"]
    typer_says, lean_says = _typer(argv, monkeypatch), _lean(argv, monkeypatch, capsys)
    assert typer_says == lean_says
    assert lean_says[0] == code and words in lean_says[2]
    if as_json:
        assert json.loads(lean_says[1])["exit_code"] == code


PROBE = """
import sys
sys.argv = ["git-orch", *sys.argv[1:]]
from gitorch.cli.entry import main
try:
    main()
except SystemExit:
    pass
sys.stderr.write("typer loaded: %s\\n" % ("typer" in sys.modules))
"""


def test_hot_commands_start_without_typer_and_the_rest_with_it(ran: Path) -> None:
    def loads_typer(*argv: str) -> bool:
        proc = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=ran, capture_output=True, text=True,
                              timeout=60)
        return proc.stderr.strip().splitlines()[-1] == "typer loaded: True"

    for argv in (["status"], ["next", "--json"], ["explain", "a"], ["run", "--dry-run"], ["plan", "validate"],
                 ["ws", "snapshot"]):
        assert not loads_typer(*argv), argv
    assert loads_typer("status", "--bogus")
    assert loads_typer("report")


TYPER_ONLY_PATH = ("import sys; from gitorch.cli import lean; lean.find = lambda args: None; "
                   "from gitorch.cli.entry import main; main(sys.argv[1:])")


def test_a_reader_that_left_ends_both_paths_alike(ran: Path) -> None:
    import os

    def ended(code: str, *argv: str) -> tuple[int, str]:
        read, write = os.pipe()
        os.close(read)  # `git orch … | head -c0`: nobody reads what is written
        try:
            proc = subprocess.run([sys.executable, "-c", code, *argv], cwd=ran, stdout=write,
                                  stderr=subprocess.PIPE, text=True, timeout=60)
        finally:
            os.close(write)
        return proc.returncode, proc.stderr

    lean_path = "import sys; from gitorch.cli.entry import main; main(sys.argv[1:])"
    for argv in (["explain", "zz", "--json"], ["status", "--json"]):
        assert ended(lean_path, *argv) == ended(TYPER_ONLY_PATH, *argv), argv


MSGSPEC_PROBE = """
import sys, typing
from gitorch.cli import lean
lean._import_msgspec()
import msgspec._utils as u
hidden = "typing_extensions" not in sys.modules and u._get_type_hints is typing.get_type_hints
same = (u.Required, u.NotRequired) == (typing.Required, typing.NotRequired)
import typing_extensions  # what typer needs imports as usual afterwards
from typer.testing import CliRunner
from gitorch.cli.app import app
ran = CliRunner().invoke(app, ["status", "--help"]).exit_code == 0
print(hidden, same, typing_extensions.__name__ == "typing_extensions", ran)
"""


def test_msgspec_imported_without_typing_extensions_binds_typings_functions() -> None:
    """The lean path imports msgspec with typing_extensions hidden (cli/lean._import_msgspec):
    msgspec then holds typing's own functions, and typer still gets typing_extensions."""
    proc = subprocess.run([sys.executable, "-c", MSGSPEC_PROBE], capture_output=True, text=True, timeout=60)
    assert proc.stdout.split() == ["True"] * 4, proc.stderr


STAND_IN_PROBE = """
import sys
if sys.argv[1] == "lean":
    from gitorch.cli import lean as path
    path._import_msgspec()
else:
    import msgspec
print(*(m in sys.modules for m in ("platform", "textwrap", "msgspec.inspect", "msgspec._json_schema",
                                   "msgspec.toml", "msgspec.yaml")))
import msgspec, uuid
class Doc(msgspec.Struct):
    '''  Said here,
        indented.'''
    x: int
print(uuid._LINUX, uuid._AIX, uuid.uuid1().version)
print(msgspec.inspect.type_info(list[Doc]))  # the lean way: the real module's, through its stand-in
print(msgspec.json.encode(msgspec.json.schema(Doc)).decode())
print(msgspec.json.schema_components([Doc]))
print(type(msgspec.inspect).__name__, msgspec.inspect is sys.modules["msgspec.inspect"])
print(msgspec.toml.decode(b'a = 1', type=dict), msgspec.yaml.encode([1]) if "yaml" in sys.modules else "-",
      type(msgspec.toml).__name__, msgspec.toml is sys.modules["msgspec.toml"])
import platform, textwrap  # the real modules, imported as usual afterwards
print(platform.system(), callable(platform.python_version), textwrap.fill("a b", 1))
"""


def test_msgspec_imported_without_platform_and_its_schema_modules_answers_the_same() -> None:
    """The lean path imports msgspec with stand-ins for platform (uuid's `platform.system()`),
    msgspec.inspect and msgspec._json_schema (with textwrap): none loads, uuid, inspect and
    the JSON Schema answer as with the real modules, and a later import gets the real modules."""
    def probe(way: str) -> list[str]:
        proc = subprocess.run([sys.executable, "-c", STAND_IN_PROBE, way], capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.splitlines()

    lean_way, usual = probe("lean"), probe("usual")
    if sys.platform.startswith("linux"):
        assert lean_way[0] == "False " * 5 + "False" and usual[0] == "True " * 5 + "True"
    assert lean_way[1:] == usual[1:]
    assert lean_way[2].startswith("ListType(item_type=StructType(cls=<class '__main__.Doc'>")
    assert '"description":"Said here,\\nindented."' in lean_way[3]
    assert lean_way[5:] == ["module True", "{'a': 1} - module True", platform.system() + " True a", "b"]


def test_typing_extensions_answers_as_typing_for_gitorchs_types() -> None:
    """Why hiding typing_extensions changes nothing: for every Struct and TypedDict-free type
    msgspec reads in gitorch, typing_extensions.get_type_hints(include_extras=True) is typing's
    answer (what msgspec._utils calls)."""
    import typing

    import msgspec
    import typing_extensions

    import gitorch.config.model
    import gitorch.engine.statusdoc
    import gitorch.events
    import gitorch.plan.model
    import gitorch.store.layout

    types = [t for m in (gitorch.events, gitorch.plan.model, gitorch.config.model, gitorch.store.layout,
                         gitorch.engine.statusdoc)
             for t in vars(m).values() if isinstance(t, type) and issubclass(t, msgspec.Struct)]
    assert len(types) > 20
    for t in types:
        assert (typing_extensions.get_type_hints(t, include_extras=True)
                == typing.get_type_hints(t, include_extras=True)), t
    assert typing_extensions.Required is typing.Required
    assert typing_extensions.NotRequired is typing.NotRequired


@pytest.mark.parametrize("enabled", [True, False])
def test_the_entry_point_leaves_the_collector_as_it_found_it(enabled: bool, ran: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The collector is off while the CLI imports (and while a read-only view runs), then as
    the caller had it, on every path: lean, typer, an error."""
    import gc

    from gitorch.cli.entry import main

    monkeypatch.chdir(ran)
    for argv in (["status", "--json"], ["run", "--dry-run", "--json"], ["explain", "zz"],
                 ["report", "--json"]):
        (gc.enable if enabled else gc.disable)()
        try:
            with pytest.raises(SystemExit):
                main(argv)
            assert gc.isenabled() is enabled, argv
        finally:
            gc.enable()


def test_status_shows_the_legacy_notice_once_and_imports_migrate_only_then(ran: Path) -> None:
    """status asks the cheap legacy test (legacypaths.exists) before importing the migrate
    package: nothing legacy, no import; a legacy file, the one-time notice as before."""
    probe = PROBE + 'sys.stderr.write("migrate loaded: %s\\n" % ("gitorch.migrate" in sys.modules))\n'

    def status() -> tuple[str, bool]:
        proc = subprocess.run([sys.executable, "-c", probe, "status"], cwd=ran, capture_output=True,
                              text=True, timeout=60)
        return proc.stderr, proc.stderr.strip().splitlines()[-1] == "migrate loaded: True"

    assert status() == ("typer loaded: False\nmigrate loaded: False\n", False)
    (ran / ".workflow_state.json").write_text("{}")
    first, loaded = status()
    assert loaded and "legacy orchestrator state found" in first
    second, loaded = status()
    assert loaded and "legacy orchestrator state found" not in second


def test_the_early_rev_parse_is_used_once_and_only_in_its_directory(ran: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """status, next and explain start find_repo's `git rev-parse` from the entry point
    (repo.start_early); find_repo takes its answer once, for the directory it ran in."""
    from gitorch import repo as repo_mod

    monkeypatch.chdir(ran)
    calls: list[list[str]] = []
    real_git = repo_mod.git

    def counted(args: list[str], *rest: Any, **kw: Any) -> Any:
        calls.append(list(args))
        return real_git(args, *rest, **kw)

    monkeypatch.setattr(repo_mod, "git", counted)
    repo_mod.start_early()
    early = repo_mod.find_repo(ran)
    assert calls == [] and early == repo_mod.find_repo(ran) and len(calls) == 1  # the second asks git
    (ran / "sub").mkdir(exist_ok=True)
    repo_mod.start_early()
    assert repo_mod.find_repo(ran / "sub") == early and len(calls) == 2  # another directory: not taken
    monkeypatch.chdir(ran.parent)
    repo_mod.start_early()
    with pytest.raises(NotARepoError):
        repo_mod.find_repo(ran.parent)  # outside a repository: the same error from the early answer
    assert len(calls) == 2 and repo_mod._early is None
