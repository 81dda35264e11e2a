"""One-line flow collections read without PyYAML (plan/flowline.py): where PyYAML refuses a
flow mapping, the line reader must not read it either (review of issue 15's speed round)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitorch.plan import blockyaml, fastyaml

LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
BIN = str(Path(sys.executable).parent)


@pytest.mark.parametrize("length", [1025, 1100, 4000])
def test_a_flow_mapping_key_longer_than_libyaml_allows_is_left_to_it(length: int) -> None:
    """libyaml and PyYAML refuse a flow mapping's key over 1,024 characters; the line reader
    read `{<long key>: 1}` itself and accepted it."""
    text = f"key: {{{'k' * length}: 1, b: 2}}\n"
    with pytest.raises(yaml.YAMLError):
        yaml.load(text, Loader=LOADER)  # noqa: S506 - a safe loader
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load(text)
    with pytest.raises(fastyaml.Unsupported):
        blockyaml.load(text, [])


def test_a_flow_mapping_key_within_the_limit_still_reads_without_pyyaml() -> None:
    text = f"key: {{{'k' * 1000}: 1, b: 2}}\n"
    assert blockyaml.load(text, []) == yaml.load(text, Loader=LOADER)  # noqa: S506 - a safe loader


def test_plan_validate_refuses_a_long_flow_key_as_pyyaml_does(tmp_path: Path) -> None:
    """A real `git orch plan validate`: a command named by a 1,100-character key in a flow
    mapping is invalid YAML (exit 2, located), not a valid plan."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "orchestrator.yml").write_text(
        "version: 1\ntasks:\n- id: a\n  commands: {" + "k" * 1100 + ': "true"}\n')
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ["PATH"]}
    out = subprocess.run(["git", "orch", "plan", "validate"], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "orchestrator.yml:4:" in out.stdout + out.stderr
    assert "invalid YAML" in out.stdout + out.stderr
