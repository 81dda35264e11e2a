"""Opportunities: each open issue scored as a sum of named signals, then categorised.

A signal is a fact about the issue with a weight ("beginner-friendly label" 50, "assigned"
-40, …). The weights are configuration (`score_weights = "stale=-30,…"`); the breakdown
always sums to the total. Categories follow the seed: claimed (an open PR by anyone links
it), blocked, needs_skills, ready_for_pr, needs_investigation — checked in that order.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

import msgspec

from gitorch.discovery.model import ForgeIssue
from gitorch.errors import ConfigError

DEFAULT_WEIGHTS: dict[str, int] = {
    "beginner-friendly label": 50,
    "help-wanted label": 35,
    "has reproduction": 10,
    "matches intent": 15,
    "matches preference": 10,
    "fits time": 5,
    "active discussion": 5,
    "wants tests": 5,
    "stale": -20,
    "long discussion": -10,
    "exceeds time": -15,
    "missing skills": -25,
    "too hard": -30,
    "assigned": -40,
    "blocked": -50,
    "claimed": -60,
}
CATEGORIES = ("ready_for_pr", "needs_investigation", "needs_skills", "blocked", "claimed")
DIFFICULTIES = ("easy", "medium", "hard")
HOURS = {"easy": 1.0, "medium": 3.0, "hard": 8.0}  # rough effort per difficulty
STALE_DAYS = 180
LANGUAGES = {"python", "javascript", "typescript", "rust", "go", "elixir", "erlang", "ruby", "java",
             "kotlin", "c", "c++", "c#", "swift", "php", "scala", "haskell", "shell", "lua", "zig"}

_BEGINNER = {"good-first-issue", "good-first-bug", "beginner", "beginner-friendly", "easy", "starter",
             "first-timers-only", "e-easy", "newcomer", "low-hanging-fruit"}
_HELP = {"help-wanted", "contributions-welcome", "up-for-grabs", "pr-welcome", "prs-welcome",
         "e-help-wanted", "community"}
_BLOCKED = {"blocked", "on-hold", "waiting", "needs-design", "needs-decision", "upstream",
            "waiting-for-upstream", "awaiting-maintainer", "needs-maintainer", "postponed"}
_BUG = {"bug", "defect", "regression", "crash", "c-bug"}
_FEATURE = {"feature", "enhancement", "feature-request", "c-feature-request", "c-enhancement"}
_HARD = {"hard", "complex", "e-hard", "difficulty-hard", "expert"}
_MEDIUM = {"medium", "e-medium", "difficulty-medium", "intermediate"}
_AREA_PREFIXES = ("area-", "component-", "topic-", "a-", "scope-")


def norm(label: str) -> str:
    """`Good First Issue` -> `good-first-issue`; `status: blocked` -> `status-blocked`."""
    return re.sub(r"[^a-z0-9+#.]+", "-", label.lower()).strip("-")


def _has(labels: Iterable[str], names: set[str]) -> bool:
    for label in labels:
        if label in names:
            return True
        parts = label.split("-")
        # "status-blocked", "difficulty-easy", "type-bug", "kind-feature"
        if len(parts) > 1 and ("-".join(parts[1:]) in names or parts[-1] in names):
            return True
    return False


class Signal(msgspec.Struct, frozen=True):
    label: str
    score: int


class Score(msgspec.Struct, frozen=True):
    total: int
    signals: list[Signal]


class Readiness(msgspec.Struct, frozen=True):
    """The seed's workspace_readiness: can work start here right away?"""

    repo_cloned: bool = False
    repo_linked: bool = False
    deps_resolved: bool = False
    tests_passing: bool = False


class Opportunity(msgspec.Struct, kw_only=True):
    """The seed's Graft.Opportunity (id "owner/repo#123")."""

    id: str
    repo: str
    issue: ForgeIssue | None = None
    title: str = ""
    url: str = ""
    score: Score
    category: str
    difficulty: str = "medium"
    estimate_hours: float = HOURS["medium"]
    required_capabilities: list[str] = []
    linked_prs: list[str] = []
    workspace_readiness: Readiness = Readiness()


class ScoringContext(msgspec.Struct, kw_only=True):
    """What scoring needs besides the issue: the user's intent and what is known of repos."""

    capabilities: list[str] = []  # the user's skills / interests (from the intent)
    max_difficulty: str | None = None
    hours_available: float | None = None
    prefer: str | None = None  # bug | feature
    needs_tests: bool = False
    repo_capabilities: dict[str, list[str]] = {}  # owner/name -> languages, frameworks, topics
    languages: dict[str, list[str]] = {}  # owner/name -> languages only (skills a fix requires)
    open_issues: set[str] = set()  # ids of every open issue discovered (for depends_on)
    readiness: dict[str, Readiness] = {}
    now: str | None = None  # RFC 3339; None means the current time


def weights_from(text: str) -> dict[str, int]:
    """Default weights overridden by `"label=weight,…"` (the `score_weights` setting)."""
    weights = dict(DEFAULT_WEIGHTS)
    for item in filter(None, (part.strip() for part in text.split(","))):
        label, sep, value = item.rpartition("=")
        label = label.strip()
        if not sep or label not in DEFAULT_WEIGHTS:
            near = difflib.get_close_matches(label, list(DEFAULT_WEIGHTS), n=3)
            raise ConfigError(
                f"score_weights: unknown signal {label or item!r}",
                hint=("did you mean " + ", ".join(repr(n) for n in near) + "?") if near
                else "signals: " + ", ".join(DEFAULT_WEIGHTS),
            )
        try:
            weights[label] = int(value.strip())
        except ValueError:
            raise ConfigError(f"score_weights: weight of {label!r} must be an integer, "
                              f"got {value.strip()!r}") from None
    return weights


def difficulty_of(labels: list[str]) -> str:
    if _has(labels, _BEGINNER):
        return "easy"
    if _has(labels, _HARD):
        return "hard"
    return "medium"


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 timestamp as GitHub writes it (`Z` for UTC); None when it is not one."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def required_capabilities(issue: ForgeIssue, ctx: ScoringContext) -> list[str]:
    """The repo's languages, plus area labels and labels naming a known capability."""
    known = {c.lower() for c in ctx.repo_capabilities.get(issue.repo, [])} | {
        c.lower() for c in ctx.capabilities}
    out = {lang.lower() for lang in ctx.languages.get(issue.repo, [])}
    for label in map(norm, issue.labels):
        for prefix in _AREA_PREFIXES:
            if label.startswith(prefix) and len(label) > len(prefix):
                out.add(label[len(prefix):])
        if label in known and not is_triage_label(label):
            out.add(label)
    return sorted(out)


_TRIAGE = (_BEGINNER | _HELP | _BLOCKED | _BUG | _FEATURE | _HARD | _MEDIUM
           | {"question", "duplicate", "invalid", "wontfix", "triage", "needs-triage", "stale"})


def is_triage_label(label: str) -> bool:
    """A label about the issue's state or kind ("bug", "good first issue", "blocked"), not
    about what it touches: never a capability."""
    return _has([norm(label)], _TRIAGE)


def score_issue(
    issue: ForgeIssue, ctx: ScoringContext, weights: Mapping[str, int] | None = None
) -> Opportunity:
    """One issue as an opportunity: its signals, total, category and effort."""
    w = weights or DEFAULT_WEIGHTS
    labels = [norm(label) for label in issue.labels]
    required = required_capabilities(issue, ctx)
    difficulty = difficulty_of(labels)
    hours = HOURS[difficulty]
    fired = (_appeal(issue, labels, required, ctx) + _effort(issue, hours, ctx)
             + _hurdles(issue, labels, difficulty, ctx))
    signals = [Signal(label, int(w.get(label, DEFAULT_WEIGHTS[label]))) for label in fired]
    return Opportunity(
        id=issue.id, repo=issue.repo, issue=issue, title=issue.title, url=issue.url,
        score=Score(total=sum(s.score for s in signals), signals=signals),
        category=_category(issue, fired), difficulty=difficulty, estimate_hours=hours,
        required_capabilities=required, linked_prs=list(issue.linked_prs),
        workspace_readiness=ctx.readiness.get(issue.repo, Readiness()),
    )


def _appeal(issue: ForgeIssue, labels: list[str], required: list[str], ctx: ScoringContext) -> list[str]:
    """The signals that make an issue attractive: labels, a reproduction, the intent."""
    fired: list[str] = []
    if _has(labels, _BEGINNER):
        fired.append("beginner-friendly label")
    if _has(labels, _HELP):
        fired.append("help-wanted label")
    if issue.has_reproduction:
        fired.append("has reproduction")
    words = set(re.findall(r"[a-z0-9+#.]+", issue.title.lower())) | set(labels) | set(required)
    wanted = {c.lower() for c in ctx.capabilities}
    # Topics ("auth") match the issue itself; languages alone match the whole repo.
    topical = wanted - LANGUAGES - {lang.lower() for langs in ctx.languages.values() for lang in langs}
    if (topical & words) or (wanted and not topical and wanted & set(required)):
        fired.append("matches intent")
    is_bug, is_feature = _has(labels, _BUG), _has(labels, _FEATURE)
    if (ctx.prefer == "bug" and is_bug) or (ctx.prefer == "feature" and is_feature):
        fired.append("matches preference")
    if ctx.needs_tests and ("test" in issue.title.lower() or any("test" in lb for lb in labels)):
        fired.append("wants tests")
    return fired


def _effort(issue: ForgeIssue, hours: float, ctx: ScoringContext) -> list[str]:
    """The signals of what working on it costs: time, discussion, staleness."""
    fired: list[str] = []
    if ctx.hours_available is not None:
        fired.append("fits time" if hours <= ctx.hours_available else "exceeds time")
    if 1 <= issue.comments <= 10:
        fired.append("active discussion")
    elif issue.comments > 20:
        fired.append("long discussion")
    now = parse_time(ctx.now) if ctx.now else datetime.now(UTC)
    updated = parse_time(issue.updated_at or issue.created_at)
    if now and updated and (now - updated).days > STALE_DAYS:
        fired.append("stale")
    return fired


def _hurdles(issue: ForgeIssue, labels: list[str], difficulty: str, ctx: ScoringContext) -> list[str]:
    """The signals that stand in the way: skills, difficulty, someone else on it, blockers."""
    fired: list[str] = []
    wanted = {c.lower() for c in ctx.capabilities}
    # Missing skills only count when the intent says which languages the user has.
    repo_langs = {lang.lower() for lang in ctx.languages.get(issue.repo, [])}
    all_langs = LANGUAGES | {lang.lower() for langs in ctx.languages.values() for lang in langs}
    if wanted & all_langs and repo_langs - wanted:
        fired.append("missing skills")
    if (ctx.max_difficulty is not None
            and DIFFICULTIES.index(difficulty) > DIFFICULTIES.index(ctx.max_difficulty)):
        fired.append("too hard")
    if issue.assignees:
        fired.append("assigned")
    if _has(labels, _BLOCKED) or any(d in ctx.open_issues for d in issue.depends_on):
        fired.append("blocked")
    if issue.linked_prs:
        fired.append("claimed")
    return fired


def _category(issue: ForgeIssue, fired: list[str]) -> str:
    """Where the issue stands, from the signals that fired."""
    if issue.linked_prs:
        return "claimed"
    if "blocked" in fired:
        return "blocked"
    if "missing skills" in fired or "too hard" in fired:
        return "needs_skills"
    if ("has reproduction" in fired or "beginner-friendly label" in fired) and not issue.assignees:
        return "ready_for_pr"
    return "needs_investigation"


def rank(issues: Iterable[ForgeIssue], ctx: ScoringContext,
         weights: Mapping[str, int] | None = None) -> list[Opportunity]:
    """Every issue scored, best first (ties by id, so the order is stable)."""
    scored = [score_issue(i, ctx, weights) for i in issues]
    return sorted(scored, key=lambda o: (-o.score.total, o.id))
