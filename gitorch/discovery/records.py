"""Where discovery keeps its records on the state branch.

  discovery/intents/<id>.json           every intent (ids are time-ordered)
  discovery/forge/<owner>/<name>.json   one repo's issues and PRs (ForgeState)
  discovery/index/<index>/<name>.json   one package's releases (PackageState)
  discovery/graph.json                  the opportunity graph of the last discovery

Records are msgspec JSON with a schema version; readers ignore unknown fields and refuse a
newer schema rather than misread it. Secrets never reach these files (the token is only
ever an HTTP header).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from gitorch.discovery.model import DISCOVERY_SCHEMA, ForgeState, PackageState
from gitorch.errors import StateConflict
from gitorch.store import layout

if TYPE_CHECKING:  # imported where read: `ws snapshot` needs only the forge and index records
    from gitorch.discovery.graph import Graph
    from gitorch.discovery.intent import Intent
    from gitorch.repo import Repo

ROOT = layout.DISCOVERY
T = TypeVar("T")
_enc = msgspec.json.Encoder(order="deterministic")


def encode(obj: Any) -> bytes:
    return _enc.encode(obj) + b"\n"


def decode(data: bytes, kind: type[T], path: str) -> T:
    raw = msgspec.json.decode(data)
    version = raw.get("schema_version", 1) if isinstance(raw, dict) else 1
    if isinstance(version, int) and version > DISCOVERY_SCHEMA:
        raise StateConflict(f"{path} has schema version {version}; this gitorch reads up to "
                            f"{DISCOVERY_SCHEMA}", hint="upgrade gitorch")
    try:
        return msgspec.convert(raw, kind)
    except msgspec.ValidationError as exc:
        raise StateConflict(f"{path} on the state branch is unreadable: {exc}") from None


forge_path = layout.discovery_forge_path
index_path = layout.discovery_index_path
intent_path = layout.discovery_intent_path


GRAPH_PATH = layout.DISCOVERY_GRAPH


def store(repo: Repo | None, *, prefer_cli: bool = False) -> Any:
    """The state store for reading records without a Context (`ws snapshot`); `prefer_cli`:
    "auto" means the git CLI backend (a few reads do not pay for pygit2's import)."""
    from gitorch.config import open_store
    from gitorch.store.select import preferring_cli

    if prefer_cli:
        with preferring_cli():
            return open_store(repo)
    return open_store(repo)


def _json_names(st: Any, path: str) -> list[str]:
    return sorted(n for n in st.list(path) if n.endswith(".json"))


def _two_level(st: Any, folder: str, kind: type[T]) -> list[T]:
    """Every `<folder>/<group>/<name>.json` record, decoded as `kind`, in path order."""
    out: list[T] = []
    for group in sorted(st.list(folder)):
        for name in _json_names(st, f"{folder}/{group}"):
            path = f"{folder}/{group}/{name}"
            data = st.read(path)
            if data:
                out.append(decode(data, kind, path))
    return out


def forge_states(st: Any) -> list[ForgeState]:
    """Every repo discovered so far."""
    return _two_level(st, layout.DISCOVERY_FORGE, ForgeState)


def package_states(st: Any) -> list[PackageState]:
    """Every package whose releases discovery read."""
    return _two_level(st, layout.DISCOVERY_INDEX, PackageState)


def latest_intent(st: Any) -> Intent | None:
    from gitorch.discovery.intent import Intent

    names = _json_names(st, layout.DISCOVERY_INTENTS)
    if not names:
        return None
    path = f"{layout.DISCOVERY_INTENTS}/{names[-1]}"
    data = st.read(path)
    return decode(data, Intent, path) if data else None


def graph(st: Any) -> Graph | None:
    from gitorch.discovery.graph import Graph

    data = st.read(GRAPH_PATH)
    return decode(data, Graph, GRAPH_PATH) if data else None


def enrichment(st: Any) -> dict[str, Any]:
    """The seed's enriched-snapshot parts from what discovery stored: `github` (issues and
    PRs of every discovered repo, when a repo was discovered) and one part per package index
    (`pypi`, `npm`, `crates`, `hex`), each `{"packages": [...]}`; `ws snapshot` attaches them."""
    if not st.exists() or not st.list(ROOT):
        return {}  # nothing discovered: no parts (not empty ones)
    states = forge_states(st)
    out: dict[str, Any] = {}
    if states:
        out["github"] = {"issues": [msgspec.to_builtins(i) for s in states for i in s.issues],
                         "prs": [msgspec.to_builtins(p) for s in states for p in s.prs]}
    for pkg in package_states(st):
        out.setdefault(pkg.ecosystem, {"packages": []})["packages"].append(msgspec.to_builtins(pkg))
    return out
