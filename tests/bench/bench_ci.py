"""Issue 18's figures: CI export of a large plan, cache lookups, a claim beside a plain push.

    python tests/bench/bench_ci.py [--tasks 1000] [--entries 100,10000] [--rounds 20]

- export: `ci export --target github|gitlab` of a plan of --tasks tasks (chains and a
  fan-out; over 150 jobs, so chains share jobs), in-process, median of --rounds;
- cache lookup: one `lookup` (one `git cat-file --batch` of the entry's ref) with 100 and
  10,000 entries (refs packed, as `git gc` or a fetch leaves them); goal <= 50 ms;
- claim: `try_claim` + `release` on a bare remote beside a plain `git push` of a new ref
  and its deletion to the same remote (the round trip a claim costs over git's own).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

LOOKUP_GOAL_MS = 50.0


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, check=True)
    return proc.stdout.decode()


def _repo(path: Path) -> Path:
    path.mkdir(parents=True)
    _git(path, "init", "-q", "-b", "main")
    _git(path, "-c", "user.name=b", "-c", "user.email=b@e", "commit", "-q", "--allow-empty", "-m", "init")
    return path


def _median_ms(fn: object, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def bench_export(root: Path, tasks: int, rounds: int) -> dict[str, float]:
    from gitorch.ci.export import render
    from gitorch.ci.model import Options

    repo = _repo(root / "export")
    lines = ["version: 1", "tasks:"]
    for i in range(tasks):  # chains of 5 hanging off every 10th task: groups and fan-out
        dep = f"t{i - 1}" if i % 5 else (f"t{i - 10}" if i >= 10 else "")
        deps = f"\n    dependencies: [{dep}]" if dep else ""
        lines.append(f"  - id: t{i}\n    commands: {{c: 'true'}}{deps}")
    (repo / "orchestrator.yml").write_text("\n".join(lines) + "\n")
    out: dict[str, float] = {}
    for target in ("github", "gitlab"):
        opts = Options(target=target)  # type: ignore[arg-type]
        _, jobs, _, _ = render(opts, str(repo / "orchestrator.yml"), str(repo))
        out[f"export {target} {tasks} tasks ({jobs} jobs) ms"] = _median_ms(
            lambda opts=opts: render(opts, str(repo / "orchestrator.yml"), str(repo)), rounds)
    return out


def bench_lookup(root: Path, entries: int, rounds: int) -> float:
    from gitorch.store import cacheentries as c

    repo = _repo(root / f"cache{entries}")
    stream = []
    for i in range(entries):  # real records, one commit each, written by fast-import in one go
        key = c.cache_key(f"{i:064d}", [])
        msg = ("orch cache\n\n" + json.dumps({"key": key, "task": f"t{i}", "run": "r", "host": "h",
                                               "writer": "w", "created": time.time(), "ci": ""})).encode()
        stream.append(f"commit {c.entry_ref(key)}\ncommitter w <w@e> 0 +0000\ndata {len(msg)}\n".encode()
                      + msg + b"\n\n")
    _git(repo, "fast-import", "--quiet", stdin=b"".join(stream))
    keys = [c.cache_key(f"{i:064d}", []) for i in range(0, entries, max(1, entries // rounds))]
    turn = iter(range(10**9))

    def one() -> None:
        assert c.lookup(repo, keys[next(turn) % len(keys)]) is not None

    return _median_ms(one, rounds)


def bench_claim(root: Path, rounds: int) -> tuple[float, float]:
    from gitorch.ci import claims as cl

    remote = root / "remote.git"
    _git(root, "init", "-q", "--bare", str(remote))
    work = _repo(root / "claimer")
    _git(work, "remote", "add", "origin", str(remote))
    _git(work, "push", "-q", "origin", "main")
    head = _git(work, "rev-parse", "HEAD").strip()
    n = iter(range(10**9))

    def claim() -> None:
        won = cl.try_claim(work, "origin", "plan", f"t{next(n)}", "bench", ttl=60)
        assert won is not None
        assert cl.release(work, "origin", won)

    def plain() -> None:
        ref = f"refs/bench/{next(n)}"
        _git(work, "push", "-q", "origin", f"{head}:{ref}")
        _git(work, "push", "-q", "origin", f":{ref}")

    return _median_ms(claim, rounds), _median_ms(plain, rounds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tasks", type=int, default=1000)
    ap.add_argument("--entries", default="100,10000")
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    os.environ.setdefault("GIT_CONFIG_NOSYSTEM", "1")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, ms in bench_export(root, args.tasks, max(3, args.rounds // 4)).items():
            print(f"{name}: {ms:.1f}")
        for entries in (int(e) for e in args.entries.split(",")):
            ms = bench_lookup(root, entries, args.rounds)
            print(f"cache lookup at {entries} entries: {ms:.1f} ms (goal <= {LOOKUP_GOAL_MS:.0f} ms)")
        claim, plain = bench_claim(root, args.rounds)
        print(f"claim round trip (claim + release): {claim:.1f} ms; plain git push + delete: {plain:.1f} ms; "
              f"ratio {claim / plain:.2f}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
