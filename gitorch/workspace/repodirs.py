"""The git repositories directly under a folder: the repos of a workspace without a manifest
(`ws snapshot --root DIR`, manifest.discover).

Standard library only, no pathlib and no `re`: workspace/prestart lists them and starts their
git processes before the interpreter has loaded anything else (`re` with enum and functools
is ~25 M instructions, which git's start would otherwise wait for).
"""

from __future__ import annotations

import os

# A workspace repo's name (manifest.py checks it too): what the regular expression
# ^[A-Za-z0-9][A-Za-z0-9._-]*$ matches, read with str methods (tests/workspace/test_repodirs.py
# holds them equal). Like `$`, one newline at the very end is let through.
_PUNCTUATION = str.maketrans("", "", "._-")


def valid_name(name: str) -> bool:
    """Whether `name` is a valid workspace repo name: an ASCII letter or digit, then letters,
    digits, '.', '_' and '-'."""
    body = name[:-1] if name.endswith("\n") else name
    return body.isascii() and body[:1].isalnum() and body.translate(_PUNCTUATION).isalnum()


def repo_dirs(root: str) -> list[tuple[str, str]]:
    """(name, folder) of every git repository directly under `root`, by folder name.

    A folder name that is not a valid repo name (`my repo`) is named with `-` for each run of
    other characters; a symlink to a repository already listed is left out (one checkout,
    one repo)."""
    # scandir: whether an entry is a folder or a symlink comes with the listing (d_type), so a
    # folder costs one stat, for its .git (os.path.isdir and islink were two more each)
    with os.scandir(root) as entries:
        dirs = sorted((e.name, e.is_symlink()) for e in entries if e.is_dir())  # is_dir follows links
    children = [(c, link) for c, link in dirs if os.path.exists(os.path.join(root, c, ".git"))]
    real = ({os.path.realpath(os.path.join(root, c)) for c, link in children if not link}
            if any(link for _, link in children) else set())
    repos: list[tuple[str, str]] = []
    names: set[str] = set()
    for child, link in children:
        if link and os.path.realpath(os.path.join(root, child)) in real:
            continue
        name = child
        if not valid_name(name):
            import re  # only for a folder name that needs renaming

            name = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-._")
        if name and name not in names and valid_name(name):
            repos.append((name, child))
            names.add(name)
    return repos
