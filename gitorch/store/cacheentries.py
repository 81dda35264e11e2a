"""Git as the result cache: one ref per entry, `refs/orch/cache/<kk>/<key>`.

An entry is a commit on the empty tree whose message records the task, the run, the host
or CI run, the writer and when; the key is the task's inputs digest (what the run's
decision compares) bound to the secret names it receives. Looking a key up is one read of
one ref (packed refs are binary-searched), whatever the number of entries. Entries are
immutable: created only where the ref is absent, fetched without `+`, so a remote cannot
rewrite one behind a reader's back; `verify` checks each entry against its name and, when
signed (the writer's git signing config), its signature.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from gitorch.errors import GitError, UsageError
from gitorch.gitcmd import git

CACHE = "refs/orch/cache"
_FIELDS = ("key", "task", "run", "host", "writer", "created", "ci")
DEFAULT_WRITE_REFS = "refs/heads/main,refs/heads/master"
_PR_EVENTS = frozenset({"pull_request", "pull_request_target", "pull_request_review", "merge_group"})


@dataclass(frozen=True)
class Entry:
    """One cached result: which task passed on these inputs, where and by whom."""

    key: str
    task: str
    run: str
    host: str
    writer: str
    created: float
    ci: str = ""  # the CI run (URL or id) that wrote it, when one did
    oid: str = ""

    @property
    def ref(self) -> str:
        return entry_ref(self.key)

    def evidence(self) -> str:
        """The loud line a hit shows in progress, status and report."""
        where = self.ci or self.host
        return f"cached: run {self.run} on {where}, key {self.key[:16]}"


def cache_key(inputs_digest: str, secret_names: list[str], outputs: list[str] | None = None) -> str:
    """The entry name of a task on these inputs (inputs digest: definition, tree ids, deps).
    The declared outputs are part of it: they decide what the entry's tree holds, so two
    tasks alike but for their outputs never restore each other's files."""
    text = "gitorch-cache-1\0" + inputs_digest + "\0" + ",".join(sorted(set(secret_names)))
    if outputs:
        text += "\0outputs\0" + "\0".join(sorted(set(outputs)))
    return hashlib.sha256(text.encode()).hexdigest()


def entry_ref(key: str) -> str:
    return f"{CACHE}/{key[:2]}/{key[2:]}"


def _parse(text: str, oid: str) -> Entry | None:
    _, _, body = text.partition("\n\n")
    try:
        doc = json.loads(body)
        return Entry(key=str(doc["key"]), task=str(doc["task"]), run=str(doc["run"]), host=str(doc["host"]),
                     writer=str(doc["writer"]), created=float(doc["created"]), ci=str(doc.get("ci", "")),
                     oid=oid)
    except (ValueError, KeyError, TypeError):
        return None


def lookup(cwd: Path, key: str) -> Entry | None:
    """The entry for `key`, or None: one git process reads the ref and its commit."""
    proc = git(["cat-file", "--batch"], cwd, input=(entry_ref(key) + "\n").encode(), check=False)
    return read_entry(proc.stdout, key)


def read_entry(batch_output: bytes, key: str | None = None) -> Entry | None:
    """An entry from `git cat-file --batch` output (None when missing, not a commit, or not
    the entry it is named as)."""
    first, _, rest = batch_output.partition(b"\n")
    parts = first.split()
    if len(parts) != 3 or parts[1] != b"commit":
        return None
    text = rest[: int(parts[2])].decode(errors="replace")
    _, _, message = text.partition("\n\n")  # after the headers (a signature is one of them)
    entry = _parse(message, parts[0].decode())
    if entry is None or (key is not None and entry.key != key):
        return None
    return entry


def may_write(environ: Mapping[str, str] | None = None) -> tuple[bool, str]:
    """Whether this process may add cache entries, and why not: pull-request runs only read;
    CI runs write only on the refs GITORCH_CACHE_WRITE_REFS names (default main, master)."""
    env = os.environ if environ is None else environ
    given = env.get("GITORCH_CACHE_WRITE_REFS", DEFAULT_WRITE_REFS)
    allowed = [p.strip() for p in given.split(",") if p.strip()]
    if env.get("GITHUB_ACTIONS") == "true":
        event, ref = env.get("GITHUB_EVENT_NAME", ""), env.get("GITHUB_REF", "")
        if event in _PR_EVENTS:
            return False, f"a {event} run reads the cache but never writes it"
    elif env.get("GITLAB_CI") == "true":
        event = env.get("CI_PIPELINE_SOURCE", "")
        ref = "refs/heads/" + env.get("CI_COMMIT_BRANCH", "") if env.get("CI_COMMIT_BRANCH") else ""
        if event in ("merge_request_event", "external_pull_request_event"):
            return False, f"a {event} pipeline reads the cache but never writes it"
    else:
        return True, "a local run writes its local cache"
    if not any(fnmatchcase(ref, p) for p in allowed):
        return False, (f"{ref or 'this ref'} may not write the cache "
                       f"(GITORCH_CACHE_WRITE_REFS: {', '.join(allowed)})")
    return True, f"{ref} may write the cache"


def _signing(cwd: Path) -> bool:
    proc = git(["config", "--bool", "orch.cacheSign"], cwd, check=False)
    if proc.returncode == 0:
        return proc.stdout.decode().strip() == "true"
    return git(["config", "--bool", "commit.gpgSign"], cwd, check=False).stdout.decode().strip() == "true"


def writer_identity(cwd: Path, environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    actor = env.get("GITHUB_ACTOR") or env.get("GITLAB_USER_LOGIN")
    if actor:
        return actor
    email = git(["config", "user.email"], cwd, check=False).stdout.decode().strip()
    return email or "unknown"


def put(cwd: Path, key: str, task: str, run: str, ci: str = "", sign: bool | None = None,
        environ: Mapping[str, str] | None = None, tree: str | None = None) -> Entry | None:
    """Add the entry for `key` (None when one exists: entries are immutable); `tree`: the
    task's outputs (gitorch/store/outputtree.py), the entry commit's tree. UsageError when this
    process may not write (see `may_write`)."""
    ok, why = may_write(environ)
    if not ok:
        raise UsageError(f"cache entry for {task} refused: {why}")
    entry = Entry(key=key, task=task, run=run, host=socket.gethostname(),
                  writer=writer_identity(cwd, environ), created=time.time(), ci=ci)
    body = {k: v for k, v in asdict(entry).items() if k in _FIELDS}
    tree = tree or git(["mktree"], cwd, input=b"").stdout.decode().strip()
    args = ["commit-tree", tree, "-m", "orch cache\n\n" + json.dumps(body, sort_keys=True)]
    if sign if sign is not None else _signing(cwd):
        args.insert(1, "-S")
    email = entry.writer if "@" in entry.writer else "gitorch@localhost"
    who = {"GIT_AUTHOR_NAME": entry.writer, "GIT_COMMITTER_NAME": entry.writer,
           "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_EMAIL": email}
    oid = git(args, cwd, env=who).stdout
    new = oid.decode().strip()
    made = git(["update-ref", entry.ref, new, ""], cwd, check=False)  # "": only where absent
    return Entry(**{**asdict(entry), "oid": new}) if made.returncode == 0 else None


def fetch(cwd: Path, remote: str) -> str | None:
    """The remote's entries, added here; an existing entry is never overwritten (no `+`).
    Returns git's first error line when the fetch failed (an unknown or unreachable remote)."""
    proc = git(["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", remote, f"{CACHE}/*:{CACHE}/*"],
               cwd, check=False)
    if proc.returncode == 0:
        return None
    lines = proc.stderr.decode(errors="replace").strip().splitlines()
    return lines[0] if lines else f"git fetch exited {proc.returncode}"


def push(cwd: Path, remote: str, entries: list[Entry]) -> None:
    """Push new entries (each only where absent on the remote)."""
    if not entries:
        return
    specs = [f"{e.oid}:{e.ref}" for e in entries]
    leases = [f"--force-with-lease={e.ref}:" for e in entries]
    proc = git(["push", "--quiet", "--porcelain", *leases, remote, *specs], cwd, check=False)
    text = (proc.stdout + proc.stderr).decode(errors="replace")
    if proc.returncode != 0 and "stale info" not in text and "rejected" not in text:
        raise GitError(f"could not push cache entries to '{remote}': {text.strip()}")
