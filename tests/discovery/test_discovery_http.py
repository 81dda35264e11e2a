"""The HTTP client against a real server on 127.0.0.1: cache, 304s, limits, retries, bad answers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from discovery_fakes import FakeServer, Reply, add_repo, gh_cross_ref, gh_issue, gh_pull, serve

from gitorch.discovery.forge import sync_repo
from gitorch.discovery.http import Auth, HttpClient, Policy, ResponseCache
from gitorch.errors import ConfigError, DiscoveryError, UsageError

REPO = "acme/widgets"


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with serve() as s:
        yield s


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


class Sleeps(list[float]):
    """Records requested sleeps instead of sleeping (the server is local; time is not)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(server: FakeServer, cache_dir: Path, sleeps: Sleeps | None = None, *,
           token: str | None = None, timeout: float = 10.0, retries: int = 3,
           offline: bool = False) -> HttpClient:
    return HttpClient(
        server.url, auth=Auth(token), cache=ResponseCache(cache_dir), offline=offline,
        policy=Policy(timeout=timeout, retries=retries, backoff=0.5, max_wait=30.0),
        sleep=sleeps if sleeps is not None else Sleeps(),
    )


def six_issues() -> list[dict[str, object]]:
    return [gh_issue(REPO, n, f"issue {n}", labels=("bug",)) for n in range(1, 7)]


def cached_files(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.rglob("*.json")) if cache_dir.exists() else []


def test_pagination_over_three_pages_then_second_sync_is_all_304(
    server: FakeServer, cache_dir: Path
) -> None:
    issues = six_issues() + [gh_issue(REPO, 7, "a PR", pull=True)]
    add_repo(server, REPO, issues, [gh_pull(REPO, 7, "fix", body="Fixes #2")], per_page=3,
             timelines={3: [gh_cross_ref(REPO, 7)]})

    with client(server, cache_dir) as c:
        first = sync_repo(c, REPO)
    assert [i.number for i in first.issues] == [1, 2, 3, 4, 5, 6]  # the PR on page 3 is not an issue
    pages = [h.path for h in server.hits if "/issues?" in h.path]
    assert pages == [f"/repos/{REPO}/issues?per_page=100&state=open",
                     f"/repos/{REPO}/issues?per_page=100&state=open&page=2",
                     f"/repos/{REPO}/issues?per_page=100&state=open&page=3"]
    by_number = {i.number: i for i in first.issues}
    assert by_number[2].linked_prs == [f"{REPO}#7"]  # from the PR body
    assert by_number[3].linked_prs == [f"{REPO}#7"]  # from the timeline
    assert first.prs[0].closes == [f"{REPO}#2"]

    server.reset_log()
    with client(server, cache_dir) as c:
        second = sync_repo(c, REPO)
        stats = c.stats
    assert second.issues == first.issues
    assert server.hits, "the second sync must still ask the server"
    assert all(h.conditional for h in server.hits)
    assert all(h.status == 304 and h.body_bytes == 0 for h in server.hits)
    assert stats.requests == stats.conditional == stats.not_modified == len(server.hits)
    assert stats.bytes == 0


def test_rate_limit_403_with_retry_after_waits_then_succeeds(server: FakeServer, cache_dir: Path) -> None:
    server.json("/thing", {"ok": 1})
    server.fault("/thing", Reply(403, b'{"message": "You have exceeded a secondary rate limit."}',
                                 {"Content-Type": "application/json", "Retry-After": "7"}))
    sleeps = Sleeps()
    with client(server, cache_dir, sleeps) as c:
        assert c.get("thing").data == {"ok": 1}
    assert len(sleeps) == 1 and sleeps[0] == pytest.approx(7.0, abs=0.5)
    assert [h.status for h in server.hits] == [403, 200]


def test_endless_rate_limit_answers_are_bounded(server: FakeServer, cache_dir: Path) -> None:
    limited = Reply(429, b'{"message": "slow down"}', {"Retry-After": "1"})
    server.fault("/busy", *[limited for _ in range(10)])
    sleeps = Sleeps()
    with client(server, cache_dir, sleeps) as c, pytest.raises(DiscoveryError, match="still rate limited"):
        c.get("busy")
    assert len(server.hits) == 4 and len(sleeps) == 3


def test_rate_limit_far_away_stops_with_a_clear_message(server: FakeServer, cache_dir: Path) -> None:
    reset = int(time.time()) + 3600
    server.fault("/thing", Reply(403, b'{"message": "API rate limit exceeded"}', {
        "Content-Type": "application/json", "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(reset)}))
    sleeps = Sleeps()
    with client(server, cache_dir, sleeps) as c, pytest.raises(DiscoveryError) as err:
        c.get("thing")
    assert "rate limit" in err.value.message and "resets at" in err.value.message
    assert "GITHUB_TOKEN" in str(err.value)  # no token: the hint names the secret to set
    assert sleeps == [] and len(server.hits) == 1


def test_spent_quota_on_a_success_is_honoured_before_the_next_request(
    server: FakeServer, cache_dir: Path
) -> None:
    server.json("/a", [1], headers={"X-RateLimit-Remaining": "0",
                                    "X-RateLimit-Reset": str(int(time.time()) + 3600)})
    server.json("/b", [2])
    with client(server, cache_dir) as c:
        c.get("a")
        with pytest.raises(DiscoveryError, match="rate limit"):
            c.get("b")
    assert [h.path for h in server.hits] == ["/a"]  # never sent: no hammering


def test_502_twice_then_success_backs_off_exponentially(server: FakeServer, cache_dir: Path) -> None:
    server.json("/flaky", {"v": 2})
    server.fault("/flaky", Reply(502, b"bad gateway"), Reply(502, b"bad gateway"))
    sleeps = Sleeps()
    with client(server, cache_dir, sleeps) as c:
        assert c.get("flaky").data == {"v": 2}
        assert c.stats.retries == 2
    assert [h.status for h in server.hits] == [502, 502, 200]
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0  # base 0.5 s, doubled, jittered


def test_5xx_retries_are_bounded(server: FakeServer, cache_dir: Path) -> None:
    server.fault("/down", *[Reply(503, b"") for _ in range(10)])
    with client(server, cache_dir, retries=2) as c, pytest.raises(DiscoveryError) as err:
        c.get("down")
    assert "HTTP 503" in err.value.message and "3 attempts" in err.value.message
    assert len(server.hits) == 3


def test_timeout_is_retried_then_reported(server: FakeServer, cache_dir: Path) -> None:
    server.json("/slow", {"v": 1})
    server.fault("/slow", Reply(200, b"{}", {"Content-Type": "application/json"}, delay=1.0))
    with client(server, cache_dir, timeout=0.3) as c:
        assert c.get("slow").data == {"v": 1}
        assert c.stats.retries == 1
    server.fault("/slow", *[Reply(200, b"{}", {}, delay=1.0) for _ in range(2)])
    with client(server, tmp := cache_dir / "other", timeout=0.3, retries=1) as c, \
            pytest.raises(DiscoveryError, match="timed out"):
        c.get("slow")
    assert not cached_files(tmp)


def test_connection_refused_is_a_clear_error(cache_dir: Path) -> None:
    with serve() as s:
        url = s.url
    c = HttpClient(url, cache=ResponseCache(cache_dir), policy=Policy(retries=1), sleep=Sleeps())
    with c, pytest.raises(DiscoveryError, match="could not connect"):
        c.get("x")


def test_malformed_json_is_an_error_and_nothing_is_cached(server: FakeServer, cache_dir: Path) -> None:
    server.raw("/bad", b'{"number": 1, "title": ', "application/json")
    with client(server, cache_dir) as c, pytest.raises(DiscoveryError) as err:
        c.get("bad")
    assert "malformed JSON" in err.value.message and "/bad" in err.value.message
    assert cached_files(cache_dir) == []


def test_html_instead_of_json_is_an_error(server: FakeServer, cache_dir: Path) -> None:
    server.raw("/repos/acme/widgets", b"<!DOCTYPE html><html><body>Sign in</body></html>",
               "text/html; charset=utf-8")
    with client(server, cache_dir) as c, pytest.raises(DiscoveryError) as err:
        sync_repo(c, REPO)
    assert "HTML, not JSON" in err.value.message
    assert server.url in (err.value.hint or "")
    assert cached_files(cache_dir) == []


def test_corrupt_cache_file_is_discarded_and_refetched(server: FakeServer, cache_dir: Path) -> None:
    add_repo(server, REPO, six_issues())
    with client(server, cache_dir) as c:
        first = sync_repo(c, REPO)
    files = cached_files(cache_dir)
    assert files
    for f in files:
        f.write_bytes(b"\x00not json{{")
    server.reset_log()
    with client(server, cache_dir) as c:
        again = sync_repo(c, REPO)
    assert again.issues == first.issues
    assert all(h.status == 200 and not h.conditional for h in server.hits)
    server.reset_log()
    with client(server, cache_dir) as c:  # the cache was rewritten whole
        sync_repo(c, REPO)
    assert all(h.status == 304 for h in server.hits)


def test_unknown_repo_is_named(server: FakeServer, cache_dir: Path) -> None:
    with client(server, cache_dir) as c, pytest.raises(UsageError) as err:
        sync_repo(c, "acme/nope")
    assert "unknown repo acme/nope" in err.value.message
    with client(server, cache_dir) as c, pytest.raises(UsageError, match="owner/name"):
        sync_repo(c, "not-a-repo")


def test_missing_or_revoked_token_names_the_secret_not_its_value(
    server: FakeServer, cache_dir: Path
) -> None:
    add_repo(server, REPO, six_issues())
    server.token = "ghp_correct"
    with client(server, cache_dir) as c, pytest.raises(ConfigError) as err:
        sync_repo(c, REPO)
    assert "GITHUB_TOKEN" in err.value.message and "not set" in err.value.message
    with client(server, cache_dir, token="ghp_revoked_value") as c, pytest.raises(ConfigError) as err:
        sync_repo(c, REPO)
    text = str(err.value) + repr(err.value.to_json())
    assert "GITHUB_TOKEN" in text and "revoked" in text
    assert "ghp_revoked_value" not in text
    with client(server, cache_dir, token="ghp_correct") as c:
        assert len(sync_repo(c, REPO).issues) == 6
    assert server.hits[-1].authorization == "Bearer ghp_correct"


def test_offline_uses_the_cache_alone(server: FakeServer, cache_dir: Path) -> None:
    add_repo(server, REPO, six_issues(), per_page=2)
    with client(server, cache_dir) as c:
        online = sync_repo(c, REPO)
    server.reset_log()
    with client(server, cache_dir, offline=True) as c:
        offline = sync_repo(c, REPO)
        assert c.stats.requests == 0
    assert offline.issues == online.issues and server.hits == []
    with client(server, cache_dir / "empty", offline=True) as c, \
            pytest.raises(DiscoveryError, match="offline: no cached answer"):
        sync_repo(c, REPO)


def test_cache_writes_are_atomic_and_keyed_by_url(tmp_path: Path) -> None:
    from gitorch.discovery.http import CacheEntry

    cache = ResponseCache(tmp_path / "c")
    assert cache.get("http://x/a") is None
    cache.put(CacheEntry(url="http://x/a", etag='"1"', body="[1]"))
    cache.put(CacheEntry(url="http://x/a", etag='"2"', body="[2]"))
    got = cache.get("http://x/a")
    assert got is not None and (got.etag, got.body) == ('"2"', "[2]")
    assert cache.get("http://x/b") is None
    files = list((tmp_path / "c").rglob("*"))
    assert not [f for f in files if f.name.startswith(".tmp-")]  # no temp file left behind


def test_default_cache_dir_is_the_user_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gitorch.discovery.httpcache import default_cache_dir

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "gitorch" / "http"


def test_cache_entry_with_a_broken_body_is_refetched_unconditionally(
    server: FakeServer, cache_dir: Path
) -> None:
    from gitorch.discovery.http import CacheEntry

    server.json("/doc", {"v": 3})
    with client(server, cache_dir) as c:
        url = c.url("doc")
        ResponseCache(cache_dir).put(CacheEntry(url=url, etag='"stale"', body='{"v": '))
        assert c.get("doc").data == {"v": 3}
    assert [(h.status, h.conditional) for h in server.hits] == [(200, False)]


def test_retry_after_as_seconds_or_http_date() -> None:
    from email.utils import formatdate

    from gitorch.discovery.wire import parse_retry_after as _parse_retry_after

    now = 1_800_000_000.0
    assert _parse_retry_after("120", now) == 120.0
    assert _parse_retry_after(formatdate(now + 30, usegmt=True), now) == pytest.approx(30.0, abs=1)
    assert _parse_retry_after(formatdate(now - 30, usegmt=True), now) == 0.0
    assert _parse_retry_after("soon", now) is None and _parse_retry_after(None, now) is None


def test_a_server_trickling_bytes_times_out_as_a_whole(server: FakeServer, cache_dir: Path) -> None:
    # Each byte arrives well within the read timeout, so only a bound on the whole answer stops it.
    server.raw("/trickle", b'{"v": 1}' + b" " * 200, "application/json")
    server.routes["/trickle"].trickle = 0.05
    started = time.monotonic()
    with client(server, cache_dir, timeout=0.2, retries=0) as c, \
            pytest.raises(DiscoveryError, match="whole answer took longer than 0.6s"):
        c.get("trickle")
    assert time.monotonic() - started < 3
    assert cached_files(cache_dir) == []


def test_a_huge_answer_is_refused_without_buffering_it(server: FakeServer, cache_dir: Path) -> None:
    server.raw("/huge", b"[" + b"1," * 600_000 + b"1]", "application/json")
    c = HttpClient(server.url, cache=ResponseCache(cache_dir), sleep=Sleeps(),
                   policy=Policy(retries=3, max_bytes=1024 * 1024))
    with c, pytest.raises(DiscoveryError, match="more than 1 MiB"):
        c.get("huge")
    assert c.stats.requests == 1 and cached_files(cache_dir) == []  # not retried, nothing kept


def test_json_that_is_not_utf8_is_malformed_not_a_crash(server: FakeServer, cache_dir: Path) -> None:
    server.raw("/latin1", b'{"title": "caf\xe9"}', "application/json")
    with client(server, cache_dir) as c, pytest.raises(DiscoveryError, match="malformed JSON"):
        c.get("latin1")
    assert cached_files(cache_dir) == []


@pytest.mark.parametrize("issues", [
    [{"number": 1, "title": "t", "comments": "many"}],
    [{"title": "no number"}],
    [{"number": 2, "title": "t", "body": 12}],
])
def test_issues_of_the_wrong_shape_are_an_error_naming_the_url(
    server: FakeServer, cache_dir: Path, issues: list[dict[str, object]]
) -> None:
    add_repo(server, REPO, [], [])
    server.json("/repos/acme/widgets/issues?per_page=100&state=open", issues)
    with client(server, cache_dir) as c, pytest.raises(DiscoveryError) as err:
        sync_repo(c, REPO)
    assert "unexpected shape" in err.value.message and "/repos/acme/widgets/issues" in err.value.message


def test_a_package_of_the_wrong_shape_is_an_error(server: FakeServer, cache_dir: Path) -> None:
    from gitorch.discovery.indexes import sync_package

    server.json("/pypi/widgets/json", {"info": {"version": "1"}, "releases": ["1.0"]})
    with client(server, cache_dir) as c, pytest.raises(DiscoveryError, match="unexpected shape"):
        sync_package(c, "pypi", "widgets")


def test_pypi_is_asked_for_the_normalised_name(server: FakeServer, cache_dir: Path) -> None:
    from discovery_fakes import pypi_project

    from gitorch.discovery.indexes import sync_package

    server.json("/pypi/acme-lib/json", pypi_project("acme-lib", {"1.0": False}))
    with client(server, cache_dir) as c:
        assert sync_package(c, "pypi", "Acme_Lib").latest == "1.0"
        assert sync_package(c, "pypi", "acme.lib").latest == "1.0"  # 304: one cache entry
    assert [(h.path, h.status) for h in server.hits] == [("/pypi/acme-lib/json", 200),
                                                         ("/pypi/acme-lib/json", 304)]
