"""A GitHub-shaped forge: a repo's open issues (labels, comments, assignees, timeline links
to PRs) and open pull requests, read through the careful HTTP client.

Endpoints (GitHub REST v3 shapes; any forge that speaks them works, e.g. a self-hosted one
or a test server named by `forge_url`):
  GET /repos/{owner}/{name}                          repo metadata (topics, language)
  GET /repos/{owner}/{name}/issues?state=open        issues and PRs (PRs carry `pull_request`)
  GET /repos/{owner}/{name}/pulls?state=open         open PRs (body links issues)
  GET /repos/{owner}/{name}/issues/{n}/timeline      `cross-referenced` events from PRs
  GET /user                                          the token's login (the user's own PRs)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from gitorch.discovery.http import HttpClient, NotFound
from gitorch.discovery.model import ForgeIssue, ForgeRepo, ForgeState, PullRequest
from gitorch.errors import DiscoveryError, UsageError

REPO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+$")
_REF_RE = re.compile(r"(?<![\w/])((?:[A-Za-z0-9][\w.-]*/[\w.-]+)?)#(\d+)\b")
_DEPENDS_RE = re.compile(
    r"\b(?:depends on|blocked by|requires|waiting on|after)\s+((?:[A-Za-z0-9][\w.-]*/[\w.-]+)?#\d+)",
    re.IGNORECASE,
)
_REPRO_RE = re.compile(
    r"steps to reproduce|to reproduce|reproduc(?:tion|ible|er)|\brepro\b|minimal example|"
    r"traceback|```",
    re.IGNORECASE,
)
T = TypeVar("T")
EXCERPT_CHARS = 400
MAX_TIMELINES = 50  # per repo: the timeline costs one request per issue


def check_repo_name(repo: str) -> str:
    """`owner/name`, or a UsageError saying what a forge repo name looks like."""
    if not REPO_RE.match(repo):
        raise UsageError(f"{repo!r} is not a forge repo name", hint="use owner/name, e.g. psf/requests")
    return repo


def _refs(text: str, repo: str) -> list[str]:
    out: list[str] = []
    for other, number in _REF_RE.findall(text or ""):
        ref = f"{other or repo}#{number}"
        if ref not in out:
            out.append(ref)
    return out


def _depends(text: str, repo: str) -> list[str]:
    out: list[str] = []
    for ref in _DEPENDS_RE.findall(text or ""):
        full = ref if not ref.startswith("#") else f"{repo}{ref}"
        if full not in out:
            out.append(full)
    return out


def _shaped(what: str, url: str, build: Callable[[], T]) -> T:
    """`build()`, turning a crash on an answer of the wrong shape (a field missing, a number
    that is not one) into an error naming the URL, so nothing is stored."""
    try:
        return build()
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DiscoveryError(f"forge at {url} answered {what} of an unexpected shape "
                             f"({type(exc).__name__}: {exc}); nothing was stored") from None


def _login(user: Any) -> str:
    return str(user.get("login", "")) if isinstance(user, dict) else ""


def _issue(repo: str, raw: dict[str, Any]) -> ForgeIssue:
    body = raw.get("body") or ""
    return ForgeIssue(
        repo=repo,
        number=int(raw["number"]),
        title=str(raw.get("title") or ""),
        url=str(raw.get("html_url") or ""),
        author=_login(raw.get("user")),
        labels=sorted(str(lb["name"]) if isinstance(lb, dict) else str(lb)
                      for lb in raw.get("labels") or []),
        assignees=sorted(_login(a) for a in raw.get("assignees") or [] if _login(a)),
        comments=int(raw.get("comments") or 0),
        created_at=str(raw.get("created_at") or ""),
        updated_at=str(raw.get("updated_at") or ""),
        excerpt=body[:EXCERPT_CHARS],
        has_reproduction=bool(_REPRO_RE.search(body)),
        references=[r for r in _refs(body, repo) if r != f"{repo}#{raw['number']}"],
        depends_on=_depends(body, repo),
    )


def _pull(repo: str, raw: dict[str, Any]) -> PullRequest:
    text = f"{raw.get('title') or ''}\n{raw.get('body') or ''}"
    return PullRequest(
        repo=repo,
        number=int(raw["number"]),
        title=str(raw.get("title") or ""),
        url=str(raw.get("html_url") or ""),
        author=_login(raw.get("user")),
        draft=bool(raw.get("draft")),
        created_at=str(raw.get("created_at") or ""),
        updated_at=str(raw.get("updated_at") or ""),
        closes=_refs(text, repo),
    )


def _cross_referencing_prs(events: list[Any]) -> list[str]:
    """Open PRs named by `cross-referenced` timeline events."""
    out: list[str] = []
    for event in events:
        if not isinstance(event, dict) or event.get("event") != "cross-referenced":
            continue
        issue = (event.get("source") or {}).get("issue") or {}
        if "pull_request" not in issue or issue.get("state", "open") != "open":
            continue
        repo = (issue.get("repository") or {}).get("full_name", "")
        number = issue.get("number")
        if repo and number is not None:
            out.append(f"{repo}#{number}")
    return out


def whoami(client: HttpClient) -> str | None:
    """The login the token belongs to (None without a token)."""
    if not client.auth.token:
        return None
    try:
        data = client.get("user").data
    except NotFound:  # a forge without the endpoint: the user's PRs are simply not marked
        return None
    return _login(data) or None


def _repo_info(repo: str, meta: dict[str, Any]) -> ForgeRepo:
    topics = meta.get("topics") or []
    return ForgeRepo(
        full_name=str(meta.get("full_name") or repo),
        description=str(meta.get("description") or ""),
        language=str(meta.get("language") or ""),
        topics=sorted(str(t) for t in topics) if isinstance(topics, list) else [],
        default_branch=str(meta.get("default_branch") or ""),
        clone_url=str(meta.get("clone_url") or ""),
        archived=bool(meta.get("archived")),
    )


def _link_prs(client: HttpClient, repo: str, issues: list[ForgeIssue], prs: list[PullRequest],
              timelines: bool) -> None:
    """Set each issue's linked PRs: those that close it, and (with `timelines`) those its
    timeline shows cross-referencing it (one request per issue, the first MAX_TIMELINES)."""
    linked: dict[str, list[str]] = {}
    for pr in prs:
        for ref in pr.closes:
            linked.setdefault(ref, []).append(pr.id)
    if timelines:
        for issue in issues[:MAX_TIMELINES]:
            path = f"repos/{repo}/issues/{issue.number}/timeline"
            events = client.get_all(path, {"per_page": 100})
            for pr_id in _shaped("a timeline event", client.url(path, {"per_page": 100}),
                                 partial(_cross_referencing_prs, events)):
                linked.setdefault(issue.id, []).append(pr_id)
    for issue in issues:
        issue.linked_prs = sorted(set(linked.get(issue.id, [])))


def sync_repo(
    client: HttpClient,
    repo: str,
    *,
    timelines: bool = True,
    user: str | None = None,
    now: Callable[[], str] | None = None,
) -> ForgeState:
    """Read one repo's open issues and PRs; raises before anything is stored on bad answers."""
    check_repo_name(repo)
    before = client.thread_requests()
    try:
        meta = client.get(f"repos/{repo}").data
    except NotFound:
        raise UsageError(
            f"unknown repo {repo} on the forge {client.base_url} (HTTP 404)",
            hint="check the owner/name spelling, or that the token may see a private repo",
        ) from None
    if not isinstance(meta, dict):
        raise DiscoveryError(f"forge answered a JSON {type(meta).__name__} for repo {repo}")
    info = _repo_info(repo, meta)
    params: dict[str, str | int] = {"state": "open", "per_page": 100}
    raw_issues = client.get_all(f"repos/{repo}/issues", params)
    issues = _shaped("an issue", client.url(f"repos/{repo}/issues", params), lambda: [
        _issue(repo, raw) for raw in raw_issues if isinstance(raw, dict) and "pull_request" not in raw])
    raw_pulls = client.get_all(f"repos/{repo}/pulls", params)
    prs = _shaped("a pull request", client.url(f"repos/{repo}/pulls", params), lambda: [
        _pull(repo, raw) for raw in raw_pulls if isinstance(raw, dict)])

    _link_prs(client, repo, issues, prs, timelines)

    from gitorch.events import now as ts

    return ForgeState(
        repo=repo,
        fetched_at=(now or ts)(),
        info=info,
        issues=sorted(issues, key=lambda i: i.number),
        prs=sorted(prs, key=lambda p: p.number),
        user=user,
        requests=client.thread_requests() - before,
    )


def sync_repos(
    client: HttpClient,
    repos: list[str],
    *,
    jobs: int = 4,
    user: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[ForgeState]:
    """`sync_repo` for several repos, `jobs` at a time, results in the order given.

    A few repos in flight hide network latency; GitHub asks for no more than that (its
    secondary limits punish bursts), and one rate-limit answer pauses every worker because
    they share the client. The first failure cancels the repos not yet started.
    """
    from concurrent.futures import ThreadPoolExecutor

    def one(name: str) -> ForgeState:
        state = sync_repo(client, name, user=user)
        if progress:
            progress(f"{name}: {len(state.issues)} open issues, {len(state.prs)} open PRs "
                     f"({state.requests} requests)")
        return state

    if jobs <= 1 or len(repos) <= 1:
        return [one(name) for name in repos]
    pool = ThreadPoolExecutor(max_workers=min(jobs, len(repos)), thread_name_prefix="discover")
    try:
        futures = [pool.submit(one, name) for name in repos]
        return [f.result() for f in futures]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def user_prs(states: list[ForgeState], user: str | None) -> list[PullRequest]:
    """The user's own open PRs across the synced repos."""
    if not user:
        return []
    return [pr for st in states for pr in st.prs if pr.author == user]
