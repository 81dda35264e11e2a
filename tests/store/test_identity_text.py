"""The state branch's commits name user.name and user.email as git's own commits would: a
value with a newline, `<` or `>` (which delimit an ident line) or crud at its ends is cleaned
as git cleans it (ident.c, strbuf_addstr_without_crud), so the commit stays valid for
`git fsck` and for a remote with receive.fsckObjects."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import OrchRunner, git, make_repo
from tests.engine.helpers import write_plan


def _fsck_errors(root: Path) -> str:
    proc = subprocess.run(["git", "fsck", "--no-dangling"], cwd=root, capture_output=True, text=True)
    return "\n".join(line for line in (proc.stdout + proc.stderr).splitlines() if "error" in line)


def test_a_name_with_a_newline_and_delimiters_makes_a_valid_commit(tmp_path: Path, orch: OrchRunner,
                                                                   backend: str) -> None:
    root = make_repo(tmp_path / "r", {"a/one.txt": "one\n"})
    write_plan(root, [{"id": "a", "paths": {"preferred": ["a/"]}, "commands": {"t": "true"}}])
    git(root, "add", "orchestrator.json")
    git(root, "commit", "-q", "-m", "plan")
    (root / ".git" / "config").open("a").write(
        '[user]\n\tname = " Line\\nbroken <me> = x, "\n\temail = "<first@example.com>\\n"\n')
    git_ident = git(root, "var", "GIT_COMMITTER_IDENT").rsplit(" ", 2)[0]  # git's own cleaning
    assert git_ident == "Linebroken me = x <first@example.com>"
    proc = orch("run", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert _fsck_errors(root) == ""
    assert git(root, "log", "-1", "--format=%an <%ae>|%cn <%ce>", "refs/heads/orch/state") == \
        f"{git_ident}|{git_ident}"
