"""Cross-repo includes: `include: [{repo: ../shared, path: common.yaml, ref: main}]`.

`repo` is a path to a checkout (relative to the including file) or a URL (https, ssh, file);
`ref` (default HEAD) is resolved to a commit when the plan is loaded, and the file at that
commit is copied into the user cache under the commit (`<cache>/gitorch/includes/<sha>/…`),
so what a plan included is pinned and a change upstream changes the plan (and its digest)
as a local edit would. A URL is fetched into a bare cache repository first.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from gitorch.plan.spec import RepoInclude


class IncludeFailed(Exception):
    """Why a repo include cannot be read (the loader locates it at the include)."""


def cache_root() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("gitorch")) / "includes"


def _is_url(repo: str) -> bool:
    return "://" in repo or (repo.count(":") == 1 and "@" in repo.split(":")[0])


def _check(spec: RepoInclude) -> None:
    parts = PurePosixPath(spec.path).parts
    if not spec.path or spec.path.startswith("/") or ".." in parts or "\0" in spec.path:
        raise IncludeFailed(f"path {spec.path!r} must be a file inside that repository")
    if not spec.ref or spec.ref.startswith("-") or any(c in spec.ref for c in "\0 \n"):
        raise IncludeFailed(f"ref {spec.ref!r} is not a branch, tag or commit")
    if spec.repo.startswith("-") or "\0" in spec.repo:
        raise IncludeFailed(f"repo {spec.repo!r} is not a path or URL")


def _git(args: list[str], cwd: Path) -> str:
    from gitorch.gitcmd import git

    proc = git(args, cwd, check=False)
    if proc.returncode != 0:
        said = proc.stderr.decode(errors="replace").strip().splitlines()
        raise IncludeFailed(said[-1] if said else f"git {args[0]} failed")
    return proc.stdout.decode(errors="replace")


def _source(spec: RepoInclude, here: Path) -> tuple[Path, str]:
    """(a git directory holding the commit, the commit) for the include."""
    import hashlib  # (OpenSSL's, loaded when a digest is made)

    if _is_url(spec.repo):
        mirror = cache_root().parent / "include-repos" / (
            hashlib.sha256(spec.repo.encode()).hexdigest()[:20] + ".git")
        if not mirror.is_dir():
            mirror.mkdir(parents=True)
            _git(["init", "-q", "--bare"], mirror)
        _git(["fetch", "-q", "--no-tags", spec.repo, spec.ref], mirror)
        return mirror, _git(["rev-parse", "FETCH_HEAD^{commit}"], mirror).strip()
    checkout = (here / spec.repo).resolve()
    if not checkout.is_dir():
        raise IncludeFailed(f"repo {spec.repo!r}: no such checkout ({checkout})")
    return checkout, _git(["rev-parse", "--verify", f"{spec.ref}^{{commit}}"], checkout).strip()


def fetch(spec: RepoInclude, here: Path) -> tuple[Path, str]:
    """The included file pinned in the user cache, and how to name it in messages
    (`<repo>@<commit12>:<path>`); IncludeFailed with the reason otherwise."""
    _check(spec)
    where, commit = _source(spec, here)
    cached = cache_root() / commit / spec.path
    if not cached.is_file():
        data = _git(["show", f"{commit}:{spec.path}"], where)
        cached.parent.mkdir(parents=True, exist_ok=True)
        from gitorch.atomic import write_text

        write_text(cached, data)
    return cached, f"{spec.repo}@{commit[:12]}:{spec.path}"


def include_repo(loader: Any, doc: Any, spec: RepoInclude, site: tuple[str | int, ...],
                 stack: list[Path]) -> None:
    """The plan loader's step for a repo include: read the pinned file as one more document
    (named `<repo>@<commit>:<path>` in every message), or a located issue at the include."""
    from gitorch.errors import PlanError
    from gitorch.plan.source import read_document
    from gitorch.plan.validate import PlanIssue

    try:
        target, shown = fetch(spec, doc.file.parent)
        sub = read_document(target, shown)
    except IncludeFailed as exc:
        loader.issues.append((doc, PlanIssue(site, f"include from {spec.repo!r}: {exc}")))
        return
    except PlanError as exc:
        loader.errors += exc.problems
        return
    # The ref is resolved again on every load: the plan cache must not keep an old commit's tasks.
    loader.extra_files.append((str(target), "re-resolved on every load"))
    real = target.resolve()
    if real not in stack and real not in loader.seen:
        loader._visit(sub, [*stack, real])
