"""Scoring: a table of issues with known labels and states gives known categories and order."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitorch.discovery.model import ForgeIssue
from gitorch.discovery.scoring import (
    CATEGORIES,
    DEFAULT_WEIGHTS,
    ScoringContext,
    norm,
    rank,
    score_issue,
    weights_from,
)
from gitorch.errors import ConfigError

R = "acme/widgets"
RECENT = "2026-11-01T00:00:00Z"
REPRO = "Steps to reproduce:\n1. run it\n"


def issue(n: int, *labels: str, body: str = "", assignees: tuple[str, ...] = (), comments: int = 0,
          updated: str = RECENT, linked: tuple[str, ...] = (), title: str = "") -> ForgeIssue:
    from gitorch.discovery.forge import _REPRO_RE, _depends

    return ForgeIssue(repo=R, number=n, title=title or f"issue {n}", labels=list(labels),
                 assignees=list(assignees), comments=comments, updated_at=updated,
                 created_at=updated, has_reproduction=bool(_REPRO_RE.search(body)),
                 depends_on=_depends(body, R), linked_prs=list(linked))


# (issue, expected category, expected total)
TABLE = [
    (issue(1, "good first issue", body=REPRO), "ready_for_pr", 50 + 10),
    (issue(2, "help wanted", "bug", body=REPRO, comments=3), "ready_for_pr", 35 + 10 + 5),
    (issue(3, "help wanted"), "needs_investigation", 35),
    (issue(4, "good first issue", assignees=("carol",)), "needs_investigation", 50 - 40),
    (issue(5, "Good First Issue", linked=(f"{R}#99",)), "claimed", 50 - 60),
    (issue(6, "status: blocked", "help wanted"), "blocked", 35 - 50),
    (issue(7, updated="2025-01-01T00:00:00Z"), "needs_investigation", -20),
    (issue(8, "difficulty: hard"), "needs_skills", -30),
    (issue(9, body="Depends on #1 landing first."), "blocked", -50),
]


def ctx(**kw: object) -> ScoringContext:
    base: dict[str, object] = {"now": "2026-11-22T00:00:00Z", "max_difficulty": "medium",
                               "open_issues": {i.id for i, _, _ in TABLE}}
    base.update(kw)
    return ScoringContext(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(("item", "category", "total"), TABLE, ids=lambda v: getattr(v, "id", str(v)))
def test_each_issue_gets_its_category_and_total(item: ForgeIssue, category: str, total: int) -> None:
    opp = score_issue(item, ctx())
    assert (opp.category, opp.score.total) == (category, total), opp.score.signals
    assert sum(s.score for s in opp.score.signals) == opp.score.total


def test_ranking_orders_the_table_by_total_then_id() -> None:
    ranked = rank([i for i, _, _ in reversed(TABLE)], ctx())
    assert [o.issue.number for o in ranked if o.issue] == [1, 2, 3, 4, 5, 6, 7, 8, 9]


def test_breakdown_names_the_seed_signals() -> None:
    opp = score_issue(issue(10, "good first issue", "help wanted", body=REPRO), ctx())
    assert [(s.label, s.score) for s in opp.score.signals] == [
        ("beginner-friendly label", 50), ("help-wanted label", 35), ("has reproduction", 10)]
    assert opp.score.total == 95


def test_intent_signals_skills_time_and_preference() -> None:
    auth_bug = issue(11, "bug", "area: auth", body=REPRO, title="Auth token refresh fails")
    c = ctx(capabilities=["python", "auth"], prefer="bug", hours_available=2.0,
            languages={R: ["Python"]})
    opp = score_issue(auth_bug, c)
    labels = [s.label for s in opp.score.signals]
    assert labels == ["has reproduction", "matches intent", "matches preference", "exceeds time"]
    assert opp.required_capabilities == ["auth", "python"]
    assert opp.category == "ready_for_pr"
    rusty = score_issue(auth_bug, ctx(capabilities=["rust"], languages={R: ["Python"]}))
    assert rusty.category == "needs_skills" and "missing skills" in [s.label for s in rusty.score.signals]


def test_weights_come_from_configuration() -> None:
    w = weights_from("stale=-5, beginner-friendly label=60")
    assert w["stale"] == -5 and w["beginner-friendly label"] == 60
    assert score_issue(issue(1, "good first issue", body=REPRO), ctx(), w).score.total == 70
    with pytest.raises(ConfigError) as err:
        weights_from("beginner label=3")
    assert "beginner-friendly label" in (err.value.hint or "")
    with pytest.raises(ConfigError, match="must be an integer"):
        weights_from("stale=lots")


def test_label_normalisation() -> None:
    assert norm("Good First Issue") == "good-first-issue"
    assert norm("status: blocked") == "status-blocked"
    assert norm("E-easy") == "e-easy"


LABELS = st.sampled_from(["good first issue", "help wanted", "bug", "enhancement", "blocked",
                          "difficulty: hard", "area: auth", "question", "on hold", "easy"])


@settings(max_examples=60, deadline=None)
@given(labels=st.lists(LABELS, max_size=5), assigned=st.booleans(), linked=st.booleans(),
       comments=st.integers(0, 40), repro=st.booleans())
def test_breakdown_always_sums_to_total(labels: list[str], assigned: bool, linked: bool,
                                        comments: int, repro: bool) -> None:
    item = issue(1, *labels, body=REPRO if repro else "", assignees=("x",) if assigned else (),
                 comments=comments, linked=(f"{R}#2",) if linked else ())
    opp = score_issue(item, ctx(capabilities=["auth"], hours_available=1.0))
    assert opp.score.total == sum(s.score for s in opp.score.signals)
    assert opp.category in CATEGORIES
    assert all(s.label in DEFAULT_WEIGHTS for s in opp.score.signals)
    if linked:
        assert opp.category == "claimed"
