"""workspace/repodirs: valid_name reads a repo name without `re` (git starts before `re` loads):
it answers exactly as the regular expression it replaces, edge cases and any text alike."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from gitorch.workspace.repodirs import valid_name

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # what workspace names were checked with

EDGES = ["", "a", "A", "0", "a.b", "a_b", "a-b", "a-", "a.", "-a", ".a", "_a", ".", "..", "a b", "a/b",
         "a\n", "a\n\n", "\n", "a\nb", "ä", "aé", "a٣", "٣", "a\t", "a\r", "a\r\n", "Ab9._-", "a" * 300,
         "a\u00a0", "ｆｕｌｌ", "a\x00"]


def test_edge_cases_agree_with_the_regular_expression() -> None:
    assert [valid_name(n) for n in EDGES] == [NAME.match(n) is not None for n in EDGES]


@given(st.text(alphabet=st.sampled_from("aZ09._- \n/\t\u00e9\u0663x"), max_size=8) | st.text(max_size=12))
def test_any_text_agrees_with_the_regular_expression(name: str) -> None:
    assert valid_name(name) == (NAME.match(name) is not None)


def test_the_repos_under_a_folder(tmp_path: Path) -> None:
    """Folders holding .git (a folder or a file), by name; a symlink to a listed checkout left
    out, one to a checkout elsewhere kept; names renamed as the regular expression wants, the
    first of two that clash kept; files, plain folders and dangling links ignored."""
    import os

    from gitorch.workspace.repodirs import repo_dirs

    root, elsewhere = tmp_path / "ws", tmp_path / "elsewhere"
    for name in ("b", "a", "my repo", "z", "__x", "a-b", "a b"):
        (root / name / ".git").mkdir(parents=True)
    (elsewhere / ".git").mkdir(parents=True)
    (root / "plain").mkdir()
    (root / "file").write_text("")
    (root / "gitfile").mkdir()
    (root / "gitfile" / ".git").write_text("gitdir: ../x\n")
    os.symlink(root / "a", root / "a-link")
    os.symlink(root / "b", root / "0first")
    os.symlink(tmp_path / "missing", root / "dangling")
    os.symlink(elsewhere, root / "ext-link")
    assert repo_dirs(str(root)) == [("x", "__x"), ("a", "a"), ("a-b", "a b"), ("b", "b"),
                                    ("ext-link", "ext-link"), ("gitfile", "gitfile"), ("my-repo", "my repo"),
                                    ("z", "z")]
