"""Secret stores (repo, user, environment), resolution per task, and redaction."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gitorch.errors import CheckFailed, UsageError
from gitorch.plan.model import Plan, Task
from gitorch.repo import find_repo
from gitorch.secrets import Redactor, resolve_for_task
from gitorch.secrets.store import lookup, repo_dir, store_set, store_unset, user_dir


def test_resolution_order_repo_then_user_then_env(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = find_repo(repo)
    monkeypatch.setenv("API_TOKEN", "from-env")
    found = lookup(r, "API_TOKEN")
    assert found is not None and (found.value, found.source) == ("from-env", "env")
    store_set(r, "API_TOKEN", "from-user", "user")
    found = lookup(r, "API_TOKEN")
    assert found is not None and (found.value, found.source) == ("from-user", "user")
    store_set(r, "API_TOKEN", "from-repo", "repo")
    found = lookup(r, "API_TOKEN")
    assert found is not None and (found.value, found.source) == ("from-repo", "repo")
    assert store_unset(r, "API_TOKEN", "repo")
    found = lookup(r, "API_TOKEN")
    assert found is not None and found.source == "user"


def test_files_are_private_and_outside_the_work_tree(repo: Path) -> None:
    r = find_repo(repo)
    store_set(r, "DB_PASSWORD", "multi\nline\nvalue\n", "repo")
    store_set(r, "DB_PASSWORD", "u", "user")
    for directory in (repo_dir(r), user_dir()):
        f = directory / "DB_PASSWORD"
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        assert repo not in f.parents or ".git" in f.parts
    found = lookup(r, "DB_PASSWORD")
    assert found is not None and found.value == "multi\nline\nvalue\n"
    assert "multi" not in repr(found)


def test_name_with_a_space_is_refused(repo: Path) -> None:
    with pytest.raises(UsageError, match="invalid secret name"):
        store_set(find_repo(repo), "MY SECRET", "x", "repo")


def test_resolve_for_task_gives_only_declared_secrets(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = find_repo(repo)
    monkeypatch.setenv("SHARED", "s1")
    store_set(r, "DEPLOY_KEY", "d1", "repo")
    store_set(r, "OTHER", "o1", "repo")
    plan = Plan(secrets=["SHARED"], tasks=[Task(id="a", secrets=["DEPLOY_KEY"]), Task(id="b")])
    assert resolve_for_task(r, plan, plan.tasks[0]) == {"SHARED": "s1", "DEPLOY_KEY": "d1"}
    assert resolve_for_task(r, plan, plan.tasks[1]) == {"SHARED": "s1"}


def test_missing_secret_names_it_never_a_value(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = find_repo(repo)
    monkeypatch.setenv("PRESENT", "value-that-must-not-leak")
    plan = Plan(tasks=[Task(id="a", secrets=["PRESENT", "ABSENT_ONE"])])
    with pytest.raises(CheckFailed) as info:
        resolve_for_task(r, plan, plan.tasks[0])
    text = str(info.value)
    assert "ABSENT_ONE" in text and "value-that-must-not-leak" not in text


def test_redactor_masks_every_scope_and_multiline(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = find_repo(repo)
    monkeypatch.setenv("TOKEN", "env-value-123")
    store_set(r, "TOKEN", "repo-value-456", "repo")
    store_set(r, "KEYFILE", "-----BEGIN KEY-----\nabcdefgh\n-----END KEY-----\n", "repo")
    red = Redactor.for_repo(r, ["TOKEN", "KEYFILE"])
    out = red.redact("a env-value-123 b repo-value-456 c\nabcdefgh\r\n")
    assert "env-value-123" not in out and "repo-value-456" not in out and "abcdefgh" not in out
    assert out.count("***") == 3
    assert red.redact_bytes(b"x repo-value-456 y") == b"x *** y"
    assert red.redact_obj({"k": ["repo-value-456", 3]}) == {"k": ["***", 3]}
    assert Redactor().redact("nothing") == "nothing"
    assert Redactor(["", "  ", "\n"]).redact("a  b\n") == "a  b\n"


@settings(max_examples=60, deadline=None)
@given(
    secret=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20),
    before=st.text(max_size=20),
    after=st.text(max_size=20),
)
def test_redaction_property(secret: str, before: str, after: str) -> None:
    assume("*" not in secret)  # the mask itself contains '*'
    red = Redactor([secret])
    out = red.redact(before + secret + after)
    assert secret.strip() == "" or secret not in out


def test_user_store_lives_under_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    assert str(user_dir()).startswith(os.environ["XDG_CONFIG_HOME"])
