"""Plans for the plan tests, written into real repositories."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import tomli_w
import yaml

GOOD_YAML = """\
version: 1
project:
  name: demo
  root: .
  language: python
  build:
    test: "python -m pytest -q"
orchestrator:
  strategy: conservative
  approvals:
    required: [deploy]
tasks:
  - id: EXC-001
    title: Central exception handling
    type: code_change
    paths:
      preferred: [src/error.py]
    commands:
      lint: "python -m compileall -q src"
      test: "python -m pytest -q"
    acceptance:
      - "Tests pass: python -m pytest -q"
      - "File exists: src/error.py"
      - "Contains: class AppError"
    shards:
      - id: EXC-001A
        title: Define AppError
        acceptance: ["Contains: class AppError in src/error.py"]
  - id: DOC-001
    title: Docs
    type: docs
    paths: [docs/]
    dependencies: [EXC-001]
    acceptance:
      - {contains: "AppError", in: docs/errors.md}
  - id: DEP-001
    title: Deploy
    type: deploy
    dependencies: [DOC-001]
    constraints: {timeout: 1h30m}
    retry: {attempts: 3, backoff: 10s}
"""


def write(root: Path, name: str, text: str) -> Path:
    """Write `text` (dedented) to root/name and return the path."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def dump(data: Any, fmt: str) -> str:
    """`data` in the given plan format."""
    if fmt == "json":
        return json.dumps(data, indent=2)
    if fmt == "toml":
        return tomli_w.dumps(data)
    return yaml.safe_dump(data, sort_keys=False)
