"""The body of `git orch ws snapshot`, free of typer.

ws_cmd's typer command declares the options and calls `snapshot`; the lean start-up path
calls the same function with the same arguments without importing typer, so both paths
share one body. What it imports is kept small: the snapshot is a hot command (benchmark P5).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from gitorch.context import Context
    from gitorch.repo import Repo
    from gitorch.workspace.records import Snapshot


def snapshot(ctx: Context, root: str | None = None, out: str | None = None) -> None:
    """Snapshot the workspace at `root` (default: workspace.toml in the current repository,
    else its parent folder), with what `git orch discover` stored here; write it to `out` too.
    The paths come as the command line gave them (text: a snapshot of a folder without a
    manifest, outside a repository, loads no pathlib, P5)."""
    from gitorch.workspace.capture import take_enriched, to_json  # git starts before the rest loads

    folder: Path | str
    if root is None:
        here = _repo(ctx).require_worktree()
        folder = here if (here / "workspace.toml").is_file() else here.parent
    else:
        folder = root  # made absolute and normalised by take_enriched (manifest.workspace_folder)
    snap = take_enriched(folder, _parts(ctx))
    data = to_json(snap) if out is not None or ctx.json else b""
    if out is not None:
        from pathlib import Path

        write_out(Path(out), data + b"\n")
    if ctx.json:
        import sys

        sys.stdout.write(data.decode() + "\n")  # as cli/output.emit_json writes a document
        sys.stdout.flush()
        return
    from gitorch.cli.output import say

    for line in _lines(snap):
        say(line)


def _repo(ctx: Context) -> Repo:
    """ctx.repo, found with find_repo's one git call started by posix_spawn (gitcmd.git_start),
    so the snapshot does not import `subprocess` for it; errors are find_repo's own."""
    from gitorch.workspace.gitdir import exists

    if "repo" not in ctx.__dict__ and ctx.given_repo is None and exists(ctx.cwd_text):  # Path.exists
        from gitorch.gitcmd import git_start
        from gitorch.repo import WHERE, repo_from

        ctx.__dict__["repo"] = repo_from(ctx.cwd, *git_start(WHERE, str(ctx.cwd))())
    return ctx.repo


def _parts(ctx: Context) -> Any:
    """What reads the discovery records (run in a thread beside the snapshot), or None where
    there can be none. When the repository is not known yet, git is asked where it is right
    away (find_repo's one git call, no `subprocess` import; its answer is the Context's repo),
    and the state store is opened only inside a repository."""
    if "repo" in ctx.__dict__ or ctx.given_repo is not None:
        return lambda: discovered(ctx)
    if not _maybe_in_repo(ctx.cwd_text):
        return None
    from gitorch.gitcmd import git_start
    from gitorch.repo import WHERE

    where = git_start(WHERE, ctx.cwd_text)

    def parts() -> dict[str, Any]:
        from gitorch.errors import NotARepoError
        from gitorch.repo import repo_from

        status, listed = where()
        try:
            ctx.__dict__["repo"] = repo_from(ctx.cwd, status, listed)  # ctx.repo, without asking again
        except NotARepoError:
            return {}
        return discovered(ctx)

    return parts


def _maybe_in_repo(cwd: str) -> bool:
    """False only where git finds no repository: neither `cwd` nor a folder above it holds a
    `.git` or is itself a git directory (HEAD, objects, refs: a bare repository). gitcmd drops
    GIT_DIR and GIT_WORK_TREE from git's environment, so they cannot name one either."""
    import os.path

    folder = os.path.join(os.getcwd(), cwd)  # as Path(cwd).absolute()
    while True:
        join = os.path.join
        if os.path.lexists(join(folder, ".git")) or (
                os.path.isfile(join(folder, "HEAD")) and os.path.isdir(join(folder, "objects"))
                and os.path.isdir(join(folder, "refs"))):
            return True
        parent = os.path.dirname(folder)
        if parent == folder:
            return False
        folder = parent


def discovered(ctx: Context) -> dict[str, Any]:
    """What `git orch discover` stored in the repository here, for the snapshot's enriched parts (no network).

    Read with the git CLI backend: it answers as fast as pygit2 for a few reads and spares
    the snapshot pygit2's import. A record that cannot be read leaves the parts out. Where
    the repository's ref files show no branch the records could be on, nothing is read (no
    settings, no git process, no msgspec)."""
    from gitorch.errors import NotARepoError, OrchError

    try:
        if not may_hold_discovery(ctx.repo.common_dir):
            return {}
        from gitorch.discovery.records import enrichment, store

        st = store(ctx.repo, prefer_cli=True)  # store/select: "auto" is the git CLI here
        try:
            return enrichment(st)
        finally:
            st.close()
    except NotARepoError:
        return {}
    except OrchError as exc:
        from gitorch.cli.output import warn

        warn(f"git orch: discovery records not attached: {exc}")
        return {}


DISCOVERY = "discovery"  # store/layout.DISCOVERY (that module loads msgspec; a test keeps them equal)


def may_hold_discovery(common: Path) -> bool:
    """False only when no local branch of the repository (git common dir `common`) can be its
    state branch with discovery records: every branch is checked out in one of its work
    trees (the state branch is an orphan branch gitorch writes without checking it out) and
    none of those work trees holds `discovery/`. Read from the ref files alone; a ref store
    this does not read (reftable) or a ref file it cannot read says "maybe"."""
    import os

    if os.path.exists(common / "reftable"):
        return True
    branches: set[str] = set()
    heads = str(common / "refs" / "heads")
    for folder, _dirs, files in os.walk(heads):
        branches.update(os.path.relpath(os.path.join(folder, f), heads).replace(os.sep, "/") for f in files)
    try:
        packed = (common / "packed-refs").read_text(encoding="utf-8")
    except FileNotFoundError:
        packed = ""
    except (OSError, UnicodeDecodeError):
        return True
    for line in packed.splitlines():
        _oid, _, name = line.partition(" ")
        if name.startswith("refs/heads/"):
            branches.add(name[len("refs/heads/"):])
    for head, worktree in _worktree_heads(str(common)):
        if head is None:
            return True
        if worktree is not None and os.path.isdir(worktree) and not os.path.lexists(
                os.path.join(worktree, DISCOVERY)):
            branches.discard(head)
    return bool(branches)


def _worktree_heads(common: str) -> list[tuple[str | None, str | None]]:
    """(the branch checked out, '' when detached, None when unreadable; its work tree, None
    when not known) of the main work tree and every linked one. The main work tree is known
    only as the folder holding `common` when that is named `.git` (not for a bare repository,
    a submodule, whose branches are then kept as possible state branches)."""
    import os

    def read(path: str) -> str | None:
        try:
            with open(path, encoding="utf-8") as f:
                return f.read().strip()
        except (OSError, UnicodeDecodeError):
            return None

    def head_of(gitdir: str) -> str | None:
        text = read(os.path.join(gitdir, "HEAD"))
        if text is None:
            return None
        return text[len("ref: refs/heads/"):] if text.startswith("ref: refs/heads/") else ""

    main = os.path.dirname(common) if os.path.basename(common) == ".git" else None
    out = [(head_of(common), main)]
    linked = os.path.join(common, "worktrees")
    for name in sorted(os.listdir(linked)) if os.path.isdir(linked) else ():
        gitdir = read(os.path.join(linked, name, "gitdir"))  # <work tree>/.git
        out.append((head_of(os.path.join(linked, name)), os.path.dirname(gitdir) if gitdir else None))
    return out


def write_out(path: Path, data: bytes) -> None:
    """Write `--out`; a path that cannot be written is bad input naming it, not a crash."""
    from gitorch.errors import Location, WorkspaceError

    try:
        path.write_bytes(data)
    except OSError as exc:
        raise WorkspaceError(f"cannot write --out: {exc.strerror}", where=Location(file=str(path))) from None


def _lines(snap: Snapshot) -> list[str]:
    lines = [f"snapshot {snap.id} of {snap.root}: {len(snap.repos)} repo(s), {len(snap.links)} link(s)"]
    for info in snap.repos:
        g = snap.git_of(info.name)
        head = (g.branch or (g.sha or "")[:12]) if g else ""
        flags = "" if info.exists else " MISSING"
        if g and g.dirty:
            flags += " dirty"
        lines.append(f"  {info.name:<16} {head:<16} {','.join(info.languages) or '-'}{flags}")
    for lk in snap.links:
        lines.append(f"  link {lk.key} ({lk.ecosystem} {lk.dep} -> {lk.path})")
    if snap.topology.order:
        lines.append("  order: " + " ".join(snap.topology.order))
    for d in snap.diagnostics:
        lines.append(f"  {d.severity}: {d.repo or '-'}: {d.kind}: {d.message}")
    if snap.github is not None:
        lines.append(f"  discovered: {len(snap.github['issues'])} open issue(s), "
                     f"{len(snap.github['prs'])} open PR(s)")
    for index in ("pypi", "npm", "crates", "hex"):
        part = getattr(snap, index)
        if part is not None:
            lines.append(f"  {index}: " + ", ".join(f"{p['name']} {p.get('latest') or '?'}"
                                                   for p in part["packages"]))
    return lines
