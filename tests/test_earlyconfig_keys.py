"""gitorch/earlyconfig's one `git config` pattern names again the keys its readers ask for
(the settings' `^orch\\.`, the CLI store's user.name/email and store/loose's keys): a key added
to a reader and not to the pattern would be read as unset from the early answer. Each
reader's records from it are what its own `git config` prints, on a real repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gitorch import earlyconfig
from gitorch.config import files
from gitorch.store import cli_backend
from tests.conftest import git, make_repo

VALUES = {"orch.jobs": "3", "orch.stateBranch": "orch/x", "user.name": "A = b", "user.email": "a@b",
          "core.sharedRepository": "false", "core.fsync": "loose-object", "core.fsyncObjectFiles": "false",
          "core.compression": "2", "core.looseCompression": "0", "core.editor": "ed", "user.signingKey": "k"}


def _config(root: Path, pattern: str) -> bytes:
    return subprocess.run(["git", "config", "-z", "--get-regexp", pattern], cwd=root, capture_output=True,
                          check=False).stdout


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_repo(tmp_path / "r")
    for key, value in VALUES.items():
        git(root, "config", key, value)
    git(root, "config", "--add", "user.name", "Line\nbroken")  # the last value wins, as in git
    monkeypatch.chdir(root)
    return root


def test_each_reader_gets_from_the_early_read_what_its_own_git_config_prints(root: Path) -> None:
    from gitorch.repo import find_repo, start_early

    start_early()
    earlyconfig.start()
    git_dir = str(find_repo(root).git_dir)
    store_pattern = cli_backend._WRITE_CONFIG[-1]
    assert earlyconfig.output(git_dir, cli_backend._WRITE_KEYS.__contains__) == _config(root, store_pattern)
    assert earlyconfig.output(git_dir, files._orch_key) == _config(root, r"^orch\.")
    earlyconfig.forget()


def test_every_key_the_store_writes_by_is_in_the_pattern() -> None:
    import re

    for key in cli_backend._WRITE_KEYS:
        assert re.search(earlyconfig.PATTERN, key), key
    assert re.search(earlyconfig.PATTERN, "orch.jobs") and not re.search(earlyconfig.PATTERN, "core.editor")
