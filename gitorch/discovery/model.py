"""What discovery records: forge issues and PRs, package releases (msgspec Structs).

Stored records are decoded tolerantly (unknown fields ignored, every field defaulted), so a
newer gitorch can add fields without breaking an older reader.
"""

from __future__ import annotations

import msgspec

DISCOVERY_SCHEMA = 1


class ForgeIssue(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An open issue on a forge, reduced to what scoring and the graph need."""

    repo: str  # owner/name
    number: int
    title: str = ""
    url: str = ""
    author: str = ""
    labels: list[str] = []
    assignees: list[str] = []
    comments: int = 0
    created_at: str = ""
    updated_at: str = ""
    excerpt: str = ""  # the start of the body, for agents and humans
    has_reproduction: bool = False
    references: list[str] = []  # issues the body mentions ("owner/name#12")
    depends_on: list[str] = []  # issues the body says block this one
    linked_prs: list[str] = []  # open PRs that reference it (timeline or PR body)

    @property
    def id(self) -> str:
        return f"{self.repo}#{self.number}"


class PullRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An open pull request."""

    repo: str
    number: int
    title: str = ""
    url: str = ""
    author: str = ""
    draft: bool = False
    created_at: str = ""
    updated_at: str = ""
    closes: list[str] = []  # issues it references ("owner/name#12")

    @property
    def id(self) -> str:
        return f"{self.repo}#{self.number}"


class ForgeRepo(msgspec.Struct, kw_only=True, omit_defaults=True):
    full_name: str
    description: str = ""
    language: str = ""
    topics: list[str] = []
    default_branch: str = ""
    clone_url: str = ""
    archived: bool = False


class ForgeState(msgspec.Struct, kw_only=True):
    """One repo's forge data: the seed's `github` part of an enriched snapshot."""

    schema_version: int = DISCOVERY_SCHEMA
    repo: str = ""
    fetched_at: str = ""
    info: ForgeRepo | None = None
    issues: list[ForgeIssue] = []
    prs: list[PullRequest] = []
    user: str | None = None  # the token's login, when known
    requests: int = 0


class Release(msgspec.Struct, kw_only=True, omit_defaults=True):
    version: str
    published_at: str = ""
    yanked: bool = False  # yanked (PyPI, crates.io), deprecated (npm) or retired (Hex)
    reason: str = ""


class PackageState(msgspec.Struct, kw_only=True):
    """One package on one index: the seed's `hex` part, one per index."""

    schema_version: int = DISCOVERY_SCHEMA
    ecosystem: str = ""  # pypi | npm | crates | hex
    name: str = ""
    fetched_at: str = ""
    latest: str = ""
    releases: list[Release] = []

    @property
    def yanked(self) -> list[str]:
        return [r.version for r in self.releases if r.yanked]
