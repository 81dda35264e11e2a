"""What the discovery HTTP client is given and reports: the token, the policy (timeouts,
retries, waits), its counters, a decoded page; and the header parsing it needs."""

from __future__ import annotations

import email.utils
from dataclasses import dataclass, field
from datetime import UTC
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx


@dataclass
class Stats:
    """What a client did: the benchmark and `discover --json` report these."""

    requests: int = 0
    conditional: int = 0  # requests sent with If-None-Match or If-Modified-Since
    not_modified: int = 0  # 304 answers
    bytes: int = 0  # response body bytes received
    retries: int = 0
    waited: float = 0.0  # seconds slept for rate limits and backoff
    cache_hits: int = 0  # offline answers from the cache
    urls: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k != "urls"}


@dataclass(frozen=True)
class Page:
    """A decoded JSON answer and where it came from."""

    url: str
    data: Any
    status: int  # 200, or 304 when the cached body was reused
    next_url: str | None
    from_cache: bool


@dataclass(frozen=True)
class Auth:
    """A token and the name of the secret it came from (the name is shown, never the value)."""

    token: str | None
    secret: str = "GITHUB_TOKEN"


@dataclass
class Policy:
    """Timeouts, retries and waits (from settings; tests shorten them)."""

    timeout: float = 10.0
    retries: int = 3  # extra attempts after the first, for connect errors, timeouts and 5xx
    backoff: float = 0.5  # first backoff in seconds; doubles each attempt
    backoff_cap: float = 8.0
    max_wait: float = 60.0  # longest rate-limit wait before stopping with a message
    max_bytes: int = 32 * 1024 * 1024  # one answer larger than this is refused, not buffered
    # `timeout` bounds each network read; a server trickling bytes would never trip it, so a
    # whole answer must also arrive within `timeout * total_factor` seconds.
    total_factor: float = 3.0


def parse_retry_after(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def int_header(headers: httpx.Headers, name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def next_link(link: str | None) -> str | None:
    if not link:
        return None
    import httpx

    links = httpx.Response(200, headers={"link": link}).links
    nxt = links.get("next")
    return nxt.get("url") if nxt else None
