"""What the local workspace says about repos: capabilities, forge names, readiness.

The workspace snapshot (gitorch.workspace.snapshot.take) gives each repo's languages and
capabilities (frameworks found in its manifests), its url, links and diagnostics. Discovery
maps those repos to forge names (`owner/name`, from the url or the `origin` remote) so an
opportunity on the forge can say whether its repo is cloned, linked and resolved here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitorch.discovery.scoring import Readiness
from gitorch.repo import Repo

_FORGE_URL_RE = re.compile(r"[:/]([A-Za-z0-9][\w.-]*)/([\w.-]+?)(?:\.git)?/?$")
# pyproject -> PyPI, package.json -> npm, Cargo.toml -> crates.io, mix.exs -> Hex
INDEX_OF = {"python": "pypi", "npm": "npm", "cargo": "crates", "mix": "hex"}


def forge_name(url: str | None) -> str | None:
    """`owner/name` from a clone URL (https, ssh or scp-like), or None."""
    if not url:
        return None
    m = _FORGE_URL_RE.search(url.strip())
    return f"{m.group(1)}/{m.group(2)}" if m else None


def declared_capabilities(path: Path) -> list[str]:
    """What a repo says about itself in its package manifests: pyproject `keywords`,
    package.json `keywords`, Cargo.toml `keywords` and `categories` (lower-cased)."""
    import json
    import tomllib

    found: list[str] = []
    try:
        py = tomllib.loads((path / "pyproject.toml").read_text())
        found += py.get("project", {}).get("keywords", []) or []
    except (OSError, ValueError, AttributeError):
        pass
    try:
        pkg = json.loads((path / "package.json").read_text())
        found += pkg.get("keywords", []) or [] if isinstance(pkg, dict) else []
    except (OSError, ValueError, AttributeError):
        pass
    try:
        cargo = tomllib.loads((path / "Cargo.toml").read_text()).get("package", {})
        found += (cargo.get("keywords", []) or []) + (cargo.get("categories", []) or [])
    except (OSError, ValueError, AttributeError):
        pass
    return sorted({str(k).strip().lower() for k in found if isinstance(k, str) and k.strip()})


@dataclass
class LocalView:
    """The workspace as discovery sees it (empty when there is no workspace)."""

    snapshot: Any | None = None  # gitorch.workspace.model.Snapshot
    forge_of: dict[str, str] = field(default_factory=dict)  # workspace repo name -> owner/name
    declared: dict[str, list[str]] = field(default_factory=dict)  # workspace repo name -> keywords
    packages: list[tuple[str, str]] = field(default_factory=list)  # (index, package name)
    tests_passing: dict[str, bool] = field(default_factory=dict)  # owner/name -> last run passed

    @property
    def local_of(self) -> dict[str, str]:
        return {v: k for k, v in self.forge_of.items()}

    def repo_info(self, forge: str) -> Any | None:
        name = self.local_of.get(forge)
        return self.snapshot.repo(name) if self.snapshot is not None and name else None

    def capabilities(self) -> dict[str, list[str]]:
        """Target name (owner/name when known, else the workspace name) -> capabilities."""
        out: dict[str, list[str]] = {}
        for info in self.snapshot.repos if self.snapshot is not None else []:
            caps = set(info.capabilities) | set(info.languages) | set(self.declared.get(info.name, []))
            out[self.forge_of.get(info.name, info.name)] = sorted(caps)
        return out

    def skills(self) -> dict[str, list[str]]:
        """Target -> languages and frameworks (what working on it requires; not keywords)."""
        return {self.forge_of.get(i.name, i.name): sorted(set(i.capabilities) | set(i.languages))
                for i in (self.snapshot.repos if self.snapshot is not None else [])}

    def languages(self) -> dict[str, list[str]]:
        return {self.forge_of.get(i.name, i.name): list(i.languages)
                for i in (self.snapshot.repos if self.snapshot is not None else [])}

    def readiness(self, forge: str) -> Readiness:
        """The seed's workspace_readiness of a forge repo in this workspace."""
        snap = self.snapshot
        info = self.repo_info(forge)
        if snap is None or info is None or not info.exists:
            return Readiness()
        name = info.name
        providers = snap.topology.providers.get(name, [])
        linked = {lk.provider for lk in snap.links if lk.repo == name}
        errors = [d for d in snap.diagnostics if d.repo in (name, *providers) and d.severity == "error"]
        return Readiness(
            repo_cloned=True,
            repo_linked=all(p in linked for p in providers),
            deps_resolved=not errors and all(
                (r := snap.repo(p)) is not None and r.exists for p in providers),
            tests_passing=self.tests_passing.get(forge, False),
        )


def _origin(path: Path) -> str | None:
    from gitorch.gitcmd import git

    proc = git(["remote", "get-url", "origin"], path, check=False)
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def _last_run_passed(store: Any) -> bool:
    """Whether the latest run recorded in `store` completed (best effort)."""
    try:
        from gitorch.events import Completed

        if not store.exists():
            return False
        done = [e for e in store.events(types=["completed"]) if isinstance(e, Completed)]
        return bool(done) and done[-1].status == "completed"
    except Exception:  # readiness is advisory: no state, old state, any backend trouble
        return False


def workspace_root(repo: Repo) -> Path | None:
    """The folder of the workspace manifest: the repo's root or its parent."""
    if repo.root is None:
        return None
    for root in (repo.root, repo.root.parent):
        if (root / "workspace.toml").is_file():
            return root
    return None


def view(repo: Repo | None, store: Any = None) -> LocalView:
    """The workspace around `repo` (its manifest, or just `repo` itself); `store`, the state
    store of `repo`, says whether its latest run passed (unknown without it)."""
    if repo is None or repo.root is None:
        return LocalView()
    from gitorch.workspace.manifest import Manifest, RepoSpec
    from gitorch.workspace.snapshot import take

    root = workspace_root(repo)
    if root is not None:
        snap = take(root)
    else:
        me = RepoSpec(repo.root.name, repo.root.name)
        snap = take(Manifest(root=repo.root.parent, file=None, repos=(me,)))
    out = LocalView(snapshot=snap)
    for info in snap.repos:
        if info.exists:
            out.declared[info.name] = declared_capabilities(Path(info.path))
        url = info.url or (_origin(Path(info.path)) if info.exists else None)
        name = forge_name(url)
        if name:
            out.forge_of[info.name] = name
        for provided in info.provides:
            index = INDEX_OF.get(provided.ecosystem)
            if index and (index, provided.name) not in out.packages:
                out.packages.append((index, provided.name))
    mine = next((i.name for i in snap.repos if Path(i.path) == repo.root), None)
    if mine and mine in out.forge_of and store is not None:
        out.tests_passing[out.forge_of[mine]] = _last_run_passed(store)
    return out
