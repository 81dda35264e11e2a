"""`git orch cache verify` and `cache gc`: the result cache checked and pruned."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from gitorch.gitcmd import git
from gitorch.store.cacheentries import CACHE, Entry, read_entry


@dataclass(frozen=True)
class Problem:
    ref: str
    reason: str


def entries(cwd: Path) -> dict[str, tuple[str, Entry | None]]:
    """Every entry ref -> (its commit, the entry or None when unreadable)."""
    refs = git(["for-each-ref", "--format=%(objectname) %(refname)", CACHE + "/"], cwd).stdout.decode()
    pairs = [line.split(" ", 1) for line in refs.splitlines() if " " in line]
    if not pairs:
        return {}
    batch = git(["cat-file", "--batch"], cwd, input="".join(f"{oid}\n" for oid, _ in pairs).encode())
    out: dict[str, tuple[str, Entry | None]] = {}
    data = batch.stdout
    for oid, ref in pairs:
        header, _, rest = data.partition(b"\n")
        size = int(header.split()[2]) if len(header.split()) == 3 else 0
        out[ref] = (oid, read_entry(header + b"\n" + rest[:size]))
        data = rest[size + 1:]
    return out


def verify(cwd: Path, require_signed: bool = False) -> tuple[int, list[Problem]]:
    """Each entry is what its name says (key = ref name), and its signature, when it has one
    (or must have one), verifies. Returns the number checked and the problems."""
    found = entries(cwd)
    problems: list[Problem] = []
    for ref, (oid, entry) in sorted(found.items()):
        name = ref[len(CACHE) + 1:].replace("/", "", 1)
        if entry is None:
            problems.append(Problem(ref, "not a cache entry (unreadable record)"))
            continue
        if entry.key != name:
            problems.append(Problem(ref, f"records key {entry.key[:16]}…, not the key it is stored as"))
            continue
        raw = git(["cat-file", "commit", oid], cwd).stdout
        signed = b"\ngpgsig " in raw or raw.startswith(b"gpgsig ")
        if signed or require_signed:
            check = git(["verify-commit", oid], cwd, check=False)
            if check.returncode != 0:
                why = "not signed" if not signed else "bad or untrusted signature"
                problems.append(Problem(ref, f"{why} (written by {entry.writer})"))
    return len(found), problems


def gc(cwd: Path, older_than: float, remote: str | None = None, now: float | None = None) -> list[str]:
    """Delete entries created more than `older_than` seconds ago (and unreadable ones);
    with `remote`, there too (each deletion leased on the entry's commit)."""
    cutoff = (now if now is not None else time.time()) - older_than
    doomed = {ref: oid for ref, (oid, e) in entries(cwd).items() if e is None or e.created < cutoff}
    if doomed:
        stdin = "".join(f"delete {ref} {oid}\n" for ref, oid in sorted(doomed.items()))
        git(["update-ref", "--stdin"], cwd, input=stdin.encode())
        if remote:
            leases = [f"--force-with-lease={ref}:{oid}" for ref, oid in sorted(doomed.items())]
            git(["push", "--quiet", *leases, remote, *(f":{r}" for r in sorted(doomed))], cwd, check=False)
    return sorted(doomed)


def parse_age(text: str, option: str = "--older-than") -> float:
    """`30d`, `12h`, `90m`, `45s` -> seconds (at least 0, finite; else a UsageError naming `option`)."""
    import math

    from gitorch.errors import UsageError

    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    try:
        seconds = float(text[:-1]) * units[text[-1]] if text and text[-1] in units else float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:  # a negative age would prune every entry
        raise UsageError(f"{option} {text!r}: use a number of at least 0 with d, h, m or s, e.g. 30d")
    return seconds
