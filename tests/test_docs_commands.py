"""docs/cli.md and man/git-orch.1 name every command the CLI has, and the man page no other."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _name(info: Any) -> str:
    return str(info.name or info.callback.__name__.replace("_", "-"))


def _cli() -> tuple[set[str], dict[str, set[str]]]:
    """The typer app's top-level commands and each group's subcommands."""
    from gitorch.cli.app import app

    commands = {_name(info) for info in app.registered_commands}
    groups = {str(g.name): {_name(c) for c in g.typer_instance.registered_commands}
              for g in app.registered_groups if g.typer_instance is not None}
    return commands, groups


def _man_commands(groups: dict[str, set[str]]) -> tuple[set[str], set[tuple[str, str]]]:
    """Commands named by the `.B` lines of the COMMANDS section: `plan validate | graph`,
    `export [-o FILE] | import FILE`, `events | sessions | state log`, `ws diff | plan` (a
    lone `plan` there is ws's)."""
    text = (ROOT / "man" / "git-orch.1").read_text()
    section = text.split(".SH COMMANDS", 1)[1].split(".SH ", 1)[0]
    tops: set[str] = set()
    subs: set[tuple[str, str]] = set()
    for line in section.splitlines():
        if not line.startswith(".B "):
            continue
        group = None
        for segment in line[3:].replace("\\-", "-").split(" | "):
            words = segment.split()
            if words and words[0] in groups and (group is None or len(words) > 1):
                group = words[0]
                words = words[1:]
            if not words or words[0].startswith(("-", "[")):
                continue
            if group is None:
                tops.add(words[0])
            else:
                subs.add((group, words[0]))
    return tops, subs


def test_cli_md_names_every_command() -> None:
    commands, groups = _cli()
    text = (ROOT / "docs" / "cli.md").read_text()
    named = [f"`{c}" for c in commands] + [f"`{g} {s}" for g, ss in groups.items() for s in ss]
    missing = [n for n in named if not re.search(re.escape(n) + r"[`\s]", text)]
    assert not missing, f"docs/cli.md does not name: {missing}"


def test_man_page_names_every_command_and_no_other() -> None:
    commands, groups = _cli()
    tops, subs = _man_commands(groups)
    expected = {(g, s) for g, ss in groups.items() for s in ss}
    assert commands - tops == set(), "man/git-orch.1 does not name these commands"
    assert expected - subs == set(), "man/git-orch.1 does not name these subcommands"
    assert tops - commands == set(), "man/git-orch.1 names commands the CLI does not have"
    assert subs - expected == set(), "man/git-orch.1 names subcommands the CLI does not have"


@pytest.mark.parametrize("doc", ["README.md", "docs/cli.md"])
def test_linked_docs_exist(doc: str) -> None:
    text = (ROOT / doc).read_text()
    for target in re.findall(r"\]\(((?:docs/)?[\w.-]+\.md)\)", text):
        path = (ROOT / doc).parent / target
        assert path.exists(), f"{doc} links {target}, which does not exist"
