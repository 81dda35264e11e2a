"""Discovery: a second sync of 20 repos with nothing changed, against a local forge.

Side by side with the peer a plain script would be (httpx, no cache: every sync refetches
every page in full), it prints requests made, conditional requests, 304s, body bytes
transferred and wall time, and the ratios. Goal: the second sync sends conditional requests
only, transfers no bodies and takes under one second.

Run: .venv/bin/python tests/bench/run.py discovery
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "discovery"))

REPOS = 20
ISSUES = 6  # per repo, 3 per page: two pages, plus metadata, pulls and one timeline per issue
RUNS = 5  # second syncs and peer syncs; the median is reported (the machine is shared)


def _fixture(server: Any) -> list[str]:
    from discovery_fakes import add_repo, gh_issue, gh_pull

    names = []
    for r in range(REPOS):
        repo = f"org{r % 4}/repo{r:02d}"
        issues = [gh_issue(repo, n, f"issue {n} of {repo}", labels=("bug", "help wanted"),
                           body="Steps to reproduce: run it " * 20) for n in range(1, ISSUES + 1)]
        add_repo(server, repo, issues, [gh_pull(repo, 100, "a fix", body="Fixes #1")], per_page=3)
        names.append(repo)
    return names


def _gitorch_sync(url: str, names: list[str], cache_dir: Path) -> dict[str, Any]:
    from gitorch.discovery.forge import sync_repos
    from gitorch.discovery.http import HttpClient, ResponseCache
    from gitorch.discovery.service import FORGE_JOBS

    start, cpu = time.perf_counter(), time.process_time()
    with HttpClient(url, cache=ResponseCache(cache_dir)) as client:
        issues = sum(len(s.issues) for s in sync_repos(client, names, jobs=FORGE_JOBS))
        stats = client.stats
    return {"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu,
            "requests": stats.requests,
            "conditional": stats.conditional, "not_modified": stats.not_modified,
            "bytes": stats.bytes, "issues": issues}


def _plain_sync(url: str, names: list[str]) -> dict[str, Any]:
    """The peer: the same endpoints with plain httpx, following Link headers, no cache."""
    import httpx

    start, cpu = time.perf_counter(), time.process_time()
    requests = body = issues = 0
    with httpx.Client(base_url=url, timeout=10) as client:
        for name in names:
            todo = [f"/repos/{name}", f"/repos/{name}/issues?per_page=100&state=open",
                    f"/repos/{name}/pulls?per_page=100&state=open"]
            while todo:
                path = todo.pop(0)
                r = client.get(path)
                requests += 1
                body += r.num_bytes_downloaded
                data = r.json()
                if "/issues?" in path:
                    issues += len(data)
                    todo += [f"/repos/{name}/issues/{i['number']}/timeline?per_page=100" for i in data]
                nxt = r.links.get("next", {}).get("url")
                if nxt:
                    todo.insert(0, nxt)
    return {"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu,
            "requests": requests, "conditional": 0,
            "not_modified": 0, "bytes": body, "issues": issues}


_SERVER = """
import json, sys
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[2])
import bench_discovery as b
from discovery_fakes import FakeServer, Reply
server = FakeServer()
b._fixture(server)
answer = server._answer
def control(req):
    if req.path == "/__stats":
        hits = list(server.hits)
        body = json.dumps({"hits": len(hits), "bodies": sum(h.body_bytes for h in hits),
                           "all_304": all(h.status == 304 and h.conditional for h in hits)}).encode()
        server.routes["/__stats"] = Reply(200, body, {"Content-Type": "application/json"})
        answer(req)
        server.hits[:] = [h for h in server.hits if h.path != "/__stats"]
    elif req.path == "/__reset":
        server.routes["/__reset"] = Reply(200, b"{}", {"Content-Type": "application/json"})
        answer(req)
        server.reset_log()
    else:
        answer(req)
server._answer = control
server.start()
print(server.url, flush=True)
sys.stdin.read()
server.stop()
"""


def main() -> None:
    """The forge runs in its own process, so client and server do not share one GIL."""
    import subprocess

    import httpx

    proc = subprocess.Popen([sys.executable, "-c", _SERVER, str(HERE), str(HERE.parent / "discovery")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        names = [f"org{r % 4}/repo{r:02d}" for r in range(REPOS)]
        with tempfile.TemporaryDirectory() as tmp:
            cache = Path(tmp) / "cache"
            cold = _gitorch_sync(url, names, cache)
            warms = []
            for _ in range(RUNS):
                httpx.get(f"{url}/__reset")
                warms.append(_gitorch_sync(url, names, cache))
                served = httpx.get(f"{url}/__stats").json()
                assert served["all_304"] and served["bodies"] == 0
        peers = [_plain_sync(url, names) for _ in range(RUNS)]
        warm = sorted(warms, key=lambda r: r["seconds"])[RUNS // 2]  # the median run
        peer = sorted(peers, key=lambda r: r["seconds"])[RUNS // 2]
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=10)

    print(f"{REPOS} repos, {ISSUES} open issues each (2 pages), 1 open PR each; "
          "local forge on 127.0.0.1 in its own process")
    print(f"{'':30}{'requests':>9}{'conditional':>12}{'304':>6}{'body bytes':>12}{'seconds':>9}"
          f"{'client CPU s':>14}")
    for label, row in (("gitorch first sync", cold), ("gitorch second sync (median)", warm),
                       ("plain httpx (median)", peer)):
        print(f"{label:30}{row['requests']:>9}{row['conditional']:>12}{row['not_modified']:>6}"
              f"{row['bytes']:>12}{row['seconds']:>9.3f}{row['cpu']:>14.3f}")
    print(f"every second sync: server saw {served['hits']} requests, all conditional and 304, "
          f"0 body bytes served; median under 1 s = {warm['seconds'] < 1.0} "
          f"(runs: {', '.join(format(w['seconds'], '.3f') for w in warms)} s)")
    ratio = peer["seconds"] / warm["seconds"] if warm["seconds"] else float("inf")
    print(f"vs plain httpx: body bytes {warm['bytes']} vs {peer['bytes']}; "
          f"time {warm['seconds']:.3f} s vs {peer['seconds']:.3f} s ({ratio:.2f}x)")
    assert cold["issues"] == warm["issues"] == peer["issues"] == REPOS * ISSUES


if __name__ == "__main__":
    main()
