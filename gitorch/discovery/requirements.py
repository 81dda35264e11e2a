"""From an opportunity to a workspace: the seed's Workspace.Requirements, then a manifest.

`requirements_for(repo, "owner/name#123")` answers the seed's questions (which repos must be
present, which dependency links, which capabilities, single- or cross-repo, ephemeral);
`desired_manifest(repo, requirements)` turns the answer into the workspace engineer's
desired state (a `gitorch.workspace.manifest.Manifest`), which `ws plan --for` diffs
against the current snapshot to produce the plan.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from gitorch.discovery import records
from gitorch.discovery.local import LocalView, view, workspace_root
from gitorch.errors import UsageError
from gitorch.repo import Repo

if TYPE_CHECKING:
    from gitorch.context import Context

_OPP_RE = re.compile(r"^([A-Za-z0-9][\w.-]*/[\w.-]+)#(\d+)$")


class RequiredLink(msgspec.Struct, frozen=True, rename={"from_": "from"}):
    """`from_` (a consumer) must use the local checkout of `to` (a provider)."""

    from_: str
    to: str
    type: str = "path"


class OpportunityRequirements(msgspec.Struct, kw_only=True):
    """The seed's Workspace.Requirements for one opportunity."""

    opportunity: str
    repos: list[str]  # owner/name, the opportunity's repo first
    links: list[RequiredLink] = []
    capabilities: list[str] = []
    ephemeral: bool = True  # a temporary workspace: some repo is not checked out here
    cross_repo: bool = False
    urls: dict[str, str] = {}  # owner/name -> clone url


def parse_opportunity(text: str) -> tuple[str, int]:
    m = _OPP_RE.match(text.strip())
    if not m:
        raise UsageError(f"{text!r} is not an opportunity",
                         hint="use owner/name#number, e.g. acme/widgets#12")
    return m.group(1), int(m.group(2))


def requirements_for(ctx: Context, opportunity: str) -> OpportunityRequirements:
    """What a workspace needs to work on `opportunity` ("owner/name#123")."""
    from gitorch.discovery.scoring import score_issue
    from gitorch.discovery.service import scoring_context

    name, number = parse_opportunity(opportunity)
    st = ctx.store
    states = records.forge_states(st) if st.exists() else []
    state = next((s for s in states if s.repo == name), None)
    issue = next((i for i in state.issues if i.number == number), None) if state else None
    if issue is None:
        raise UsageError(
            f"unknown opportunity {opportunity}: it is not among the discovered open issues",
            hint=f"run `git orch discover --repo {name}` first",
        )
    local = view(ctx.repo, ctx.store)
    opp = score_issue(issue, scoring_context(local, states, records.latest_intent(st)))
    known = {s.repo for s in states} | set(local.forge_of.values())
    repos = [name]
    for ref in [*issue.depends_on, *issue.references]:
        other = ref.split("#", 1)[0]
        if other != name and other in known and other not in repos:
            repos.append(other)
    repos.extend(p for p in _providers(local, name) if p not in repos)
    links = [RequiredLink(consumer, provider) for consumer in repos
             for provider in _providers(local, consumer) if provider in repos]
    urls = {s.repo: s.info.clone_url for s in states if s.info and s.info.clone_url and s.repo in repos}
    for r in repos:
        info = local.repo_info(r)
        if info is not None and info.url:
            urls[r] = info.url
    cloned = all((i := local.repo_info(r)) is not None and i.exists for r in repos)
    return OpportunityRequirements(
        opportunity=f"{name}#{number}", repos=repos, links=links,
        capabilities=opp.required_capabilities, ephemeral=not cloned,
        cross_repo=len(repos) > 1, urls=urls,
    )


def _providers(local: LocalView, forge: str) -> list[str]:
    """Workspace repos that `forge` depends on, as forge names where known."""
    info = local.repo_info(forge)
    if local.snapshot is None or info is None:
        return []
    return [local.forge_of.get(p, p) for p in local.snapshot.topology.providers.get(info.name, [])]


def _local_name(local: LocalView, forge: str) -> str:
    return local.local_of.get(forge, forge.split("/", 1)[1])


def desired_manifest(repo: Repo, req: OpportunityRequirements, root: Path | None = None) -> Any:
    """The workspace manifest (gitorch.workspace.manifest.Manifest) that meets `req`:
    every required repo (existing ones where they are, new ones beside them) and links."""
    from gitorch.workspace.manifest import LinkSpec, Manifest, RepoSpec

    local = view(repo)
    base = root or workspace_root(repo) or (repo.root.parent if repo.root else Path.cwd())
    specs: list[Any] = []
    if local.snapshot is not None:
        for info in local.snapshot.repos:  # keep what the workspace already has
            rel = _relative(Path(info.path), base)
            specs.append(RepoSpec(info.name, rel, info.url, info.ref))
    have = {s.name for s in specs}
    # New repos go beside the others, never into a repository's work tree (the manifest's
    # folder is often a repo listing itself as ".").
    home = base.parent if (base / ".git").exists() else base
    for r in req.repos:
        name = _local_name(local, r)
        if name not in have:
            specs.append(RepoSpec(name, os.path.relpath(home / name, base), req.urls.get(r)))
            have.add(name)
    links = tuple(LinkSpec(_local_name(local, lk.from_), _local_name(local, lk.to)) for lk in req.links)
    return Manifest(root=base, file=None, repos=tuple(specs), links=links)


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def plan_for(ctx: Context, opportunity: str) -> tuple[Any, OpportunityRequirements]:
    """The workspace plan (gitorch.workspace.plan.Plan) that prepares `opportunity`, and
    the requirements it came from: what `git orch ws plan --for owner/name#123` shows."""
    from gitorch.workspace.materialize import Workspace, attach_plan

    req = requirements_for(ctx, opportunity)
    manifest = desired_manifest(ctx.repo, req)
    plan, _current, _desired = attach_plan(Workspace(repo=ctx.repo, manifest=manifest))
    return plan, req
