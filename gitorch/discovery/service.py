"""The discovery flow the CLI calls: record an intent, discover, rank opportunities.

Each step reads what the previous ones stored on the state branch, so they can run in
different sessions or on different machines (the state branch travels with git).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gitorch.discovery import records
from gitorch.discovery.graph import Graph, build
from gitorch.discovery.intent import Intent, canonical, resolve
from gitorch.discovery.local import LocalView, view
from gitorch.discovery.model import ForgeState, PackageState
from gitorch.discovery.scoring import Opportunity, ScoringContext, is_triage_label, norm, rank, weights_from
from gitorch.errors import UsageError
from gitorch.repo import Repo

if TYPE_CHECKING:
    from gitorch.config import Settings
    from gitorch.context import Context

TOKEN_SECRET = "GITHUB_TOKEN"
FORGE_JOBS = 4  # repos synced at once: hides latency, stays well inside GitHub's burst limits


def forge_auth(repo: Repo | None) -> Any:
    """The forge token from the secrets store (repo, user, environment); never logged."""
    from gitorch.discovery.http import Auth
    from gitorch.secrets.store import lookup

    found = lookup(repo, TOKEN_SECRET)
    return Auth(found.value if found else None, TOKEN_SECRET)


def policy_for(s: Settings) -> Any:
    """Timeouts, retries and the longest rate-limit wait, from the settings."""
    from gitorch.discovery.http import Policy

    return Policy(timeout=s.http_timeout, retries=s.http_retries, max_wait=s.http_max_wait)


# --- what is known about repos -------------------------------------------------------

Catalogue = dict[str, list[str]]


def catalogue(local: LocalView, states: list[ForgeState]) -> tuple[Catalogue, Catalogue]:
    """(target -> capabilities, target -> skills): workspace manifests, forge language,
    topics and issue labels (labels are capabilities to match, not skills to require)."""
    caps: dict[str, set[str]] = {k: set(v) for k, v in local.capabilities().items()}
    skills: dict[str, set[str]] = {k: set(v) for k, v in local.skills().items()}
    for st in states:
        c = caps.setdefault(st.repo, set())
        s = skills.setdefault(st.repo, set())
        if st.info and st.info.language:
            c.add(canonical(st.info.language))
            s.add(canonical(st.info.language))
        if st.info:
            c.update(canonical(t) for t in st.info.topics)
        for issue in st.issues:
            for label in map(norm, issue.labels):
                if not is_triage_label(label):
                    c.add(label.split("-", 1)[1] if label.startswith(("area-", "topic-")) else label)
    return ({k: sorted(v) for k, v in caps.items()}, {k: sorted(v) for k, v in skills.items()})


def languages_of(local: LocalView, states: list[ForgeState]) -> dict[str, list[str]]:
    out = {k: [canonical(x) for x in v] for k, v in local.languages().items()}
    for st in states:
        if st.info and st.info.language and not out.get(st.repo):
            out[st.repo] = [canonical(st.info.language)]
    return out


# --- intent ----------------------------------------------------------------------------

def record_intent(ctx: Context, text: str, *, capabilities: list[str] | None = None,
                  max_difficulty: str | None = None, time_available: str | None = None,
                  prefer: str | None = None, needs_tests: bool = False) -> Intent:
    """Resolve an intent against what is known and store it on the state branch."""
    from gitorch.events import IntentRecorded, new_id, now

    st = ctx.store
    states = records.forge_states(st) if st.exists() else []
    caps, skills = catalogue(view(ctx.repo, ctx.store), states)
    intent = resolve(text, caps, capabilities=capabilities, max_difficulty=max_difficulty,
                     time=time_available, prefer=prefer, needs_tests=needs_tests, skills_of=skills)
    intent.id = new_id()
    intent.created_at = now()
    st.append(
        [IntentRecorded(intent=intent.id, capabilities=intent.capabilities, targets=intent.targets)],
        files={records.intent_path(intent.id): records.encode(intent)},
        message=f"discovery: intent {intent.id}",
    )
    return intent


# --- discovery -------------------------------------------------------------------------

@dataclass
class Discovery:
    """What one `discover` did."""

    repos: list[ForgeState] = field(default_factory=list)
    packages: list[PackageState] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    graph: Graph | None = None
    opportunities: list[Opportunity] = field(default_factory=list)
    seconds: float = 0.0
    commit: str | None = None
    unpublished: list[str] = field(default_factory=list)  # workspace packages no index knows


def targets_for(repo: Repo, local: LocalView, st: Any) -> list[str]:
    """Repos to discover when none are named: the intent's targets, else the workspace's."""
    intent = records.latest_intent(st) if st.exists() else None
    named = [t for t in (intent.targets if intent else []) if "/" in t]
    return named or sorted(set(local.forge_of.values()))


def discover(
    ctx: Context,
    repos: list[str] | None = None,
    packages: list[str] | None = None,
    *,
    offline: bool = False,
    progress: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    cache: Any | None = None,
) -> Discovery:
    """Sync forge repos and packages, rank opportunities, store it all in one commit."""
    from gitorch.discovery.forge import check_repo_name
    from gitorch.discovery.indexes import parse_package
    from gitorch.events import DiscoverySynced

    started = time.perf_counter()
    st = ctx.store
    local = view(ctx.repo, ctx.store)
    names = [check_repo_name(r) for r in repos or []] or targets_for(ctx.repo, local, st)
    explicit = [parse_package(p) for p in packages or []]
    # Packages the workspace provides are looked up too; an unpublished one is not an error.
    pkgs = explicit or (list(local.packages) if not repos else [])
    if not names and not pkgs:
        raise UsageError("nothing to discover: no --repo given, no intent with target repos, "
                         "and no workspace repo with a forge remote",
                         hint="pass --repo owner/name (repeatable)")
    result = _fetch(ctx, names, pkgs, bool(explicit), offline=offline, progress=progress,
                    sleep=sleep, cache=cache)
    # Rank with everything known (earlier discoveries of other repos too).
    known = {x.repo: x for x in (records.forge_states(st) if st.exists() else [])}
    known.update({x.repo: x for x in result.repos})
    result.opportunities, result.graph = _rank(ctx, local, list(known.values()))
    files: dict[str, bytes | None] = {records.forge_path(x.repo): records.encode(x) for x in result.repos}
    files.update({records.index_path(p.ecosystem, p.name): records.encode(p) for p in result.packages})
    files[records.GRAPH_PATH] = records.encode(result.graph)
    event = DiscoverySynced(
        repos=[x.repo for x in result.repos],
        packages=[f"{p.ecosystem}:{p.name}" for p in result.packages],
        offline=offline,
        **{k: result.stats[k] for k in ("requests", "not_modified", "bytes", "retries")},
    )
    message = f"discovery: {len(result.repos)} repos, {len(result.packages)} packages"
    result.commit = st.append([event], files=files, message=message)
    result.seconds = time.perf_counter() - started
    return result


def _fetch(
    ctx: Context, names: list[str], pkgs: list[tuple[str, str]], explicit: bool, *, offline: bool,
    progress: Callable[[str], None] | None, sleep: Callable[[float], None], cache: Any | None,
) -> Discovery:
    """Read the forge repos `names` and the packages `pkgs` over HTTP (the network part)."""
    from gitorch.discovery.forge import sync_repos, whoami
    from gitorch.discovery.http import HttpClient, NotFound, Stats
    from gitorch.discovery.indexes import sync_package

    s = ctx.settings
    policy = policy_for(s)
    result = Discovery()
    totals = Stats()
    clients: list[HttpClient] = []
    try:
        forge = HttpClient(s.forge_url, service="forge", auth=forge_auth(ctx.repo), cache=cache,
                           offline=offline, policy=policy, sleep=sleep)
        clients.append(forge)
        user = whoami(forge) if names and not offline else None
        result.repos = sync_repos(forge, names, jobs=FORGE_JOBS, user=user, progress=progress)
        urls = {"pypi": s.pypi_url, "npm": s.npm_url, "crates": s.crates_url, "hex": s.hex_url}
        index_clients: dict[str, HttpClient] = {}
        for index, pkg in pkgs:
            client = index_clients.get(index)
            if client is None:
                client = HttpClient(urls[index], service=index, cache=cache, offline=offline,
                                    policy=policy, sleep=sleep)
                index_clients[index] = client
                clients.append(client)
            try:
                package = sync_package(client, index, pkg)
            except NotFound:
                if explicit:
                    raise
                result.unpublished.append(f"{index}:{pkg}")
                continue
            result.packages.append(package)
            if progress:
                progress(f"{index}:{pkg}: {len(package.releases)} releases, latest {package.latest}, "
                         f"{len(package.yanked)} withdrawn")
    finally:
        for c in clients:
            c.close()
            for k, v in c.stats.as_dict().items():
                setattr(totals, k, getattr(totals, k) + v)
    result.stats = totals.as_dict()
    return result


# --- opportunities ---------------------------------------------------------------------

def scoring_context(local: LocalView, states: list[ForgeState], intent: Intent | None) -> ScoringContext:
    """What ranking needs to know: the intent, what each repo can do, readiness."""
    caps, _skills = catalogue(local, states)
    return ScoringContext(
        capabilities=list(intent.capabilities) if intent else [],
        max_difficulty=intent.constraints.max_difficulty if intent else None,
        hours_available=intent.hours_available if intent else None,
        prefer=intent.preferences.bug_vs_feature if intent else None,
        needs_tests=intent.preferences.needs_tests if intent else False,
        repo_capabilities=caps,
        languages=languages_of(local, states),
        open_issues={i.id for x in states for i in x.issues},
        readiness={x.repo: local.readiness(x.repo) for x in states},
    )


def _rank(ctx: Context, local: LocalView, states: list[ForgeState]) -> tuple[list[Opportunity], Graph]:
    st = ctx.store
    intent = records.latest_intent(st) if st.exists() else None
    targets = set(intent.targets) if intent else set()
    chosen = [x for x in states if x.repo in targets] if targets & {x.repo for x in states} else states
    scoring = scoring_context(local, states, intent)
    opps = rank([i for x in chosen for i in x.issues], scoring, weights_from(ctx.settings.score_weights))
    return opps, build(states, opps, scoring.repo_capabilities)


def opportunities(ctx: Context, category: str | None = None) -> tuple[list[Opportunity], Intent | None]:
    """Ranked opportunities from what was discovered (no network), optionally one category."""
    from gitorch.discovery.scoring import CATEGORIES

    if category is not None and category not in CATEGORIES:
        raise UsageError(f"unknown category {category!r}", hint="use one of " + ", ".join(CATEGORIES))
    st = ctx.store
    states = records.forge_states(st) if st.exists() else []
    if not states:
        raise UsageError("no discovery results yet", hint="run `git orch discover --repo owner/name`")
    opps, _graph = _rank(ctx, view(ctx.repo, ctx.store), states)
    intent = records.latest_intent(st)
    return [o for o in opps if category is None or o.category == category], intent
