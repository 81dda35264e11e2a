"""The git repositories directly under a folder: the repos of a workspace without a manifest
(`ws snapshot --root DIR`, manifest.discover).

Standard library only, no pathlib: workspace/prestart lists them and starts their git
processes before the interpreter has loaded anything else.
"""

from __future__ import annotations

import os
import re

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # a workspace repo's name (manifest.py checks it too)


def repo_dirs(root: str) -> list[tuple[str, str]]:
    """(name, folder) of every git repository directly under `root`, by folder name.

    A folder name that is not a valid repo name (`my repo`) is named with `-` for each run of
    other characters; a symlink to a repository already listed is left out (one checkout,
    one repo)."""
    children = [c for c in sorted(os.listdir(root))
                if os.path.isdir(os.path.join(root, c)) and os.path.exists(os.path.join(root, c, ".git"))]
    links = {c for c in children if os.path.islink(os.path.join(root, c))}
    real = {os.path.realpath(os.path.join(root, c)) for c in children if c not in links} if links else set()
    repos: list[tuple[str, str]] = []
    for child in children:
        if child in links and os.path.realpath(os.path.join(root, child)) in real:
            continue
        name = child
        if not NAME.match(name):
            name = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-._")
        if name and NAME.match(name) and all(known != name for known, _ in repos):
            repos.append((name, child))
    return repos
