"""`git orch init --template PATH_OR_GIT_URL`: start a plan from a template.

A template is a plan file, a directory holding one, or a git repository holding one
(cloned shallowly; local paths and `file://` URLs work offline). `SOURCE#subdir` picks a
folder inside a repository (the seed's `workflow-templates/web-app`). The plan is written
as `orchestrator.yml` at the work tree root (the one file the user asked for), plus the
files its `include:` names; nothing existing is ever overwritten.
"""

from __future__ import annotations

import glob
import re
import shutil
import tempfile
import tomllib
from pathlib import Path

from gitorch.errors import UsageError
from gitorch.plan.load import PLAN_NAMES, find_plan_file
from gitorch.repo import Repo

TARGET = "orchestrator.yml"
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://|^[\w.-]+@[\w.-]+:")


def _split(source: str) -> tuple[str, str]:
    base, _, sub = source.partition("#")
    return base, sub.strip("/")


def _clone(url: str, into: Path) -> Path:
    from gitorch.gitcmd import git

    proc = git(["clone", "--quiet", "--depth", "1", "--", url, str(into)], None, check=False)
    if proc.returncode != 0:
        msg = proc.stderr.decode(errors="replace").strip().splitlines()
        raise UsageError(f"cannot clone template {url}: {msg[-1] if msg else 'git clone failed'}")
    return into


def _plan_in(directory: Path, source: str) -> Path:
    found = find_plan_file(directory)
    if found is not None:
        return found
    raise UsageError(f"template {source} holds no plan ({', '.join(PLAN_NAMES)})")


def _is_git_dir(path: Path) -> bool:
    return (path / ".git").exists() or ((path / "HEAD").is_file() and (path / "objects").is_dir())


def _plan_bytes(plan: Path) -> bytes:
    """The plan as YAML bytes (YAML and JSON as they are; TOML converted)."""
    data = plan.read_bytes()
    if plan.suffix != ".toml":
        return data
    import yaml

    try:
        doc = tomllib.loads(data.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"template plan {plan.name} does not parse: {exc}") from None
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True).encode()


def _includes(plan: Path, data: bytes) -> list[Path]:
    """Files the template plan includes (relative to its folder)."""
    import yaml

    try:
        doc = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise UsageError(f"template plan {plan.name} does not parse: {exc}") from None
    patterns = doc.get("include") if isinstance(doc, dict) else None
    if not isinstance(patterns, list):
        return []
    base = plan.parent.resolve()
    out: list[Path] = []
    for pattern in patterns:
        for match in sorted(glob.glob(str(plan.parent / str(pattern)))):
            path = Path(match)
            if path.is_file() and not path.is_symlink() and base in path.resolve().parents:
                out.append(path)
    return out


def apply_template(repo: Repo, source: str) -> Path:
    """Write the template's plan as `orchestrator.yml` in the work tree; returns its path.

    Refuses (UsageError, exit 2) when the repository already has a plan or an included
    file would be overwritten."""
    root = repo.require_worktree()
    for name in PLAN_NAMES:
        if (root / name).exists():
            raise UsageError(f"{root / name} already exists; a template would overwrite it",
                             hint="remove or rename it first")
    base, sub = _split(source)
    is_file_url = base.startswith("file://")
    local = Path(base[7:]) if is_file_url else Path(base).expanduser()
    with tempfile.TemporaryDirectory(prefix="orch-template-") as tmp:
        if local.is_file():
            if sub:
                raise UsageError(f"{base} is a file; `#{sub}` needs a directory or repository")
            plan = local
        else:
            if local.is_dir():
                # A repository is cloned, so the template is what it committed.
                folder = (_clone(local.resolve().as_uri(), Path(tmp) / "t") if _is_git_dir(local)
                          else local)
            elif _URL.match(base) and not is_file_url:
                folder = _clone(base, Path(tmp) / "t")
            else:
                raise UsageError(f"template {source} not found (a plan file, a directory or a git URL)")
            folder = folder / sub if sub else folder
            if not folder.is_dir():
                raise UsageError(f"template {source}: no folder {sub!r} in it")
            plan = _plan_in(folder, source)
        data = _plan_bytes(plan)
        extra = _includes(plan, data)
        targets = [(p, root / p.resolve().relative_to(plan.parent.resolve())) for p in extra]
        clash = [str(t.relative_to(root)) for _s, t in targets if t.exists()]
        if clash:
            raise UsageError("the template would overwrite " + ", ".join(clash),
                             hint="remove or rename them first")
        for src, dst in targets:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
        target = root / TARGET
        with open(target, "xb") as fh:  # "x": never overwrite, even in a race
            fh.write(data)
    return target
