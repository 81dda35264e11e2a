"""Intent resolution and the opportunity graph, as pure functions of discovered data."""

from __future__ import annotations

import pytest

from gitorch.discovery.forge import _cross_referencing_prs, _issue
from gitorch.discovery.graph import build, to_mermaid
from gitorch.discovery.intent import check_capabilities, parse_hours, resolve
from gitorch.discovery.model import ForgeIssue, ForgeRepo, ForgeState, PullRequest
from gitorch.discovery.scoring import ScoringContext, rank
from gitorch.errors import UsageError

CATALOGUE = {
    "phoenixframework/phoenix": ["elixir", "phoenix", "auth", "http"],
    "elixir-ecto/ecto": ["elixir", "ecto", "database"],
    "psf/requests": ["python", "http"],
}
SKILLS = {"phoenixframework/phoenix": ["elixir", "phoenix"], "elixir-ecto/ecto": ["elixir", "ecto"],
          "psf/requests": ["python"]}


def test_the_seeds_intent_resolves_to_targets_skills_and_effort() -> None:
    intent = resolve("I want to work on Phoenix auth bugs", CATALOGUE, max_difficulty="medium",
                     time="2h", needs_tests=True, skills_of=SKILLS)
    assert intent.capabilities == ["phoenix", "auth"]
    assert intent.preferences.bug_vs_feature == "bug" and intent.preferences.needs_tests
    assert intent.targets == ["phoenixframework/phoenix"]
    assert intent.skills == ["elixir", "phoenix"]
    assert (intent.effort.hours, intent.effort.fits) == (3.0, False)  # type: ignore[union-attr]


def test_targets_rank_by_overlap_and_flags_win_over_text() -> None:
    intent = resolve("easy http work", CATALOGUE, capabilities=["elixir"], max_difficulty="hard")
    # elixir (flag) and http (text): phoenix has both, ecto and requests one each
    assert intent.targets == ["phoenixframework/phoenix", "elixir-ecto/ecto", "psf/requests"]
    assert intent.constraints.max_difficulty == "hard"  # the flag, not the word "easy"
    anything = resolve("anything", CATALOGUE)
    assert anything.capabilities == [] and len(anything.targets) == 3


def test_everyday_words_are_not_capabilities_in_text() -> None:
    intent = resolve("I want to go build a rust thing", {})
    assert intent.capabilities == ["rust"]
    assert resolve("x", {}, capabilities=["go"]).capabilities == ["go"]


def test_unknown_capability_names_the_nearest() -> None:
    with pytest.raises(UsageError) as err:
        check_capabilities(["phoenx"], CATALOGUE)
    assert "phoenix" in (err.value.hint or "")
    with pytest.raises(UsageError) as err:
        check_capabilities(["zzzzzz"], {})
    assert "git orch discover" in (err.value.hint or "")
    assert check_capabilities(["JS", "Python"], {}) == ["javascript", "python"]


@pytest.mark.parametrize(("text", "hours"), [("2h", 2.0), ("90m", 1.5), ("1h30m", 1.5), ("1.5h", 1.5)])
def test_durations(text: str, hours: float) -> None:
    assert parse_hours(text) == hours


@pytest.mark.parametrize("text", ["", "soon", "2d", "h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(UsageError):
        parse_hours(text)


def test_issue_parsing_from_the_rest_shape() -> None:
    raw = {"number": 7, "title": "Crash", "html_url": "u", "user": {"login": "ann"},
           "labels": [{"name": "bug"}, {"name": "Good First Issue"}], "assignees": [{"login": "bo"}],
           "comments": 2, "created_at": "c", "updated_at": "u",
           "body": "Blocked by other/lib#3, see #9.\n```\ntrace\n```"}
    issue = _issue("o/r", raw)
    assert issue.labels == ["Good First Issue", "bug"] and issue.assignees == ["bo"]
    assert issue.depends_on == ["other/lib#3"] and issue.references == ["other/lib#3", "o/r#9"]
    assert issue.has_reproduction
    events = [{"event": "labeled"},
              {"event": "cross-referenced", "source": {"type": "issue", "issue": {
                  "number": 5, "state": "open", "pull_request": {}, "repository": {"full_name": "o/r"}}}},
              {"event": "cross-referenced", "source": {"type": "issue", "issue": {
                  "number": 6, "state": "closed", "pull_request": {}, "repository": {"full_name": "o/r"}}}},
              {"event": "cross-referenced", "source": {"type": "issue", "issue": {
                  "number": 8, "state": "open", "repository": {"full_name": "o/r"}}}}]
    assert _cross_referencing_prs(events) == ["o/r#5"]  # open PRs only, not closed PRs or issues


def test_graph_nodes_and_edges() -> None:
    day = "2026-11-{:02d}T00:00:00Z"
    issues = [
        ForgeIssue(repo="o/r", number=1, title="one", author="ann", created_at=day.format(1),
                   labels=["area: db"]),
        ForgeIssue(repo="o/r", number=2, title="two", author="ann", created_at=day.format(2),
                   depends_on=["o/r#1"], linked_prs=["o/r#3"]),
        ForgeIssue(repo="o/r", number=4, title="four", author="ann", created_at=day.format(20)),
    ]
    prs = [PullRequest(repo="o/r", number=3, title="fix", author="bob", created_at=day.format(3),
                       closes=["o/r#2"])]
    state = ForgeState(repo="o/r", info=ForgeRepo(full_name="o/r", language="Python"), issues=issues, prs=prs)
    opps = rank(issues, ScoringContext(languages={"o/r": ["python"]}, now="2026-11-10T00:00:00Z"))
    graph = build([state], opps, {"o/r": ["python"]})
    kinds = {(e.source, e.target, e.kind) for e in graph.edges}
    assert ("repo:o/r", "issue:o/r#1", "has") in kinds and ("repo:o/r", "pr:o/r#3", "has") in kinds
    assert ("repo:o/r", "capability:python", "offers") in kinds
    assert ("issue:o/r#1", "capability:db", "requires") in kinds
    assert ("issue:o/r#2", "issue:o/r#1", "depends_on") in kinds
    assert ("pr:o/r#3", "issue:o/r#2", "links") in kinds
    same = sorted((s, t) for s, t, k in kinds if k == "same_author")
    assert same == [("issue:o/r#1", "issue:o/r#2"), ("issue:o/r#2", "issue:o/r#4")]  # a chain, n-1
    temporal = sorted((s, t) for s, t, k in kinds if k == "temporal")
    assert temporal == [("issue:o/r#1", "issue:o/r#2"), ("issue:o/r#2", "pr:o/r#3")]  # #4 is 17 days later
    node = {n.id: n for n in graph.nodes}
    assert node["issue:o/r#2"].category == "claimed"
    assert build([state], opps, {"o/r": ["python"]}) == graph  # deterministic
    assert to_mermaid(graph).startswith("flowchart LR\n")
