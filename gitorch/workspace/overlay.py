"""Uncommitted overlays: links that leave the tracked manifests alone.

Go and Cargo read a second, uncommitted file beside the manifest: `go.work` (`use .` and a
`replace`) and `.cargo/config.toml` (`[patch.crates-io]`). A link in those ecosystems is
written there, so no tracked file changes. When the link creates the overlay, it also adds
the overlay to `.git/info/exclude` (never .gitignore, which is tracked) between marker
lines that say how to take it out again, so teardown returns the exclude file byte for byte.
"""

from __future__ import annotations

import re

from gitorch.workspace.deps import ManifestSyntaxError, normalise, parse_go_mod
from gitorch.workspace.records import Dependency, Diagnostic, FileState, sha256

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

OVERLAYS = {"go": "go.work", "cargo": ".cargo/config.toml"}
DECLARING = {"go": "go.mod", "cargo": "Cargo.toml"}  # where the consumer must declare the dep

# One marker per way the exclude file was before the link: absent, ending without a newline,
# or ending with one. Removing the block (and what the marker says was added) restores it.
_MARK = "# gitorch: ws link overlay, removed by `git orch ws teardown`"
_MARK_NEW = _MARK + " (file created)"
_MARK_NL = _MARK + " (newline added)"


def _go_version(go_mod: str) -> str:
    m = re.search(r"^\s*go\s+(\d+\.\d+(?:\.\d+)?)\s*$", go_mod, re.M)
    return m.group(1) if m else "1.18"


def new_go_work(go_mod: str) -> str:
    """A go.work using the consumer module alone (its `go` version: go refuses a lower one)."""
    return f"go {_go_version(go_mod)}\n\nuse .\n"


def parse_go_work(repo: str, text: str, consumer: Path | None = None) -> list[Dependency]:
    """The local replacements of a go.work, and the modules it `use`s besides the consumer."""
    _, found = parse_go_mod(repo, "module _\n" + text)
    deps = [Dependency(repo=repo, ecosystem="go", name=d.name, raw=d.raw, source=d.source,
                       path=d.path, file="go.work", section="replace")
            for d in found if d.section == "replace"]
    body = re.sub(r"//[^\n]*", "", text)
    dirs = [m.group(1) for m in re.finditer(r"^\s*use\s+([^\s(]+)\s*$", body, re.M)]
    for block in re.finditer(r"^\s*use\s*\(\s*\n(.*?)^\s*\)", body, re.M | re.S):
        dirs += [ln.strip().strip('"') for ln in block.group(1).splitlines() if ln.strip()]
    for d in dirs:
        if consumer is None or d in (".", "./"):
            continue
        try:
            module, _ = parse_go_mod(repo, (consumer / d / "go.mod").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ManifestSyntaxError):
            continue
        if module:
            deps.append(Dependency(repo=repo, ecosystem="go", name=module, raw=f"use {d}",
                                   source="path", path=d, file="go.work", section="use"))
    return deps


def parse_cargo_config(repo: str, text: str) -> list[Dependency]:
    """The path patches of a `.cargo/config.toml`."""
    import tomllib  # here: a snapshot without Cargo files reads no TOML

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestSyntaxError(str(exc)) from None
    deps: list[Dependency] = []
    for registry, entries in sorted((data.get("patch") or {}).items()):
        for key, spec in (entries or {}).items() if isinstance(entries, dict) else ():
            if isinstance(spec, dict) and isinstance(spec.get("path"), str):
                deps.append(Dependency(repo=repo, ecosystem="cargo", name=str(spec.get("package", key)),
                                       raw=f"path = {spec['path']!r}", source="path", path=spec["path"],
                                       file=OVERLAYS["cargo"], section=f"patch.{registry}"))
    return deps


def read_overlays(repo: str, path: Path, names: set[str] | None = None,
                  ) -> tuple[list[Dependency], list[FileState], list[Diagnostic]]:
    """What the overlays present in a checkout declare, and their hashes. `names`: the names
    at the top of the checkout (deps.listed), when known."""
    deps: list[Dependency] = []
    files: list[FileState] = []
    diags: list[Diagnostic] = []
    for eco, file in sorted(OVERLAYS.items()):
        if names is not None and file.split("/")[0].lower() not in names:
            continue
        try:
            data = (path / file).read_bytes()
        except OSError:
            continue
        files.append(FileState(repo=repo, file=file, sha256=sha256(data)))
        try:
            text = data.decode("utf-8")
            deps += parse_go_work(repo, text, path) if eco == "go" else parse_cargo_config(repo, text)
        except (UnicodeDecodeError, ManifestSyntaxError) as exc:
            diags.append(Diagnostic(severity="error", repo=repo, kind="unparsable_manifest",
                                    message=f"{file}: {exc}"))
    return deps, files, diags


def edit_overlay(ecosystem: str, text: str | None, dep: str, consumer_dir: Path, provider_dir: Path,
                 where: Path) -> tuple[str, str]:
    """(new overlay text, path as written): go.work's `replace`, or `[patch.crates-io]` in
    .cargo/config.toml; the dependency must be declared in the tracked manifest."""
    from gitorch.workspace.textedit import (  # here: a snapshot reads overlays, never edits them
        PATCH,
        cargo_declared,
        fail,
        go_replace,
        go_requires,
        newline,
        relpath,
        set_entry,
    )

    declaring = consumer_dir / DECLARING[ecosystem]
    try:
        manifest = declaring.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(declaring, f"cannot read it: {exc}") from None
    rel = relpath(provider_dir, consumer_dir)
    if ecosystem == "go":
        rel = rel if rel.startswith(("./", "../")) else "./" + rel
        go_requires(manifest, dep, declaring)
        new = go_replace(new_go_work(manifest) if text is None else text, dep, rel)
        parse: Callable[[str, str], list[Dependency]] = parse_go_work
    else:
        cargo_declared(manifest, dep, declaring)
        entry = f'{dep} = {{ path = "{rel}" }}'
        new = (f"[patch.crates-io]\n{entry}\n" if not text else
               set_entry(text, PATCH.search(text), dep, entry, "cargo", "patch.crates-io", newline(text)))
        parse = parse_cargo_config
    try:
        found = parse("check", new)
    except ManifestSyntaxError as exc:
        raise fail(where, f"edit would not parse ({exc}); left unchanged") from None
    if not any(d.path == rel and normalise(ecosystem, d.name) == normalise(ecosystem, dep) for d in found):
        raise fail(where, f"cannot link {dep!r}: the edited overlay would not point at {rel}")
    return new, rel


# --- .git/info/exclude ---------------------------------------------------------------------

def exclude_file(repo_dir: Path) -> Path | None:
    """The repository's `info/exclude` (in the common git dir, for a linked worktree too)."""
    from gitorch.workspace.gitdir import common_dir, git_dir

    gd = git_dir(repo_dir)
    return None if gd is None else common_dir(gd) / "info" / "exclude"


def is_ignored(repo_dir: Path, file: str) -> bool:
    """git already ignores `file` (a .gitignore or an exclude line of the user's)."""
    from gitorch.gitcmd import git

    return git(["check-ignore", "-q", "--", file], repo_dir, check=False).returncode == 0


def add_exclude(old: bytes | None, file: str) -> bytes:
    """The exclude file with `/file` added under a marker saying how it was before."""
    pattern = f"/{file}\n".encode()
    if old is None:
        return f"{_MARK_NEW}\n".encode() + pattern
    if old and not old.endswith(b"\n"):
        return old + f"\n{_MARK_NL}\n".encode() + pattern
    return old + f"{_MARK}\n".encode() + pattern


def remove_exclude(data: bytes, file: str) -> bytes | None:
    """The exclude file without the block `add_exclude` wrote for `file` (None: delete it;
    the same bytes when the block is not there)."""
    pattern = f"/{file}\n".encode()
    for mark, before in ((_MARK_NEW, None), (_MARK_NL, b"\n"), (_MARK, b"")):
        block = f"{mark}\n".encode() + pattern
        at = data.rfind((before or b"") + block)
        if at < 0 or (before == b"" and at > 0 and data[at - 1:at] != b"\n"):
            continue
        if before is None:
            if at != 0:
                continue
            rest = data[len(block):]
            return rest or None
        return data[:at] + data[at + len(before) + len(block):]
    return data
