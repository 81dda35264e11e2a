"""`next --claim` and `run --claim`: claims (ci/claims.py) applied to the plan's ready tasks."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gitorch.ci import claims as cl
from gitorch.errors import UsageError

if TYPE_CHECKING:
    from gitorch.context import Context


@dataclass
class ClaimOutcome:
    """What `next --claim` did: the claim won (or None) and the tasks others hold."""

    claim: cl.Claim | None
    held: dict[str, str] = field(default_factory=dict)  # task -> holder, for the ones skipped
    ready: list[str] = field(default_factory=list)


def claim_context(ctx: Context) -> Context:
    """`ctx` on the plan claims are about: --file, else the plan the latest run used (the
    one `next` offers tasks from), so `next --claim` and `run --claim` agree."""
    if ctx.file is not None:
        return ctx
    from gitorch.engine.setup import load

    return ctx.with_file(str(load(ctx, run_plan=True).lp.file))


def _where(ctx: Context) -> tuple[str, str]:
    """The claims folder of the context's plan, and the holder."""
    loaded = ctx.plan
    return cl.plan_key(loaded.display or loaded.file.name), cl.default_holder(ctx.repo.cwd)


def _pull_state(ctx: Context, remote: str) -> None:
    """Merge the remote's state first, so tasks others finished are not offered again."""
    from gitorch.gitcmd import git
    from gitorch.store.sync import sync

    store = ctx.store
    if git(["ls-remote", "--exit-code", remote, store.ref], ctx.repo.cwd, check=False).returncode == 0:
        sync(store, remote, push=False)


def claim_next(ctx: Context, remote: str, ttl: float = cl.DEFAULT_TTL) -> ClaimOutcome:
    """Claim the top ready task nobody holds (an expired claim is taken over)."""
    from gitorch.engine.status import next_tasks

    _pull_state(ctx, remote)
    plan, holder = _where(ctx)
    ready = [t.task for t in next_tasks(ctx).ready]
    current = cl.read_claims(ctx.repo.cwd, remote, plan)
    out = ClaimOutcome(None, ready=ready)
    for task in ready:
        mine = current.get(task)
        if mine is not None and mine.holder == holder and not mine.expired():
            out.claim = mine  # already ours: claiming again is a no-op
            return out
        won = cl.try_claim(ctx.repo.cwd, remote, plan, task, holder, ttl, current=mine)
        if won is not None:
            out.claim = won
            return out
        held = current.get(task)
        out.held[task] = held.holder if held else "another claimant (it won the race)"
    return out


def my_claims(ctx: Context, remote: str) -> list[cl.Claim]:
    """The live claims this holder has on the plan (what `run --claim` runs)."""
    plan, holder = _where(ctx)
    mine = [c for c in cl.read_claims(ctx.repo.cwd, remote, plan).values()
            if c.holder == holder and not c.expired()]
    if not mine:
        raise UsageError("no live claim of yours on this plan",
                         hint=f"claim a task first: git orch next --claim --remote {remote}")
    return sorted(mine, key=lambda c: c.claimed)


@contextlib.contextmanager
def holding(ctx: Context, remote: str, claims: list[cl.Claim]) -> Iterator[None]:
    """Renew `claims` every third of their time to live (the one they were claimed with)
    while the body runs; release them after it (a claim lost meanwhile is left to its new
    holder)."""
    stop = threading.Event()
    live = list(claims)
    ttl = max(0.3, min(c.expires - c.claimed for c in claims)) if claims else cl.DEFAULT_TTL

    def renew_loop() -> None:
        while not stop.wait(ttl / 3):
            for i, c in enumerate(live):
                if c.oid:
                    live[i] = cl.renew(ctx.repo.cwd, remote, c, c.expires - c.claimed) or _lost(c)

    thread = threading.Thread(target=renew_loop, name="orch-claim-renew", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
        for c in live:
            if c.oid:
                cl.release(ctx.repo.cwd, remote, c)


def _lost(claim: cl.Claim) -> cl.Claim:
    """A claim renewal lost: kept without a commit, so it is neither renewed nor released."""
    from dataclasses import replace

    return replace(claim, oid="")
