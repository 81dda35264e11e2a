"""The opportunity graph: issues, PRs, repos and capabilities, and how they connect.

Edges: `has` (repo -> issue/PR), `offers` (repo -> capability), `requires` (issue ->
capability), `links` (PR -> issue it references: the issue is claimed), `depends_on`
(issue -> issue its body says blocks it), `same_author` (chained in id order, so n items
by one author give n-1 edges, not n²), `temporal` (items of one repo created within
TEMPORAL_DAYS of each other, neighbours in time only).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from gitorch.discovery.model import ForgeIssue, ForgeState, PullRequest
from gitorch.discovery.scoring import Opportunity, parse_time

GRAPH_SCHEMA = 1
TEMPORAL_DAYS = 7


class Node(msgspec.Struct, frozen=True, omit_defaults=True):
    id: str  # "issue:o/r#1", "pr:o/r#2", "repo:o/r", "capability:python"
    kind: str  # issue | pr | repo | capability
    label: str = ""
    score: int | None = None  # issues: the opportunity's total
    category: str | None = None


class Edge(msgspec.Struct, frozen=True):
    source: str
    target: str
    kind: str  # has | offers | requires | links | depends_on | same_author | temporal


class Graph(msgspec.Struct, kw_only=True):
    schema_version: int = GRAPH_SCHEMA
    nodes: list[Node] = []
    edges: list[Edge] = []

    def neighbours(self, node: str, kind: str | None = None) -> list[str]:
        out = [e.target for e in self.edges if e.source == node and (kind is None or e.kind == kind)]
        out += [e.source for e in self.edges if e.target == node and (kind is None or e.kind == kind)]
        return sorted(set(out))


def build(states: list[ForgeState], opportunities: list[Opportunity],
          repo_capabilities: dict[str, list[str]] | None = None) -> Graph:
    """The graph of everything discovered (deterministic: nodes and edges sorted)."""
    nodes: dict[str, Node] = {}
    edges: set[tuple[str, str, str]] = set()
    by_id = {o.id: o for o in opportunities}
    items: list[tuple[str, ForgeIssue | PullRequest]] = []

    for st in states:
        repo_node = f"repo:{st.repo}"
        nodes[repo_node] = Node(repo_node, "repo", st.info.description if st.info else "")
        for cap in (repo_capabilities or {}).get(st.repo, []):
            nodes.setdefault(f"capability:{cap}", Node(f"capability:{cap}", "capability", cap))
            edges.add((repo_node, f"capability:{cap}", "offers"))
        for issue in st.issues:
            nid = f"issue:{issue.id}"
            opp = by_id.get(issue.id)
            nodes[nid] = Node(nid, "issue", issue.title, opp.score.total if opp else None,
                              opp.category if opp else None)
            edges.add((repo_node, nid, "has"))
            items.append((nid, issue))
            for cap in opp.required_capabilities if opp else []:
                nodes.setdefault(f"capability:{cap}", Node(f"capability:{cap}", "capability", cap))
                edges.add((nid, f"capability:{cap}", "requires"))
            for dep in issue.depends_on:
                edges.add((nid, f"issue:{dep}", "depends_on"))
            for linked in issue.linked_prs:
                edges.add((f"pr:{linked}", nid, "links"))
        for pull in st.prs:
            nid = f"pr:{pull.id}"
            nodes[nid] = Node(nid, "pr", pull.title)
            edges.add((repo_node, nid, "has"))
            items.append((nid, pull))
            for ref in pull.closes:
                edges.add((nid, f"issue:{ref}", "links"))

    edges |= _related(items)
    # Edges may name issues that were not discovered (closed, another repo): keep them as nodes.
    for source, target, _kind in list(edges):
        for nid in (source, target):
            if nid not in nodes:
                kind = nid.split(":", 1)[0]
                nodes[nid] = Node(nid, kind, "")
    return Graph(nodes=[nodes[k] for k in sorted(nodes)],
                 edges=[Edge(s, t, k) for s, t, k in sorted(edges)])


def _related(items: list[tuple[str, ForgeIssue | PullRequest]]) -> set[tuple[str, str, str]]:
    """Edges between items by the same author, and between items of one repo opened within
    TEMPORAL_DAYS of each other."""
    edges: set[tuple[str, str, str]] = set()
    by_author: dict[str, list[str]] = {}
    for nid, item in items:
        if item.author:
            by_author.setdefault(item.author, []).append(nid)
    for ids in by_author.values():
        ids.sort()
        edges.update((a, b, "same_author") for a, b in zip(ids, ids[1:], strict=False))

    by_repo: dict[str, list[tuple[datetime, str]]] = {}
    for nid, item in items:
        when = parse_time(item.created_at)
        if when is not None:
            by_repo.setdefault(item.repo, []).append((when, nid))
    for seq in by_repo.values():
        seq.sort()
        for (t1, a), (t2, b) in zip(seq, seq[1:], strict=False):
            if (t2 - t1).days < TEMPORAL_DAYS:
                edges.add((a, b, "temporal"))
    return edges


def to_mermaid(graph: Graph) -> str:
    """The graph as a Mermaid flowchart (for docs and humans)."""
    ids = {n.id: f"n{i}" for i, n in enumerate(graph.nodes)}
    lines = ["flowchart LR"]
    for n in graph.nodes:
        text = n.id.split(":", 1)[1].replace('"', "'")
        lines.append(f'  {ids[n.id]}["{n.kind}: {text}"]')
    for e in graph.edges:
        lines.append(f"  {ids[e.source]} -- {e.kind} --> {ids[e.target]}")
    return "\n".join(lines) + "\n"
