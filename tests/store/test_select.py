"""store/select: the one place that decides the backend (setting, env, command preference,
fallback when pygit2 does not import)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from gitorch.errors import ConfigError
from gitorch.store import select
from tests.conftest import make_repo


def test_explicit_setting_wins_over_everything() -> None:
    with select.preferring_cli():
        assert select.choose("pygit2", environ={"GITORCH_BACKEND": "cli"}).name == "pygit2"
    assert select.choose("git", environ={}).name == "cli"
    assert select.choose("CLI", environ={}).explicit


def test_auto_reads_the_variable_then_the_preference() -> None:
    from_env = select.choose("auto", environ={"GITORCH_BACKEND": "cli"})
    assert from_env == select.Choice("cli", "cli", "setting backend")
    assert select.choose(None, environ={}, prefer_cli=True).name == "cli"
    auto = select.choose(None, environ={}, prefer_cli=False)
    assert auto.name == "pygit2" and not auto.explicit  # pygit2 is a test dependency


def test_preference_is_scoped_to_the_block() -> None:
    assert select.choose(environ={}).name == "pygit2"
    with select.preferring_cli():
        assert select.choose(environ={}).name == "cli"
        with select.preferring_cli(False):
            assert select.choose(environ={}).name == "pygit2"
    assert select.choose(environ={}).name == "pygit2"  # nothing leaks to the next command


@pytest.mark.parametrize(("argv", "prefers"), [
    (["status"], True), (["--json", "run", "x"], True), (["state", "log"], True),
    (["state", "init"], False), (["ws", "snapshot"], False), ([], False),
])
def test_command_preference(argv: list[str], prefers: bool) -> None:
    assert select.command_prefers_cli(argv) is prefers


def test_broken_pygit2_falls_back_only_for_auto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "r")
    auto = select.choose("auto", environ={})  # installed: chosen before the import fails
    monkeypatch.setitem(sys.modules, "pygit2", None)  # `import pygit2` raises ImportError
    monkeypatch.delitem(sys.modules, "gitorch.store.pygit2_backend", raising=False)
    backend, got = select.open_backend(str(repo / ".git"), auto)
    try:
        assert (backend.name, got.name) == ("cli", "cli")
        assert "pygit2 does not import" in got.reason
    finally:
        backend.close()
    with pytest.raises(ConfigError, match="backend pygit2 was asked for"):
        select.open_backend(str(repo / ".git"), "pygit2")


def test_backend_module_does_not_import_its_implementations() -> None:
    import ast

    import gitorch.store.backend as backend_module

    tree = ast.parse(Path(backend_module.__file__).read_text())
    names = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not names & {"gitorch.store.cli_backend", "gitorch.store.pygit2_backend", "gitorch.store.select"}
