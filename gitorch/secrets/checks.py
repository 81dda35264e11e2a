"""`secrets doctor` and `secrets test`: presence of each required secret, and its probe."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gitorch.errors import UsageError
from gitorch.repo import Repo
from gitorch.secrets.redact import Redactor
from gitorch.secrets.required import required
from gitorch.secrets.store import check_name, lookup, repo_dir, unusable, user_dir

PROBE_TIMEOUT = 60.0


@dataclass
class SecretStatus:
    """One secret: present or not, and where it comes from (never its value)."""

    name: str
    present: bool
    source: str | None  # repo | user | env, None when missing
    where: str  # the file or variable it comes from, or where it could be set
    used_by: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def status(repo: Repo | None, name: str, used_by: list[str] | None = None) -> SecretStatus:
    check_name(name)
    found = lookup(repo, name)
    if found is None:
        where = (f"missing: `git orch secrets set {name}` (stores it in "
                 f"{repo_dir(repo) if repo else user_dir()}) or export {name}")
        return SecretStatus(name, False, None, where, used_by or [])
    why = unusable(name, found.value)
    if why:  # there, but no task can be given it
        return SecretStatus(name, False, found.source, f"{found.where}: the value {why}", used_by or [])
    return SecretStatus(name, True, found.source, found.where, used_by or [])


def doctor(repo: Repo, plan_file: str | Path | None = None) -> list[SecretStatus]:
    """Every secret the plan requires, present or missing."""
    req = required(repo, plan_file)
    return [status(repo, name, users) for name, users in req.users.items()]


@dataclass
class ProbeResult:
    name: str
    present: bool
    source: str | None
    probe: str | None  # the probe command, when the plan gives one
    exit_code: int | None = None
    output: str = ""  # redacted tail of the probe's output

    @property
    def ok(self) -> bool:
        return self.present and (self.probe is None or self.exit_code == 0)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["ok"] = self.ok
        return out


def test(repo: Repo, name: str, plan_file: str | Path | None = None) -> ProbeResult:
    """Check `name` is set and, when the plan gives a probe, that the probe passes with it."""
    check_name(name)
    found = lookup(repo, name)
    probe = required(repo, plan_file).probes.get(name)
    why = unusable(name, found.value) if found is not None else None
    result = ProbeResult(name, found is not None and not why, found.source if found else None, probe)
    if why:
        result.output = f"the value {why}"
    if found is None or probe is None or why:
        return result
    import tempfile

    from gitorch.engine.process import run_command
    from gitorch.gitcmd import clean_env

    red = Redactor.for_repo(repo, [name])
    with tempfile.TemporaryDirectory(prefix="gitorch-probe-") as tmp:
        log = Path(tmp) / "out"
        done = run_command(probe, cwd=Path(repo.cwd), env=clean_env({name: found.value}),
                           timeout=PROBE_TIMEOUT, log_path=log)
        data = log.read_bytes()[-8000:] if log.exists() else b""
    if done.timed_out:
        result.exit_code = None
        result.output = f"probe timed out after {PROBE_TIMEOUT:.0f}s"
        return result
    if done.error.startswith("cannot start"):
        raise UsageError(f"cannot run the probe for {name}: {done.error}")
    result.exit_code = done.status
    text = data.decode("utf-8", errors="replace")
    result.output = red.redact(text)[-2000:]
    return result
