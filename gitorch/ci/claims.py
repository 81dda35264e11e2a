"""Claims: several machines or agent sessions share one plan without both taking a task.

A claim is a ref on the remote, `refs/orch/claims/<plan>/<task>`, pointing at a parentless
commit whose message holds who claims the task, on which host, until when. It is created
with a push leased on the ref's absence (`--force-with-lease=<ref>:`), which the remote
checks under its ref lock: of any number of claimants, exactly one push succeeds. Renewal,
release and the takeover of an expired claim are pushes leased on the claim's commit, so
they too succeed for one writer only.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from gitorch.errors import GitError, UsageError
from gitorch.gitcmd import git
from gitorch.store.layout import safe_name

CLAIMS = "refs/orch/claims"
DEFAULT_TTL = 900.0  # seconds a claim holds without renewal
_LOST = ("stale info", "rejected", "already exists", "fetch first", "atomic push failed")
_IDENTITY = {"GIT_AUTHOR_NAME": "gitorch", "GIT_AUTHOR_EMAIL": "gitorch@localhost",
             "GIT_COMMITTER_NAME": "gitorch", "GIT_COMMITTER_EMAIL": "gitorch@localhost"}


@dataclass(frozen=True)
class Claim:
    """One claim as its commit records it."""

    plan: str
    task: str
    holder: str
    host: str
    claimed: float  # epoch seconds
    expires: float
    oid: str = ""  # the claim's commit (set once pushed or read)

    @property
    def ref(self) -> str:
        return claim_ref(self.plan, self.task)

    def expired(self, now: float | None = None) -> bool:
        return (now if now is not None else time.time()) >= self.expires

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "ref": self.ref}


def plan_key(display: str) -> str:
    """The claims folder of a plan: its file name as the repository names it."""
    return safe_name(display.replace("/", "_"))


def claim_ref(plan: str, task: str) -> str:
    return f"{CLAIMS}/{plan}/{task}"


def default_holder(cwd: Path) -> str:
    """Who claims: GITORCH_CLAIM_HOLDER, else user@host plus a mark of this clone (two
    clones on one machine are two claimants)."""
    given = os.environ.get("GITORCH_CLAIM_HOLDER", "").strip()
    if given:
        return given
    common = git(["rev-parse", "--git-common-dir"], cwd).stdout.decode().strip()
    mark = hashlib.sha256(str((cwd / common).resolve()).encode()).hexdigest()[:8]
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}:{mark}"


def _commit(cwd: Path, claim: Claim, parent: str | None = None) -> str:
    """The claim's commit (on the empty tree); its message is the claim as JSON."""
    tree = git(["mktree"], cwd, input=b"").stdout.decode().strip()
    body = {k: v for k, v in asdict(claim).items() if k != "oid"}
    args = ["commit-tree", tree, "-m", "orch claim\n\n" + json.dumps(body, sort_keys=True)]
    if parent:
        args += ["-p", parent]
    return git(args, cwd, env=_IDENTITY).stdout.decode().strip()


def _push(cwd: Path, remote: str, ref: str, new: str | None, expect: str | None) -> bool:
    """Update `ref` on `remote` to `new` (None deletes) only if it is `expect` (None: absent).
    True when this push won; False when the ref was not as expected."""
    lease = f"--force-with-lease={ref}:{expect or ''}"
    spec = f"{new}:{ref}" if new else f":{ref}"
    proc = git(["push", "--quiet", "--porcelain", lease, remote, spec], cwd, check=False)
    if proc.returncode == 0:
        return True
    text = (proc.stdout + proc.stderr).decode(errors="replace")
    if any(s in text for s in _LOST):
        return False
    raise GitError(f"git push of {ref} to '{remote}' failed: {text.strip()}")


def read_claims(cwd: Path, remote: str, plan: str) -> dict[str, Claim]:
    """Task -> claim, as the remote holds them now (one ls-remote and one fetch)."""
    prefix = f"{CLAIMS}/{plan}/"
    proc = git(["ls-remote", remote, prefix + "*"], cwd, check=False)
    if proc.returncode != 0:  # exit 2 as `sync` and `cache fetch` (not 1, "nothing claimed")
        first = (proc.stderr.decode(errors="replace").strip().splitlines() or [""])[0]
        raise UsageError(f"cannot reach remote '{remote}': {first}",
                         hint="name a remote of this repository with --remote")
    refs: dict[str, str] = {}
    for line in proc.stdout.decode().splitlines():
        oid, _, ref = line.partition("\t")
        if ref:
            refs[ref] = oid
    if not refs:
        return {}
    missing = [oid for oid in refs.values()
               if git(["cat-file", "-e", oid], cwd, check=False).returncode != 0]
    if missing:
        git(["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", remote,
             *(f"+{ref}:refs/orch/remote-claims/{remote}/{ref[len(CLAIMS) + 1:]}" for ref in refs)], cwd)
    out: dict[str, Claim] = {}
    for ref, oid in refs.items():
        claim = _parse(cwd, oid)
        if claim is not None and ref.startswith(prefix):
            out[ref[len(prefix):]] = claim
    return out


def _parse(cwd: Path, oid: str) -> Claim | None:
    text = git(["log", "-1", "--format=%B", oid], cwd, check=False).stdout.decode(errors="replace")
    _, _, body = text.partition("\n\n")
    try:
        doc = json.loads(body)
        return Claim(plan=str(doc["plan"]), task=str(doc["task"]), holder=str(doc["holder"]),
                     host=str(doc["host"]), claimed=float(doc["claimed"]), expires=float(doc["expires"]),
                     oid=oid)
    except (ValueError, KeyError, TypeError):
        return None


def try_claim(cwd: Path, remote: str, plan: str, task: str, holder: str, ttl: float = DEFAULT_TTL,
              current: Claim | None = None) -> Claim | None:
    """Claim `task`; None when another claimant holds it (or won the race). An expired
    `current` claim is taken over by compare-and-swap on its commit."""
    if ttl <= 0:
        raise UsageError(f"--ttl must be positive (got {ttl:g})")
    if current is not None and not current.expired():
        return current if current.holder == holder else None
    now = time.time()
    claim = Claim(plan=plan, task=task, holder=holder, host=socket.gethostname(), claimed=now,
                  expires=now + ttl)
    oid = _commit(cwd, claim)
    won = _push(cwd, remote, claim.ref, oid, current.oid if current else None)
    return Claim(**{**asdict(claim), "oid": oid}) if won else None


def renew(cwd: Path, remote: str, claim: Claim, ttl: float = DEFAULT_TTL) -> Claim | None:
    """Push a later expiry, leased on the claim's commit; None when the claim was lost."""
    now = time.time()
    fresh = Claim(**{**asdict(claim), "expires": now + ttl, "oid": ""})
    oid = _commit(cwd, fresh, parent=claim.oid)
    return Claim(**{**asdict(fresh), "oid": oid}) if _push(cwd, remote, claim.ref, oid, claim.oid) else None


def release(cwd: Path, remote: str, claim: Claim) -> bool:
    """Delete the claim, leased on its commit (a claim taken over meanwhile is left alone)."""
    return _push(cwd, remote, claim.ref, None, claim.oid)
