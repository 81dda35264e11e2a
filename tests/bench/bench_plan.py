"""Plan validation time for a generated 10,000-task plan (YAML and JSON), beside the peer:
parsing the same file alone the usual way (`yaml.load` with libyaml's CSafeLoader; msgspec
for JSON). gitorch's cold load parses, validates every rule, normalizes and digests.

Run: `.venv/bin/python tests/bench/run.py plan` (or `make bench`).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

N_TASKS = 10_000


def generate(n: int = N_TASKS, rich: bool = True) -> dict[str, Any]:
    """A plan of `n` tasks with up to three dependencies on earlier tasks each. Rich tasks
    carry commands, acceptance (strings and mappings), paths, and every tenth one shards;
    lean ones an id, a title, one command and one check."""
    tasks: list[dict[str, Any]] = []
    for i in range(n):
        deps = [f"T-{j:05d}" for j in sorted({i - 1, i // 2, i - 7}) if 0 <= j < i]
        if not rich:
            tasks.append({"id": f"T-{i:05d}", "title": f"Task {i}", "commands": {"test": f"make t{i}"},
                          "acceptance": [f"Tests pass: make t{i}"], "dependencies": deps})
            continue
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
            "dependencies": deps,
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


def write_plans(directory: Path, n: int = N_TASKS, rich: bool = True) -> dict[str, Path]:
    """The generated plan as orchestrator.yml and orchestrator.json in `directory`."""
    import yaml

    data = generate(n, rich)
    out = {"yaml": directory / "orchestrator.yml", "json": directory / "orchestrator.json"}
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    out["yaml"].write_text(yaml.dump(data, Dumper=dumper, sort_keys=False))
    out["json"].write_text(json.dumps(data, indent=1))
    return out


def _best(fn: Any, rounds: int = 3) -> tuple[float, float]:
    """Best wall time and best CPU time (process_time: steadier on a shared machine), seconds."""
    walls, cpus = [], []
    for _ in range(rounds):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        cpus.append(time.process_time() - c0)
        walls.append(time.perf_counter() - w0)
    return min(walls), min(cpus)


def _cli(args: list[str], cwd: Path, env: dict[str, str], runs: int = 5) -> tuple[float, float]:
    """Median wall and CPU (user + system of the child) seconds of `runs` `git orch`
    processes; SystemExit when one fails (a figure for a failed run would mean nothing)."""
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(["git", "orch", *args], cwd=cwd, capture_output=True, text=True, env=env)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
        if proc.returncode != 0:
            raise SystemExit(f"git orch {' '.join(args)} failed (exit {proc.returncode}): "
                             f"{proc.stderr[-500:]}")
    return statistics.median(walls), statistics.median(cpus)


def _ms(pair: tuple[float, float]) -> str:
    return f"{pair[0] * 1000:6.0f} / {pair[1] * 1000:6.0f}"


def main() -> None:
    import msgspec
    import yaml

    from gitorch.plan.load import load_plan

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    print("figures: wall ms / CPU ms, best of 3 (CPU time is the steadier figure on a shared machine)")
    for rich in (True, False):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            subprocess.run(["git", "init", "-q", str(root)], check=True)
            files = write_plans(root, rich=rich)
            sizes = {fmt: path.stat().st_size / 1e6 for fmt, path in files.items()}
            print(f"\n{'rich' if rich else 'lean'} plan: {N_TASKS} tasks"
                  + (f", {N_TASKS // 10 * 2} shards" if rich else "")
                  + f"; YAML {sizes['yaml']:.1f} MB, JSON {sizes['json']:.1f} MB")
            floors = {
                "yaml": lambda f=files["yaml"]: yaml.load(f.read_text(), Loader=loader),
                "json": lambda f=files["json"]: msgspec.json.decode(f.read_bytes()),
            }
            os.environ["GITORCH_PLAN_CACHE"] = "0"
            for fmt, path in files.items():
                floor = _best(floors[fmt])
                full = _best(lambda p=path: load_plan(p))  # type: ignore[misc]
                parser = "yaml.load with CSafeLoader" if fmt == "yaml" else "msgspec.json.decode"
                print(f"  {fmt:4} cold load_plan {_ms(full)} | parse alone ({parser}) {_ms(floor)} | "
                      f"load_plan / parse alone: {full[1] / floor[1]:.2f}x CPU")
            del os.environ["GITORCH_PLAN_CACHE"]
            for fmt, path in files.items():
                load_plan(path)  # fills the cache
                warm = _best(lambda p=path: load_plan(p))  # type: ignore[misc]
                print(f"  {fmt:4} warm load_plan (plan cache in .git/orch) {_ms(warm)}")
            # `git orch` from this interpreter's environment, also when run without `make bench`
            path_var = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
            env = {**os.environ, "PATH": path_var}
            for fmt, path in files.items():
                args = ["plan", "validate", "--file", str(path)]
                cold = _cli(args, root, {**env, "GITORCH_PLAN_CACHE": "0"})
                again = _cli(args, root, env)
                print(f"  {fmt:4} `git orch plan validate` process, median of 5: cold {_ms(cold)}, "
                      f"warm {_ms(again)}")
    print(f"\nload average after the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
