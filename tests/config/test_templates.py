"""`git orch init --template`: a plan file, a directory, a repository (path, file:// URL, #subdir)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gitorch.errors import UsageError
from gitorch.repo import find_repo
from gitorch.templates import apply_template

PLAN = "version: 1\nproject:\n  name: web-app\ninclude: [tasks/*.yml]\ntasks:\n  - id: build\n"
INCLUDED = "tasks:\n  - id: deploy\n    type: deploy\n"


def _template_repo(path: Path) -> Path:
    sub = path / "web-app"
    (sub / "tasks").mkdir(parents=True)
    (sub / "orchestrator.yml").write_text(PLAN)
    (sub / "tasks" / "deploy.yml").write_text(INCLUDED)
    (path / "orchestrator.toml").write_text('version = 1\n[[tasks]]\nid = "lint"\n')
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "templates"]):
        subprocess.run(["git", *args], cwd=path, check=True, capture_output=True)
    return path


def test_plan_file(repo: Path, tmp_path: Path) -> None:
    src = tmp_path / "plan.yml"
    src.write_text("version: 1\ntasks: []\n")
    out = apply_template(find_repo(repo), str(src))
    assert out == repo / "orchestrator.yml" and out.read_text() == "version: 1\ntasks: []\n"


def test_repository_by_file_url_with_subdir_and_includes(repo: Path, tmp_path: Path) -> None:
    tpl = _template_repo(tmp_path / "templates")
    out = apply_template(find_repo(repo), tpl.as_uri() + "#web-app")
    assert out.read_text() == PLAN
    assert (repo / "tasks" / "deploy.yml").read_text() == INCLUDED


def test_repository_by_path_converts_toml(repo: Path, tmp_path: Path) -> None:
    tpl = _template_repo(tmp_path / "templates")
    (tpl / "uncommitted.txt").write_text("not part of the template")
    out = apply_template(find_repo(repo), str(tpl))
    import yaml

    assert yaml.safe_load(out.read_text()) == {"version": 1, "tasks": [{"id": "lint"}]}


def test_refuses_to_overwrite(repo: Path, tmp_path: Path) -> None:
    src = tmp_path / "plan.yml"
    src.write_text("version: 1\n")
    (repo / "orchestrator.yml").write_text("mine\n")
    with pytest.raises(UsageError, match="already exists"):
        apply_template(find_repo(repo), str(src))
    assert (repo / "orchestrator.yml").read_text() == "mine\n"


def test_refuses_to_overwrite_an_included_file(repo: Path, tmp_path: Path) -> None:
    tpl = _template_repo(tmp_path / "templates")
    (repo / "tasks").mkdir()
    (repo / "tasks" / "deploy.yml").write_text("mine\n")
    with pytest.raises(UsageError, match="would overwrite tasks/deploy.yml"):
        apply_template(find_repo(repo), f"{tpl}#web-app")
    assert not (repo / "orchestrator.yml").exists()


def test_missing_template_and_missing_plan(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not found"):
        apply_template(find_repo(repo), str(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="holds no plan"):
        apply_template(find_repo(repo), str(tmp_path / "empty"))
    with pytest.raises(UsageError, match="not found"):
        apply_template(find_repo(repo), "file://" + str(tmp_path / "no-such-repo"))
    # A URL whose clone fails (nothing listens on port 9 of this machine).
    with pytest.raises(UsageError, match="cannot clone template http://127.0.0.1:9/t.git"):
        apply_template(find_repo(repo), "http://127.0.0.1:9/t.git")


def test_init_template_through_the_cli(repo: Path, tmp_path: Path, orch) -> None:  # type: ignore[no-untyped-def]
    tpl = _template_repo(tmp_path / "templates")
    proc = orch("init", "--template", tpl.as_uri() + "#web-app", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert (repo / "orchestrator.yml").read_text() == PLAN
    proc = orch("init", "--template", tpl.as_uri() + "#web-app", cwd=repo)
    assert proc.returncode == 2 and "already exists" in proc.stderr
