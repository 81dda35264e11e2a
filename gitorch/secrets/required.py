"""Which secrets a plan needs, read tolerantly from the plan file (for doctor and secrets doctor).

This reads only `secrets`, `tasks[].secrets` and `secret_probes` (and the files named by
`include:`), so a plan with other mistakes still gets its secrets checked.
"""

from __future__ import annotations

import glob
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitorch.errors import PlanError, UsageError
from gitorch.repo import Repo


@dataclass
class SecretRequirements:
    """Secret names a plan uses, who uses them, and their probe commands."""

    plan_file: Path | None = None
    users: dict[str, list[str]] = field(default_factory=dict)  # NAME -> ["plan", "task build", …]
    probes: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return list(self.users)


def find_plan_file(repo: Repo, plan_file: str | Path | None = None) -> Path | None:
    """The plan file: `plan_file` when given, else orchestrator.{yml,yaml,json,toml} at the root."""
    if plan_file is not None:
        path = Path(plan_file)
        return path if path.is_absolute() else Path.cwd() / path
    if repo.root is None:
        return None
    from gitorch.plan.load import find_plan_file as plan_at  # the one list of plan file names

    return plan_at(repo.root)


def _load(path: Path) -> Any:
    data = path.read_bytes()
    try:
        if path.suffix == ".toml":
            return tomllib.loads(data.decode())
        if path.suffix == ".json":
            return json.loads(data)
        import yaml

        return yaml.safe_load(data)
    except Exception as exc:
        raise PlanError(f"{path}: cannot read the plan to find its secrets: {exc}") from None


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _names(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def required(repo: Repo, plan_file: str | Path | None = None) -> SecretRequirements:
    """The secrets the plan of `repo` declares (empty when there is no plan)."""
    path = find_plan_file(repo, plan_file)
    req = SecretRequirements(plan_file=path)
    if path is not None and plan_file is not None and not path.is_file():
        raise UsageError(f"{plan_file}: plan file not found")
    if path is None or not path.is_file():
        return req
    doc = _load(path)
    if not isinstance(doc, dict):
        return req
    # Tolerant: a wrong shape (`tasks: 5`) is `plan validate`'s to report, not a crash here.
    tasks: list[Any] = _items(doc.get("tasks"))
    for pattern in _names(doc.get("include")):
        for inc in sorted(glob.glob(str(path.parent / pattern))):
            sub = _load(Path(inc))
            if isinstance(sub, dict):
                tasks.extend(_items(sub.get("tasks")))
            elif isinstance(sub, list):
                tasks.extend(sub)
    for name in _names(doc.get("secrets")):
        req.users.setdefault(name, []).append("plan")
    for task in tasks:
        if isinstance(task, dict):
            for name in _names(task.get("secrets")):
                req.users.setdefault(name, []).append(f"task {task.get('id', '?')}")
    probes = doc.get("secret_probes")
    if isinstance(probes, dict):
        req.probes = {str(k): str(v) for k, v in probes.items()}
    return req
