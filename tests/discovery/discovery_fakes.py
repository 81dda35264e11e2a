"""A real HTTP server on 127.0.0.1 that answers like GitHub's REST API and the package
indexes (shapes written by hand from their public documentation), with scriptable faults.

Used by tests/discovery and tests/bench/bench_discovery.py. Nothing here patches httpx:
the client under test talks to this server over a socket.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to sleep before answering (timeouts)
    trickle: float = 0.0  # seconds between body bytes (a server that is slow but never silent)


@dataclass
class Hit:
    """One request the server saw."""

    path: str
    status: int
    conditional: bool
    body_bytes: int
    authorization: str | None


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that hung up early
            super().handle_error(request, client_address)


class FakeServer:
    """Routes keyed by path+query; one-shot faults queued per path; a log of every hit."""

    def __init__(self) -> None:
        self.routes: dict[str, Reply] = {}
        self.faults: dict[str, list[Reply]] = {}
        self.hits: list[Hit] = []
        self.token: str | None = None  # when set, requests must carry it (else 401)
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # one small answer per request: no 40 ms stalls

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 (stdlib name)
                server._answer(self)

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    # --- setup ---------------------------------------------------------------------
    def start(self) -> FakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def json(self, path: str, data: Any, *, link: str | None = None, etag: bool = True,
             last_modified: str | None = None, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(data, sort_keys=True).encode()
        h = {"Content-Type": "application/json; charset=utf-8"}
        if etag:
            h["ETag"] = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if last_modified:
            h["Last-Modified"] = last_modified
        if link:
            h["Link"] = link
        h.update(headers or {})
        self.routes[path] = Reply(200, body, h)

    def raw(self, path: str, body: bytes, content_type: str, status: int = 200) -> None:
        self.routes[path] = Reply(status, body, {"Content-Type": content_type})

    def fault(self, path: str, *replies: Reply) -> None:
        """Answer the next requests for `path` with `replies`, then the route again."""
        self.faults.setdefault(path, []).extend(replies)

    def reset_log(self) -> None:
        with self._lock:
            self.hits.clear()

    # --- serving -------------------------------------------------------------------
    def _answer(self, req: BaseHTTPRequestHandler) -> None:
        path = req.path
        with self._lock:
            queued = self.faults.get(path)
            reply = queued.pop(0) if queued else self.routes.get(path)
        conditional = bool(req.headers.get("If-None-Match") or req.headers.get("If-Modified-Since"))
        auth = req.headers.get("Authorization")
        if self.token is not None and auth != f"Bearer {self.token}":
            reply = Reply(401, b'{"message": "Bad credentials"}', {"Content-Type": "application/json"})
        elif reply is None:
            reply = Reply(404, b'{"message": "Not Found", "documentation_url": "https://docs"}',
                          {"Content-Type": "application/json"})
        elif reply.status == 200 and self._not_modified(req, reply):
            reply = Reply(304, b"", {k: v for k, v in reply.headers.items()
                                     if k in ("ETag", "Last-Modified", "Link")})
        # Log before answering: once the client has its answer, the hit must be visible.
        with self._lock:
            self.hits.append(Hit(path, reply.status, conditional, len(reply.body), auth))
        if reply.delay:
            time.sleep(reply.delay)
        try:
            req.send_response(reply.status)
            for k, v in reply.headers.items():
                req.send_header(k, v)
            req.send_header("Content-Length", str(len(reply.body)))
            req.end_headers()
            if reply.body and reply.trickle:
                for i in range(len(reply.body)):
                    req.wfile.write(reply.body[i:i + 1])
                    req.wfile.flush()
                    time.sleep(reply.trickle)
            elif reply.body:
                req.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and went away

    @staticmethod
    def _not_modified(req: BaseHTTPRequestHandler, reply: Reply) -> bool:
        etag = reply.headers.get("ETag")
        if etag and req.headers.get("If-None-Match") == etag:
            return True
        lm = reply.headers.get("Last-Modified")
        return bool(lm and not etag and req.headers.get("If-Modified-Since") == lm)


@contextmanager
def serve() -> Iterator[FakeServer]:
    server = FakeServer().start()
    try:
        yield server
    finally:
        server.stop()


# --- GitHub-shaped fixtures -------------------------------------------------------------

def gh_user(login: str) -> dict[str, Any]:
    return {"login": login, "id": abs(hash(login)) % 10**6, "type": "User",
            "html_url": f"https://github.com/{login}"}


def gh_issue(repo: str, number: int, title: str, *, labels: tuple[str, ...] = (),
             assignees: tuple[str, ...] = (), comments: int = 0, author: str = "alice",
             body: str = "", created: str = "2026-10-01T10:00:00Z",
             updated: str = "2026-11-01T10:00:00Z", pull: bool = False) -> dict[str, Any]:
    owner, name = repo.split("/")
    issue: dict[str, Any] = {
        "url": f"https://api.github.com/repos/{repo}/issues/{number}",
        "html_url": f"https://github.com/{repo}/issues/{number}",
        "id": number * 1000 + len(repo), "node_id": f"I_{number}",
        "number": number, "title": title, "state": "open", "locked": False,
        "user": gh_user(author),
        "labels": [{"id": i, "name": lb, "color": "d73a4a", "default": False, "description": ""}
                   for i, lb in enumerate(labels)],
        "assignee": gh_user(assignees[0]) if assignees else None,
        "assignees": [gh_user(a) for a in assignees],
        "milestone": None, "comments": comments,
        "created_at": created, "updated_at": updated, "closed_at": None,
        "author_association": "CONTRIBUTOR", "body": body,
    }
    if pull:
        issue["pull_request"] = {"url": f"https://api.github.com/repos/{repo}/pulls/{number}",
                                 "html_url": f"https://github.com/{repo}/pull/{number}"}
        issue["html_url"] = f"https://github.com/{repo}/pull/{number}"
    return issue


def gh_pull(repo: str, number: int, title: str, *, author: str = "bob", body: str = "",
            draft: bool = False, created: str = "2026-11-02T10:00:00Z") -> dict[str, Any]:
    return {
        "url": f"https://api.github.com/repos/{repo}/pulls/{number}",
        "html_url": f"https://github.com/{repo}/pull/{number}",
        "id": number * 7, "number": number, "state": "open", "locked": False, "title": title,
        "user": gh_user(author), "body": body, "draft": draft,
        "created_at": created, "updated_at": created, "closed_at": None, "merged_at": None,
        "head": {"ref": f"fix-{number}", "sha": "0" * 40},
        "base": {"ref": "main", "sha": "1" * 40},
    }


def gh_cross_ref(repo: str, pr_number: int, *, state: str = "open") -> dict[str, Any]:
    """A `cross-referenced` timeline event whose source is a pull request."""
    return {
        "event": "cross-referenced", "actor": gh_user("bob"),
        "created_at": "2026-11-02T10:00:00Z", "updated_at": "2026-11-02T10:00:00Z",
        "source": {"type": "issue", "issue": {
            "number": pr_number, "state": state, "title": "a fix",
            "pull_request": {"url": f"https://api.github.com/repos/{repo}/pulls/{pr_number}"},
            "repository": {"full_name": repo, "name": repo.split("/")[1]},
        }},
    }


def gh_repo(repo: str, *, language: str = "Python", topics: tuple[str, ...] = ()) -> dict[str, Any]:
    owner, name = repo.split("/")
    return {
        "id": len(repo), "name": name, "full_name": repo, "private": False,
        "owner": gh_user(owner), "html_url": f"https://github.com/{repo}",
        "description": f"the {name} project", "language": language, "topics": list(topics),
        "default_branch": "main", "archived": False, "open_issues_count": 0,
        "clone_url": f"https://github.com/{repo}.git",
    }


def add_repo(server: FakeServer, repo: str, issues: list[dict[str, Any]],
             pulls: list[dict[str, Any]] | None = None, *, per_page: int = 100,
             timelines: dict[int, list[dict[str, Any]]] | None = None,
             language: str = "Python", topics: tuple[str, ...] = ()) -> None:
    """Serve `repo` the way GitHub does: metadata, paginated issues, pulls, timelines."""
    server.json(f"/repos/{repo}", gh_repo(repo, language=language, topics=topics))
    base = f"/repos/{repo}/issues?per_page=100&state=open"
    chunks = [issues[i:i + per_page] for i in range(0, len(issues), per_page)] or [[]]
    last = len(chunks)
    for i, chunk in enumerate(chunks, start=1):
        path = base if i == 1 else f"{base}&page={i}"
        link = None
        if last > 1:
            links = []
            if i < last:
                links.append(f'<{server.url}{base}&page={i + 1}>; rel="next"')
            links.append(f'<{server.url}{base}&page={last}>; rel="last"')
            link = ", ".join(links)
        server.json(path, chunk, link=link)
    server.json(f"/repos/{repo}/pulls?per_page=100&state=open", pulls or [])
    for issue in issues:
        if "pull_request" in issue:
            continue
        n = issue["number"]
        server.json(f"/repos/{repo}/issues/{n}/timeline?per_page=100", (timelines or {}).get(n, []))


# --- package index fixtures --------------------------------------------------------------

def pypi_project(name: str, versions: dict[str, bool | str]) -> dict[str, Any]:
    """PyPI's /pypi/<name>/json: `versions` maps version -> False, or a yank reason."""
    releases = {}
    for v, yanked in versions.items():
        releases[v] = [{
            "filename": f"{name}-{v}.tar.gz", "packagetype": "sdist", "python_version": "source",
            "upload_time_iso_8601": "2026-01-01T00:00:00.000000Z", "size": 1000,
            "yanked": bool(yanked), "yanked_reason": yanked if isinstance(yanked, str) else None,
            "digests": {"sha256": "0" * 64},
        }]
    latest = [v for v, y in versions.items() if not y][-1]
    return {"info": {"name": name, "version": latest, "summary": "", "yanked": False},
            "last_serial": 1, "releases": releases, "urls": releases[latest], "vulnerabilities": []}


def npm_packument(name: str, versions: dict[str, str | None]) -> dict[str, Any]:
    """The npm registry's full package document: version -> deprecation message or None."""
    vs = {}
    for v, dep in versions.items():
        manifest: dict[str, Any] = {"name": name, "version": v, "dist": {"tarball": f"https://r/{name}-{v}.tgz"}}
        if dep:
            manifest["deprecated"] = dep
        vs[v] = manifest
    latest = list(versions)[-1]
    return {"_id": name, "name": name, "dist-tags": {"latest": latest}, "versions": vs,
            "time": {"created": "2025-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                     **{v: "2025-06-01T00:00:00.000Z" for v in versions}}}


def crates_crate(name: str, versions: dict[str, bool]) -> dict[str, Any]:
    """crates.io's /api/v1/crates/<name>: version -> yanked."""
    return {
        "crate": {"id": name, "name": name, "max_version": list(versions)[-1],
                  "max_stable_version": list(versions)[-1], "newest_version": list(versions)[-1]},
        "versions": [{"id": i, "crate": name, "num": v, "yanked": y,
                      "created_at": "2026-01-01T00:00:00.000000+00:00"}
                     for i, (v, y) in enumerate(reversed(list(versions.items())))],
        "keywords": [], "categories": [],
    }


def hex_package(name: str, versions: list[str], retired: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """Hex's /api/packages/<name>: releases newest first; retirements version -> {reason, message}."""
    return {
        "name": name, "html_url": f"https://hex.pm/packages/{name}",
        "meta": {"description": "", "licenses": ["MIT"], "links": {}},
        "releases": [{"version": v, "url": f"https://hex.pm/api/packages/{name}/releases/{v}",
                      "inserted_at": "2026-01-01T00:00:00.000000Z", "has_docs": True}
                     for v in reversed(versions)],
        "retirements": {v: {"reason": r, "message": m} for v, (r, m) in retired.items()},
        "latest_version": versions[-1], "latest_stable_version": versions[-1],
    }
