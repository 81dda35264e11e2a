"""Config resolution and secret redaction, beside their peers (git config, sed).

- settings(): all six levels set (user TOML, config.toml on the state branch, orch.* git
  config, GITORCH_* env, a flag), cache cleared each time, vs one `git config --get-regexp`.
- Redactor: 20 secrets masked in 4 MB of command output, vs `sed` with the same 20
  substitutions.
"""

from __future__ import annotations

import os
import secrets
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path


def _median_ms(fn, n: int = 15) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def bench_settings(tmp: Path) -> None:
    from gitorch import config
    from gitorch.repo import find_repo

    repo = tmp / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "--allow-empty", "-m", "i")
    os.environ["XDG_CONFIG_HOME"] = str(tmp / "cfg")
    r = find_repo(repo)
    config.set_value(r, "jobs", "2", "user")
    config.set_value(r, "lock_timeout", "9", "repo")
    config.set_value(r, "dashboard", "true", "git")
    os.environ["GITORCH_EXCERPT_BYTES"] = "100"

    def resolve() -> None:
        config._cache.clear()
        config.settings(r, {"hooks": False})

    ours = _median_ms(resolve)
    peer = _median_ms(lambda: subprocess.run(["git", "config", "-z", "--get-regexp", r"^orch\."],
                                             cwd=repo, capture_output=True))
    print(f"settings(), six levels, uncached: {ours:.1f} ms median (15 runs)")
    print(f"git config --get-regexp ^orch\\. alone: {peer:.1f} ms median")
    print(f"ratio settings / one git config call: {ours / peer:.2f}x")


def bench_redaction(tmp: Path) -> None:
    from gitorch.secrets import Redactor

    values = [f"tok-{secrets.token_hex(12)}" for _ in range(20)]
    line = "build step ok: compiled 42 modules, " + "x" * 60 + "\n"
    chunks = []
    for i in range(4 * 1024 * 1024 // len(line)):
        chunks.append(line if i % 500 else f"using {values[i % 20]} for upload\n")
    text = "".join(chunks)
    red = Redactor(values)
    ours = _median_ms(lambda: red.redact(text), n=5)
    out = red.redact(text)
    assert not any(v in out for v in values)
    data = tmp / "out.txt"
    data.write_text(text)
    script = ";".join(f"s/{v}/***/g" for v in values)
    sed = shutil.which("sed")
    if sed is None:
        print(f"Redactor: {ours:.1f} ms for 4 MB, 20 secrets (sed not found)")
        return
    peer = _median_ms(lambda: subprocess.run([sed, script, str(data)], capture_output=True), n=5)
    print(f"Redactor.redact, 4 MB, 20 secrets: {ours:.1f} ms median ({4 / (ours / 1000):.0f} MB/s)")
    print(f"sed with 20 substitutions, same file: {peer:.1f} ms median")
    print(f"ratio Redactor / sed: {ours / peer:.2f}x")


def main() -> None:
    saved = dict(os.environ)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            bench_settings(Path(tmp))
            bench_redaction(Path(tmp))
    finally:
        os.environ.clear()
        os.environ.update(saved)


if __name__ == "__main__":
    main()
