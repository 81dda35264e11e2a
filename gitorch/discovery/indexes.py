"""Package indexes: published versions and withdrawn releases, one reader per index.

  PyPI       GET {pypi_url}/pypi/{name}/json        releases{version: [files{yanked, yanked_reason}]}
  npm        GET {npm_url}/{name}                   versions{version: {deprecated}}, time, dist-tags
  crates.io  GET {crates_url}/api/v1/crates/{name}  crate.max_version, versions[{num, yanked}]
  Hex        GET {hex_url}/api/packages/{name}      releases[{version}], retirements{version: {…}}

"Withdrawn" is one flag, `Release.yanked`, whatever the index calls it: yanked (PyPI,
crates.io), deprecated (npm), retired (Hex); `reason` keeps the index's words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from gitorch.discovery.http import HttpClient, NotFound
from gitorch.discovery.model import PackageState, Release
from gitorch.errors import DiscoveryError, UsageError

ECOSYSTEMS = ("pypi", "npm", "crates", "hex")


def _pypi(name: str, data: dict[str, Any]) -> tuple[str, list[Release]]:
    releases: list[Release] = []
    for version, files in (data.get("releases") or {}).items():
        files = [f for f in files or [] if isinstance(f, dict)]
        yanked = bool(files) and all(f.get("yanked") for f in files)
        reason = next((str(f.get("yanked_reason") or "") for f in files if f.get("yanked")), "")
        times = sorted(str(f.get("upload_time_iso_8601") or f.get("upload_time") or "") for f in files)
        releases.append(Release(version=version, published_at=times[0] if times else "",
                                yanked=yanked, reason=reason if yanked else ""))
    latest = str((data.get("info") or {}).get("version") or "")
    return latest, releases


def _npm(name: str, data: dict[str, Any]) -> tuple[str, list[Release]]:
    times = data.get("time") or {}
    releases = []
    for version, manifest in (data.get("versions") or {}).items():
        deprecated = (manifest or {}).get("deprecated") if isinstance(manifest, dict) else None
        releases.append(Release(version=version, published_at=str(times.get(version) or ""),
                                yanked=bool(deprecated), reason=str(deprecated or "")))
    latest = str((data.get("dist-tags") or {}).get("latest") or "")
    return latest, releases


def _crates(name: str, data: dict[str, Any]) -> tuple[str, list[Release]]:
    releases = [
        Release(version=str(v.get("num")), published_at=str(v.get("created_at") or ""),
                yanked=bool(v.get("yanked")), reason=str(v.get("yank_message") or ""))
        for v in data.get("versions") or [] if isinstance(v, dict) and v.get("num")
    ]
    crate = data.get("crate") or {}
    latest = str(crate.get("max_stable_version") or crate.get("max_version")
                 or crate.get("newest_version") or "")
    return latest, releases


def _hex(name: str, data: dict[str, Any]) -> tuple[str, list[Release]]:
    retirements = data.get("retirements") or {}
    releases = []
    for rel in data.get("releases") or []:
        if not isinstance(rel, dict) or not rel.get("version"):
            continue
        version = str(rel["version"])
        retired = retirements.get(version)
        reason = ""
        if isinstance(retired, dict):
            reason = ": ".join(str(x) for x in (retired.get("reason"), retired.get("message")) if x)
        releases.append(Release(version=version, published_at=str(rel.get("inserted_at") or ""),
                                yanked=retired is not None, reason=reason))
    latest = str(data.get("latest_stable_version") or data.get("latest_version")
                 or (releases[0].version if releases else ""))
    return latest, releases


Reader = Callable[[str, dict[str, Any]], tuple[str, list[Release]]]
_READERS: dict[str, tuple[Callable[[str], str], Reader]] = {
    # PEP 503 name: PyPI redirects any other spelling (one more round trip, a second cache key)
    "pypi": (lambda n: f"pypi/{quote(re.sub(r'[-_.]+', '-', n).lower(), safe='')}/json", _pypi),
    "npm": (lambda n: quote(n, safe="@"), _npm),  # scoped names: @scope%2Fname
    "crates": (lambda n: f"api/v1/crates/{quote(n, safe='')}", _crates),
    "hex": (lambda n: f"api/packages/{quote(n, safe='')}", _hex),
}


def parse_package(spec: str) -> tuple[str, str]:
    """`ecosystem:name` (e.g. `pypi:requests`, `npm:@types/node`) as a pair."""
    eco, sep, name = spec.partition(":")
    if not sep or eco not in ECOSYSTEMS or not name:
        raise UsageError(f"{spec!r} is not a package", hint=f"use ECOSYSTEM:NAME with ECOSYSTEM one of "
                         f"{', '.join(ECOSYSTEMS)}, e.g. pypi:requests")
    return eco, name


def sync_package(client: HttpClient, ecosystem: str, name: str,
                 now: Callable[[], str] | None = None) -> PackageState:
    """Published versions and withdrawn releases of one package on one index."""
    path, reader = _READERS[ecosystem]
    try:
        data = client.get(path(name)).data
    except NotFound:
        raise NotFound(f"unknown package {name} on {ecosystem} ({client.base_url}, HTTP 404)") from None
    if not isinstance(data, dict):
        raise DiscoveryError(f"{ecosystem} answered a JSON {type(data).__name__} for package {name}")
    try:
        latest, releases = reader(name, data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DiscoveryError(f"{ecosystem} at {client.url(path(name))} answered package {name} in an "
                             f"unexpected shape ({type(exc).__name__}: {exc}); nothing was stored") from None
    from gitorch.events import now as ts

    return PackageState(ecosystem=ecosystem, name=name, fetched_at=(now or ts)(), latest=latest,
                        releases=releases)
