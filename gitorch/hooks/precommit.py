"""The pre-commit guard: refuse a commit whose staged manifests carry an active workspace link.

`ws apply` links Python and Node (and Mix) by editing a tracked manifest; committing that edit
would publish a path on this machine (`file:../lib`, `lib @ file:///home/…`). The installed
hook calls `main()`: it reads the staged bytes of the top-level manifests this commit changes
(one `git cat-file --batch` of `HEAD:name` and `:name`, so the index git is committing, also
`git commit PATH`'s temporary one), asks `gitorch.workspace.linkguard.active_links`, and exits 1
naming each file and line. `GITORCH_ALLOW_LINKS=1` lets it through. Standard library only; it
never runs a plan's commands.
"""

from __future__ import annotations

import os
import sys

# linkguard.MANIFESTS (a test keeps them equal): importing linkguard costs ~50 ms (json, tomllib,
# re, dataclasses), so it is imported only when the commit changes one of these files.
MANIFESTS = ("pyproject.toml", "package.json", "Cargo.toml", "go.mod", "mix.exs",
             ".cargo/config.toml", "go.work")
# What locates the repository and the index being committed: passed on to our one git call.
_COMMIT_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR")


def main() -> int:
    """The hook's exit status: 0 lets the commit go on, 1 refuses it (after saying why)."""
    try:
        lines = check(os.getcwd())
    except Exception as exc:  # a broken guard tells, and does not hold the user's work hostage
        sys.stderr.write(f"orch: the pre-commit link check could not run ({type(exc).__name__}: "
                         f"{str(exc)[:160]})\n")
        return 0
    for line in lines:
        sys.stderr.write(line + "\n")
    sys.stderr.flush()
    return 1 if lines else 0


def check(root: str) -> list[str]:
    """The refusal's lines for the work tree at `root`; empty when the commit may go on."""
    staged = staged_changes(root, MANIFESTS)
    if not staged:
        return []
    from pathlib import Path

    from gitorch.workspace.linkguard import active_links, allowed

    if allowed():
        return []
    links = active_links(Path(root), read=staged.get)
    if not links:
        return []
    from gitorch.invocation import name

    prog = name()
    lines = ["orch: this commit would publish an active workspace link (a path on this machine):"]
    lines += [f"orch:   {link.describe()}" for link in links]
    lines.append(f"orch: run `{prog} ws teardown` first (it restores the manifests), or commit "
                 "with GITORCH_ALLOW_LINKS=1 to keep them")
    return lines


def staged_changes(root: str, names: tuple[str, ...]) -> dict[str, bytes]:
    """name -> staged bytes, for each of `names` whose index entry differs from HEAD's."""
    from gitorch.gitcmd import git_quick

    request = "".join(f"HEAD:{n}\n:{n}\n" for n in names).encode()
    env = {k: os.environ[k] for k in _COMMIT_VARS if os.environ.get(k)}
    status, out = git_quick(["cat-file", "--batch"], root, input=request, env=env)
    if status != 0:
        raise OSError(f"git cat-file exited {status}")
    entries = _parse_batch(out, 2 * len(names))
    changed: dict[str, bytes] = {}
    for i, name in enumerate(names):
        head, index = entries[2 * i], entries[2 * i + 1]
        if index is not None and (head is None or head[0] != index[0]):
            changed[name] = index[1]
    return changed


def _parse_batch(out: bytes, count: int) -> list[tuple[bytes, bytes] | None]:
    """(object id, content) per request of `git cat-file --batch`, None for a missing one."""
    entries: list[tuple[bytes, bytes] | None] = []
    at = 0
    for _ in range(count):
        end = out.index(b"\n", at)
        header = out[at:end].split()
        at = end + 1
        if len(header) != 3 or header[-1] == b"missing":
            entries.append(None)
            continue
        size = int(header[2])
        entries.append((header[0], out[at:at + size]) if header[1] == b"blob" else None)
        at += size + 1
    return entries
