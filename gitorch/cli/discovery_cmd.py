"""`git orch intent`, `discover` and `opportunities`: thin wrappers over gitorch.discovery.

httpx is imported only when `discover` actually runs (never at CLI import time).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from gitorch.context import Context

JSON_OPT = typer.Option(False, "--json", help="Machine-readable output.")


def _context(as_json: bool) -> Context:
    """The command's Context; the repository is found first (outside one: exit 2)."""
    from gitorch.context import build_context
    from gitorch.repo import find_repo

    return build_context(json=as_json, repo=find_repo())


def _signals(opp: Any) -> str:
    return ", ".join(f"{s.score:+d} {s.label}" for s in opp.score.signals) or "no signals"


def _readiness(r: Any) -> str:
    if not r.repo_cloned:
        return "not in this workspace"
    parts = [("cloned" if r.repo_cloned else "not cloned"),
             ("linked" if r.repo_linked else "not linked"),
             ("deps resolved" if r.deps_resolved else "deps unresolved"),
             ("tests passing" if r.tests_passing else "tests not known to pass")]
    return ", ".join(parts)


def _agent_view(opp: Any) -> dict[str, Any]:
    """The one object an agent needs to choose an opportunity (and what to run next)."""
    issue = opp.issue
    return {
        "id": opp.id, "repo": opp.repo, "title": opp.title, "url": opp.url,
        "category": opp.category, "score": opp.score.total,
        "signals": [{"label": s.label, "score": s.score} for s in opp.score.signals],
        "difficulty": opp.difficulty, "estimate_hours": opp.estimate_hours,
        "required_capabilities": opp.required_capabilities, "linked_prs": opp.linked_prs,
        "labels": issue.labels if issue else [], "assignees": issue.assignees if issue else [],
        "comments": issue.comments if issue else 0, "excerpt": issue.excerpt if issue else "",
        "workspace_readiness": {
            "repo_cloned": opp.workspace_readiness.repo_cloned,
            "repo_linked": opp.workspace_readiness.repo_linked,
            "deps_resolved": opp.workspace_readiness.deps_resolved,
            "tests_passing": opp.workspace_readiness.tests_passing,
        },
        "next": f"git orch ws plan --for {opp.id}",
    }


def intent(
    text: str = typer.Argument(..., help='What you want to work on, e.g. "auth bugs in phoenix".'),
    capability: list[str] = typer.Option([], "--capability", "-c", help="A capability (repeatable)."),
    max_difficulty: str | None = typer.Option(None, "--max-difficulty", help="easy, medium or hard."),
    time_available: str | None = typer.Option(None, "--time", help="Time you have, e.g. 2h or 90m."),
    prefer: str | None = typer.Option(None, "--prefer", help="bug or feature."),
    needs_tests: bool = typer.Option(False, "--needs-tests", help="Prefer work that involves tests."),
    as_json: bool = JSON_OPT,
) -> None:
    """Record what you want to work on; resolve it to target repos by capability."""
    from gitorch.cli.output import emit_json, say
    from gitorch.discovery.service import record_intent

    result = record_intent(_context(as_json), text, capabilities=capability, max_difficulty=max_difficulty,
                           time_available=time_available, prefer=prefer, needs_tests=needs_tests)
    if as_json:
        emit_json(result)
        return
    say(f"intent {result.id}: {', '.join(result.capabilities) or 'any capability'}")
    c, p = result.constraints, result.preferences
    say(f"  constraints: difficulty <= {c.max_difficulty or 'any'}, time {c.time_available or 'open'}; "
        f"prefer {p.bug_vs_feature or 'anything'}{', with tests' if p.needs_tests else ''}")
    none_yet = "none known yet (run `git orch discover --repo owner/name`)"
    say(f"  targets: {', '.join(result.targets) or none_yet}")
    say(f"  skills: {', '.join(result.skills) or '-'}")
    if result.effort:
        fits = {None: "", True: " (fits)", False: " (more than you have)"}[result.effort.fits]
        say(f"  effort: about {result.effort.hours:g}h per {result.effort.difficulty} issue{fits}")


def discover(
    repo: list[str] = typer.Option([], "--repo", "-r", help="A forge repo owner/name (repeatable)."),
    package: list[str] = typer.Option([], "--package", "-p",
                                      help="A package INDEX:NAME, e.g. pypi:requests (repeatable)."),
    offline: bool = typer.Option(False, "--offline", help="Use cached answers only; no network."),
    as_json: bool = JSON_OPT,
) -> None:
    """Fetch open issues and PRs (forge) and releases (package indexes); rank opportunities."""
    from gitorch.cli.output import emit_json, say, warn
    from gitorch.discovery.service import discover as run

    progress = warn if sys.stderr.isatty() and not as_json else None
    result = run(_context(as_json), repo, package, offline=offline, progress=progress)
    counts: dict[str, int] = {}
    for o in result.opportunities:
        counts[o.category] = counts.get(o.category, 0) + 1
    if as_json:
        emit_json({
            "repos": [{"repo": r.repo, "issues": len(r.issues), "prs": len(r.prs),
                       "user_prs": [p.id for p in r.prs if r.user and p.author == r.user]}
                      for r in result.repos],
            "packages": [{"index": p.ecosystem, "name": p.name, "latest": p.latest,
                          "releases": len(p.releases), "withdrawn": p.yanked} for p in result.packages],
            "unpublished": result.unpublished,
            "opportunities": counts, "stats": result.stats, "seconds": round(result.seconds, 3),
            "commit": result.commit, "offline": offline,
        })
        return
    for r in result.repos:
        mine = [p.id for p in r.prs if r.user and p.author == r.user]
        say(f"{r.repo}: {len(r.issues)} open issues, {len(r.prs)} open PRs"
            + (f" (yours: {', '.join(mine)})" if mine else ""))
    for p in result.packages:
        say(f"{p.ecosystem}:{p.name}: latest {p.latest or '?'}, {len(p.releases)} releases"
            + (f", withdrawn: {', '.join(p.yanked)}" if p.yanked else ""))
    if result.unpublished:
        say(f"not on any index (skipped): {', '.join(result.unpublished)}")
    st = result.stats
    say(f"{st['requests']} requests ({st['not_modified']} unchanged), {st['bytes']} bytes, "
        f"{result.seconds:.2f}s; opportunities: "
        + (", ".join(f"{n} {c}" for c, n in sorted(counts.items())) or "none"))


def opportunities(
    as_json: bool = JSON_OPT,
    agent: bool = typer.Option(False, "--agent", help="One JSON object per opportunity, for agents."),
    category: str | None = typer.Option(None, "--category", help="Only this category."),
    limit: int = typer.Option(0, "--limit", "-n", help="Show at most N (0: all)."),
) -> None:
    """Ranked opportunities with their score breakdown, category and workspace readiness."""
    from gitorch.cli.output import emit_json, emit_jsonl, say
    from gitorch.discovery.service import opportunities as ranked

    opps, intent_ = ranked(_context(as_json or agent), category)
    if limit > 0:
        opps = opps[:limit]
    if agent:
        emit_jsonl(_agent_view(o) for o in opps)
        return
    if as_json:
        emit_json({"intent": intent_.id if intent_ else None,
                   "opportunities": [_agent_view(o) for o in opps]})
        return
    if not opps:
        say("no opportunities" + (f" in category {category}" if category else ""))
        return
    for o in opps:
        say(f"{o.score.total:4d}  {o.category:<19} {o.id}  {o.title}")
        say(f"      {_signals(o)}")
        say(f"      {o.difficulty}, ~{o.estimate_hours:g}h; {_readiness(o.workspace_readiness)}"
            + (f"; claimed by {', '.join(o.linked_prs)}" if o.linked_prs else ""))


def register(app: typer.Typer) -> None:
    """Add this group's commands to the root app."""
    app.command("intent")(intent)
    app.command("discover")(discover)
    app.command("opportunities")(opportunities)
