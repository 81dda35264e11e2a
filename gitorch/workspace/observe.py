"""The hook's drift check: `quick_drift(repo_root)` (the full observation is drift.py).

Standard library only and no git process: it reads the machine-local copy of the last
applied desired state (written by `ws apply`), each repo's HEAD file and marker files, and
hashes the linked manifests. Drift kinds are the seed's: file_modified, repo_deleted,
branch_changed, conflict, link_broken.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from gitorch.workspace.gitdir import common_dir, git_dir, head_of, in_progress

TYPE_CHECKING = False  # `import typing` would cost the hook a few milliseconds
if TYPE_CHECKING:
    from typing import Any

MAX_LINES = 3


def quick_drift(repo_root: Path) -> list[str]:
    """At most a few human lines naming drift ([] without workspace.toml or an applied state)."""
    if not (repo_root / "workspace.toml").is_file():
        return []
    gitdir = git_dir(repo_root)
    if gitdir is None:
        return []
    try:
        data: dict[str, Any] = json.loads(
            (common_dir(gitdir) / "orch" / "workspace" / "desired.json").read_bytes())
    except (OSError, ValueError):
        return []
    repos: dict[str, str] = data.get("repos", {})
    lines: list[str] = []
    for name, path in sorted(repos.items()):
        repo_git = git_dir(Path(path))
        if repo_git is None:
            lines.append(f"workspace: repo {name} is gone from {path} (repo_deleted)")
            continue
        want = data.get("heads", {}).get(name)
        have = head_of(repo_git)
        if want and have != want:
            lines.append(f"workspace: {name} is on {have}, the workspace has {want} (branch_changed)")
        kind = in_progress(repo_git)
        if kind:
            lines.append(f"workspace: {name} has a {kind} in progress (conflict)")
    for link in data.get("links", []):
        base = repos.get(link["repo"])
        if base is None:
            continue
        provider = repos.get(link["provider"])
        if provider is not None and not Path(provider).is_dir():
            lines.append(f"workspace: link {link['key']} is broken: {provider} is gone (link_broken)")
            continue
        try:
            digest = hashlib.sha256((Path(base) / link["file"]).read_bytes()).hexdigest()
        except OSError:
            digest = ""
        if digest != link["sha256"]:
            lines.append(f"workspace: {link['repo']}/{link['file']} changed since the workspace "
                         f"was applied (file_modified)")
    if len(lines) > MAX_LINES:
        more = len(lines) - MAX_LINES + 1
        lines = lines[:MAX_LINES - 1] + [f"workspace: … {more} more; run `git orch ws observe`"]
    return lines
