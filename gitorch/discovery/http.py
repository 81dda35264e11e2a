"""One careful HTTP client for every forge and package index gitorch talks to.

It sends conditional requests (If-None-Match / If-Modified-Since) from an on-disk cache
under the user cache directory, so a repeat sync costs 304s; honours rate limits
(Retry-After, X-RateLimit-Remaining/Reset: wait when the wait is short, otherwise stop
with a clear message); retries connect errors, timeouts and 5xx with exponential backoff
and jitter, a bounded number of times; follows `Link: rel="next"` pagination; and refuses
HTML or malformed JSON with a clear error, storing nothing.

Why a hand-written retry loop and not httpx's `HTTPTransport(retries=…)`: the transport
retries connection failures only; 5xx, Retry-After and rate-limit waits need one policy
that also counts what it did (the benchmark reports requests and bytes).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin, urlsplit

import msgspec

from gitorch.discovery.httpcache import CacheEntry, ResponseCache
from gitorch.discovery.wire import Auth, Page, Policy, Stats, int_header, next_link, parse_retry_after
from gitorch.errors import ConfigError, DiscoveryError, UsageError

if TYPE_CHECKING:
    import httpx  # imported where a request is sent: `--offline` answers without it (~100 ms)

_TOO_SLOW = "the whole answer took longer than"
MAX_LIMIT_WAITS = 3  # rate-limit answers to one request before giving up (GitHub's advice)
_UNREADABLE = object()  # a cached body that no longer decodes

__all__ = ["Auth", "CacheEntry", "HttpClient", "NotFound", "Page", "Policy", "ResponseCache", "Stats"]


def _cached_next(entry: CacheEntry) -> str | None:
    if entry.next_url is not None:
        return entry.next_url or None
    return next_link(entry.link)


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M:%S UTC")


class HttpClient:
    """GET JSON from one service (a forge or an index) with cache, limits and retries."""

    def __init__(
        self,
        base_url: str,
        *,
        service: str = "forge",
        auth: Auth | None = None,
        cache: ResponseCache | None = None,
        offline: bool = False,
        policy: Policy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        user_agent: str = "gitorch-discovery",
        accept: str = "application/json",
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.service = service
        self.auth = auth or Auth(None)
        self.cache = cache if cache is not None else ResponseCache()
        self.offline = offline
        self.policy = policy or Policy()
        self.stats = Stats()
        self._sleep = sleep
        self._clock = clock
        self._blocked_until = 0.0  # set when a response said no requests are left
        self._lock = threading.RLock()  # one client may serve several threads (repos in parallel)
        self._local = threading.local()  # per-thread request count (per-repo figures)
        headers = {"User-Agent": user_agent, "Accept": accept}
        if self.auth.token:
            headers["Authorization"] = f"Bearer {self.auth.token}"
        self._client: httpx.Client | None = None
        self._headers = headers

    # --- lifecycle -----------------------------------------------------------------
    def _http(self) -> httpx.Client:
        import httpx

        with self._lock:
            if self._client is None:
                # Loading the CA bundle costs ~60 ms; a loopback forge (tests, a local
                # mirror) speaks plain HTTP and never needs it.
                local = urlsplit(self.base_url).hostname in ("127.0.0.1", "localhost", "::1")
                self._client = httpx.Client(
                    headers=self._headers,
                    timeout=httpx.Timeout(self.policy.timeout),
                    follow_redirects=True,
                    trust_env=False,
                    verify=not local,
                )
            return self._client

    def _count(self, url: str | None = None, **deltas: float) -> None:
        with self._lock:
            for name, delta in deltas.items():
                setattr(self.stats, name, getattr(self.stats, name) + delta)
            if url is not None:
                self.stats.urls.append(url)
                self._local.requests = self.thread_requests() + 1

    def thread_requests(self) -> int:
        """Requests sent so far by the calling thread."""
        return int(getattr(self._local, "requests", 0))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- public API ----------------------------------------------------------------
    def url(self, path: str, params: dict[str, str | int] | None = None) -> str:
        """The absolute URL of `path` under the base URL, with `params` in a stable order."""
        url = path if "://" in path else urljoin(self.base_url, path.lstrip("/"))
        if params:
            query = urlencode(sorted((k, str(v)) for k, v in params.items()))  # as httpx.QueryParams
            url = f"{url}{'&' if '?' in url else '?'}{query}"
        return url

    def get(self, path: str, params: dict[str, str | int] | None = None) -> Page:
        """One JSON document (from the cache when the server says 304)."""
        return self._get(self.url(path, params))

    def pages(self, path: str, params: dict[str, str | int] | None = None,
              max_pages: int = 50) -> Iterator[Page]:
        """Every page of a list, following `Link: <…>; rel="next"` (bounded by `max_pages`)."""
        url: str | None = self.url(path, params)
        seen: set[str] = set()
        while url and url not in seen and len(seen) < max_pages:
            seen.add(url)
            page = self._get(url)
            yield page
            url = page.next_url

    def get_all(self, path: str, params: dict[str, str | int] | None = None) -> list[Any]:
        """The items of every page of a JSON list, concatenated."""
        items: list[Any] = []
        for page in self.pages(path, params):
            if not isinstance(page.data, list):
                raise DiscoveryError(
                    f"{self.service} at {page.url} answered a JSON {type(page.data).__name__}, "
                    "expected a list"
                )
            items.extend(page.data)
        return items

    # --- the request loop ----------------------------------------------------------
    def _cached_data(self, entry: CacheEntry) -> Any:
        """The cached body decoded; an entry whose body no longer decodes is discarded."""
        try:
            return msgspec.json.decode(entry.body)
        except msgspec.DecodeError:
            self.cache.discard(entry.url)
            return _UNREADABLE

    def _get(self, url: str) -> Page:
        cached = self.cache.get(url)
        # Decode the cached body before relying on it: a 304 must never meet a broken body.
        kept = self._cached_data(cached) if cached is not None else _UNREADABLE
        if kept is _UNREADABLE:
            cached = None
        if self.offline:
            if cached is None:
                raise DiscoveryError(
                    f"offline: no cached answer for {url}",
                    hint="run `git orch discover` once with network access",
                )
            self._count(cache_hits=1)
            return Page(url, kept, 304, _cached_next(cached), True)
        headers: dict[str, str] = {}
        if cached is not None:
            if cached.etag:
                headers["If-None-Match"] = cached.etag
            if cached.last_modified:
                headers["If-Modified-Since"] = cached.last_modified
        response = self._send(url, headers)
        if response.status_code == 304 and cached is not None:
            self._count(not_modified=1)
            return Page(url, kept, 304, _cached_next(cached), True)
        body = response.content
        data = self._decode(url, body, response.headers.get("content-type"))
        link = response.headers.get("link")
        next_url = next_link(link)
        self.cache.put(CacheEntry(
            url=url,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            link=link,
            next_url=next_url or "",
            body=body.decode("utf-8"),
            fetched_at=self._clock(),
        ))
        return Page(url, data, response.status_code, next_url, False)

    def _send(self, url: str, headers: dict[str, str]) -> httpx.Response:
        import httpx

        attempt = 0
        limited = 0
        while True:
            self._wait_for_quota()
            self._count(requests=1, url=url)
            if headers:
                self._count(conditional=1)
            try:
                response = self._fetch(url, headers)
            except httpx.TimeoutException as exc:
                failure = (f"timed out: {exc}" if str(exc).startswith(_TOO_SLOW) else
                           f"timed out after {self.policy.timeout:g}s ({type(exc).__name__})")
            except httpx.TransportError as exc:
                failure = f"could not connect ({type(exc).__name__}: {exc})"
            else:
                self._note_quota(response)
                status = response.status_code
                if status in (403, 429) and self._rate_limited(response):
                    limited += 1
                    if limited > MAX_LIMIT_WAITS:
                        raise DiscoveryError(
                            f"{self.service} at {url} is still rate limited after "
                            f"{MAX_LIMIT_WAITS} waits; stopping", hint="try again later")
                    self._wait_rate_limit(url, response)
                    continue
                if status < 500:
                    self._check_status(url, response)
                    return response
                failure = f"answered HTTP {status}"
            if attempt >= self.policy.retries:
                raise DiscoveryError(
                    f"{self.service} at {url} {failure}; gave up after {attempt + 1} attempts",
                    hint=f"check that {self.base_url} is reachable, then run the command again",
                )
            delay = min(self.policy.backoff_cap, self.policy.backoff * (2 ** attempt))
            delay = delay / 2 + random.uniform(0, delay / 2)  # equal jitter: never zero
            attempt += 1
            self._count(retries=1)
            self._pause(delay)

    def _fetch(self, url: str, headers: dict[str, str]) -> httpx.Response:
        """GET `url`, reading the body in chunks within the size and total-time bounds."""
        import httpx

        limit = self.policy.max_bytes
        deadline = time.monotonic() + self.policy.timeout * self.policy.total_factor
        with self._http().stream("GET", url, headers=headers) as response:
            declared = int_header(response.headers, "content-length")
            chunks: list[bytes] = []
            size = 0
            if declared is None or declared <= limit:
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        break
                    chunks.append(chunk)
                    if time.monotonic() > deadline:
                        raise httpx.ReadTimeout(f"{_TOO_SLOW} "
                                                f"{self.policy.timeout * self.policy.total_factor:g}s")
            if max(size, declared or 0) > limit:
                raise DiscoveryError(
                    f"{self.service} at {url} answered more than {limit // (1024 * 1024)} MiB; "
                    "refusing to read it", hint=f"check the configured URL {self.base_url}")
            self._count(bytes=response.num_bytes_downloaded)
            # The body is decoded already: drop the headers that would make httpx decode it again.
            kept = [(k, v) for k, v in response.headers.multi_items()
                    if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
            return httpx.Response(response.status_code, headers=kept, content=b"".join(chunks),
                                  request=response.request)

    def _pause(self, seconds: float) -> None:
        self._count(waited=seconds)
        self._sleep(seconds)

    # --- rate limits -----------------------------------------------------------------
    def _note_quota(self, response: httpx.Response) -> None:
        remaining = int_header(response.headers, "x-ratelimit-remaining")
        reset = int_header(response.headers, "x-ratelimit-reset")
        if remaining == 0 and reset is not None:
            with self._lock:
                self._blocked_until = max(self._blocked_until, float(reset))

    def _wait_for_quota(self) -> None:
        """Before sending: if an answer (to any thread) said to hold off, wait or stop."""
        with self._lock:
            until = self._blocked_until
        if not until:
            return
        wait = until - self._clock()
        if wait > self.policy.max_wait:
            raise self._limit_error(until)
        if wait > 0:
            self._pause(wait)
        with self._lock:
            if self._blocked_until == until:
                self._blocked_until = 0.0

    @staticmethod
    def _rate_limited(response: httpx.Response) -> bool:
        if response.headers.get("retry-after") is not None:
            return True
        if response.headers.get("x-ratelimit-remaining") == "0":
            return True
        return response.status_code == 429 or b"rate limit" in response.content.lower()

    def _wait_rate_limit(self, url: str, response: httpx.Response) -> None:
        now = self._clock()
        wait = parse_retry_after(response.headers.get("retry-after"), now)
        if wait is None:
            reset = int_header(response.headers, "x-ratelimit-reset")
            # GitHub's advice for a secondary limit without headers: wait at least a minute.
            wait = max(0.0, reset - now) if reset is not None else 60.0
        if wait > self.policy.max_wait:
            raise self._limit_error(now + wait)
        with self._lock:  # every thread holds off, not only the one that was told
            self._blocked_until = max(self._blocked_until, now + wait)

    def _limit_error(self, until: float) -> DiscoveryError:
        minutes = max(1, round((until - self._clock()) / 60))
        hint = "try again later"
        if not self.auth.token and self.service == "forge":
            hint += f", or set the secret {self.auth.secret} for a higher limit"
        return DiscoveryError(
            f"{self.service} rate limit reached at {self.base_url}: it resets at {_clock(until)} "
            f"(in about {minutes} min); stopping rather than hammering it",
            hint=hint,
        )

    # --- answers -----------------------------------------------------------------------
    def _check_status(self, url: str, response: httpx.Response) -> None:
        status = response.status_code
        if status in (200, 304):
            return
        if status == 401:
            if self.auth.token:
                raise ConfigError(
                    f"{self.service} at {self.base_url} rejected the token from secret "
                    f"{self.auth.secret} (HTTP 401: revoked or expired?)",
                    hint=f"replace the secret {self.auth.secret} with a valid token",
                )
            raise ConfigError(
                f"{self.service} at {self.base_url} needs a token (HTTP 401) and the secret "
                f"{self.auth.secret} is not set",
                hint=f"set the secret {self.auth.secret} (e.g. the environment variable)",
            )
        if status == 403:
            raise ConfigError(
                f"{self.service} at {url} refused access (HTTP 403) with the token from "
                f"secret {self.auth.secret}" if self.auth.token else
                f"{self.service} at {url} refused access (HTTP 403) without a token",
                hint=f"check the permissions of the token in secret {self.auth.secret}",
            )
        if status == 404:
            raise NotFound(f"{self.service} at {self.base_url} has no {url} (HTTP 404)")
        raise DiscoveryError(f"{self.service} at {url} answered HTTP {status}")

    def _decode(self, url: str, body: bytes, content_type: str | None) -> Any:
        head = body.lstrip()[:1]
        if (content_type and "html" in content_type.lower()) or head == b"<":
            raise DiscoveryError(
                f"{self.service} at {url} answered HTML, not JSON",
                hint=f"check the configured URL {self.base_url} (it must be the API endpoint)",
            )
        try:
            body.decode("utf-8")  # the cache keeps the body as text; msgspec lets bad bytes in strings
            return msgspec.json.decode(body)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            raise DiscoveryError(
                f"{self.service} at {url} answered malformed JSON ({exc}); nothing was stored",
            ) from None


class NotFound(UsageError):
    """The service has no such thing (HTTP 404); callers say which repo or package."""
