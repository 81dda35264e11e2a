"""Plan validation time for a generated 10,000-task plan (YAML and JSON), beside the floor:
parsing the same file alone with the fastest reader (libyaml's CSafeLoader, msgspec JSON).

Run: `.venv/bin/python tests/bench/run.py plan` (or `make bench`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

N_TASKS = 10_000


def generate(n: int = N_TASKS) -> dict[str, Any]:
    """A realistic plan of `n` tasks: commands, acceptance (strings and mappings), paths,
    shards on every tenth task, up to three dependencies on earlier tasks."""
    tasks: list[dict[str, Any]] = []
    for i in range(n):
        task: dict[str, Any] = {
            "id": f"T-{i:05d}",
            "title": f"Task number {i}",
            "type": ("code_change", "test", "docs", "chore")[i % 4],
            "description": f"Generated task {i} for the benchmark.",
            "paths": {"preferred": [f"src/mod{i % 97}.py"]},
            "commands": {"lint": "python -m compileall -q src",
                         "test": f"python -m pytest -q tests/test_{i % 97}.py"},
            "acceptance": [
                f"Tests pass: python -m pytest -q tests/test_{i % 97}.py",
                f"File exists: src/mod{i % 97}.py",
                {"contains": f"def f{i % 97}", "in": f"src/mod{i % 97}.py"},
            ],
            "dependencies": [f"T-{j:05d}" for j in sorted({i - 1, i // 2, i - 7}) if 0 <= j < i],
        }
        if i % 10 == 0:
            task["shards"] = [{"id": f"T-{i:05d}-S{k}", "title": f"Shard {k}",
                               "acceptance": [f"Contains: shard {k}"]} for k in range(2)]
        if i % 50 == 0:
            task["constraints"] = {"timeout": "10m", "forbidden": ["vendor/"]}
            task["retry"] = {"attempts": 3, "backoff": "5s"}
        tasks.append(task)
    return {
        "version": 1,
        "project": {"name": "bench", "root": ".", "language": "python",
                    "build": {"lint": "ruff check .", "test": "python -m pytest -q"}},
        "orchestrator": {"strategy": "conservative", "approvals": {"required": ["deploy"]}},
        "tasks": tasks,
    }


def write_plans(directory: Path, n: int = N_TASKS) -> dict[str, Path]:
    """The generated plan as orchestrator.yml and orchestrator.json in `directory`."""
    import yaml

    data = generate(n)
    out = {"yaml": directory / "orchestrator.yml", "json": directory / "orchestrator.json"}
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    out["yaml"].write_text(yaml.dump(data, Dumper=dumper, sort_keys=False))
    out["json"].write_text(json.dumps(data, indent=1))
    return out


def _best(fn: Any, rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _cli(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(["git", "orch", *args], cwd=cwd, capture_output=True, text=True, env=env)
    return time.perf_counter() - t0, f"exit {proc.returncode}: {proc.stdout.strip()[:70]}"


def main() -> None:
    import msgspec
    import yaml

    from gitorch.plan.load import load_plan

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        files = write_plans(root)
        sizes = {fmt: path.stat().st_size / 1e6 for fmt, path in files.items()}
        print(f"plan: {N_TASKS} tasks, {N_TASKS // 10 * 2} shards, ~30,000 edges; "
              f"YAML {sizes['yaml']:.1f} MB, JSON {sizes['json']:.1f} MB")
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        floors = {
            "yaml": lambda: yaml.load(files["yaml"].read_text(), Loader=loader),
            "json": lambda: msgspec.json.decode(files["json"].read_bytes()),
        }
        os.environ["GITORCH_PLAN_CACHE"] = "0"
        for fmt, path in files.items():
            floor = _best(floors[fmt])
            full = _best(lambda p=path: load_plan(p))  # type: ignore[misc]
            parser = "libyaml CSafeLoader" if fmt == "yaml" else "msgspec"
            print(f"{fmt:4} cold load_plan (parse+validate+normalize+digest) {full * 1000:7.0f} ms | "
                  f"parse alone ({parser}) {floor * 1000:6.0f} ms | "
                  f"validation itself {(full - floor) * 1000:5.0f} ms")
        del os.environ["GITORCH_PLAN_CACHE"]
        for fmt, path in files.items():
            load_plan(path)  # fills the cache
            warm = _best(lambda p=path: load_plan(p))  # type: ignore[misc]
            print(f"{fmt:4} warm load_plan (plan cache in .git/orch) {warm * 1000:7.0f} ms")
        env = dict(os.environ)
        for fmt, path in files.items():
            cold, out = _cli(["plan", "validate", "--file", str(path)], root,
                             {**env, "GITORCH_PLAN_CACHE": "0"})
            warm, _ = _cli(["plan", "validate", "--file", str(path)], root, env)
            print(f"{fmt:4} `git orch plan validate` whole process: cold {cold * 1000:5.0f} ms, "
                  f"warm {warm * 1000:5.0f} ms ({out})")
        print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    sys.exit(main())
