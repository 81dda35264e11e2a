"""Dependencies declared by a repo's manifests, one parser per ecosystem.

pyproject.toml and Cargo.toml are read with tomllib, package.json with json; go.mod and
mix.exs have no Python parser, so they are read with careful regular expressions over the
text with comments removed (tests run them on real-world files). json and tomllib are
imported by the parsers that use them: a snapshot of repos without those manifests (a hot
command) does not load them. The regular expressions are compiled on first use
(plan/lazyre.py): such a snapshot compiles none of them, nor imports `re`.
"""

from __future__ import annotations

import os

from gitorch.frozen import Record
from gitorch.plan.lazyre import LazyPattern
from gitorch.workspace.records import Dependency, Diagnostic, Provided

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from typing import Any

MANIFEST_FILES = {
    "pyproject.toml": "python",
    "package.json": "npm",
    "Cargo.toml": "cargo",
    "go.mod": "go",
    "mix.exs": "mix",
}
LANGUAGES = {"python": "python", "npm": "javascript", "cargo": "rust", "go": "go", "mix": "elixir"}
# Dependencies that make a capability worth naming (matched on the normalised name).
FRAMEWORKS = {
    "django": "django", "flask": "flask", "fastapi": "fastapi", "pytest": "pytest",
    "react": "react", "vue": "vue", "next": "nextjs", "express": "express", "typescript": "typescript",
    "tokio": "tokio", "serde": "serde", "actix-web": "actix", "axum": "axum",
    "phoenix": "phoenix", "ecto": "ecto", "ecto_sql": "ecto", "plug": "plug",
    "github.com/gin-gonic/gin": "gin", "google.golang.org/grpc": "grpc",
}


class Parsed(Record):
    """What one repo's manifests say (a plain record, not a dataclass: `ws snapshot` loads none)."""

    _fields = ("manifests", "provides", "deps", "diagnostics")

    def __init__(self, manifests: list[str] | None = None, provides: list[Provided] | None = None,
                 deps: list[Dependency] | None = None, diagnostics: list[Diagnostic] | None = None) -> None:
        self.manifests: list[str] = [] if manifests is None else manifests
        self.provides: list[Provided] = [] if provides is None else provides
        self.deps: list[Dependency] = [] if deps is None else deps
        self.diagnostics: list[Diagnostic] = [] if diagnostics is None else diagnostics



class ManifestSyntaxError(ValueError):
    """A manifest that cannot be read."""


def normalise(ecosystem: str, name: str) -> str:
    """The name as the ecosystem compares it (PEP 503 for Python, '-'/'_' alike for Cargo)."""
    if ecosystem == "python":
        import re

        return re.sub(r"[-_.]+", "-", name).lower()
    if ecosystem == "cargo":
        return name.replace("_", "-")
    return name


def listed(path: Path | str) -> set[str] | None:
    """The names at the top of `path`, lower-cased (a case-insensitive file system opens
    `Cargo.toml` as `cargo.toml`), or None when it cannot be listed: a name missing there
    needs no open to know it is absent (a snapshot tries seven per repo)."""
    try:
        return {name.lower() for name in os.listdir(path)}
    except OSError:
        return None


def parse_repo(repo: str, path: Path | str, names: set[str] | None = None) -> Parsed:
    """Parse every known manifest at the top of `path`; unparsable ones become diagnostics.
    `names`: what `listed(path)` gave, when already read."""
    out = Parsed()
    names = listed(path) if names is None else names
    for file, eco in MANIFEST_FILES.items():
        if names is not None and file.lower() not in names:
            continue
        try:
            with open(os.path.join(path, file), encoding="utf-8") as f:  # as Path.read_text
                text = f.read()
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError) as exc:
            out.manifests.append(file)
            out.diagnostics.append(Diagnostic(severity="error", repo=repo, kind="unparsable_manifest",
                                              message=f"{file}: {exc}"))
            continue
        out.manifests.append(file)
        try:
            name, deps = PARSERS[eco](repo, text)
        except ManifestSyntaxError as exc:
            out.diagnostics.append(Diagnostic(severity="error", repo=repo, kind="unparsable_manifest",
                                              message=f"{file}: {exc}"))
            continue
        if name:
            out.provides.append(Provided(ecosystem=eco, name=name, file=file))
        out.deps.extend(deps)
        if eco in ("cargo", "npm"):
            from pathlib import Path

            from gitorch.workspace.members import read_members

            provides, member_deps, diags = read_members(repo, Path(path), file, eco, text, PARSERS[eco])
            out.provides += provides
            out.deps += member_deps
            out.diagnostics += diags
    return out


# --- Python ----------------------------------------------------------------------------

_PEP508 = LazyPattern(
    r"^\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?P<extras>\[[^\]]*\])?"
    r"\s*(?:@\s*(?P<url>[^;\s]+)\s*)?(?P<spec>[^;@]*?)\s*(?:;\s*(?P<marker>.*))?$"
)


def split_requirement(req: str) -> dict[str, str] | None:
    """A PEP 508 string's name, extras, url, version spec and marker (None when it is not one)."""
    m = _PEP508.match(req)
    if not m:
        return None
    return {k: (v or "") for k, v in m.groupdict().items()}


def file_url_path(url: str) -> str | None:
    """The local path of a `file:` URL."""
    if not url.startswith("file:"):
        return None
    from urllib.parse import unquote, urlparse

    parsed = urlparse(url)
    return unquote(parsed.path) if parsed.netloc in ("", "localhost") else None


def parse_pyproject(repo: str, text: str) -> tuple[str | None, list[Dependency]]:
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestSyntaxError(str(exc)) from None
    project = data.get("project", {})
    if not isinstance(project, dict):
        raise ManifestSyntaxError("[project] must be a table")
    deps: list[Dependency] = []
    sections: list[tuple[str, Any]] = [("project.dependencies", project.get("dependencies", []))]
    for extra, reqs in sorted((project.get("optional-dependencies") or {}).items()):
        sections.append((f"project.optional-dependencies.{extra}", reqs))
    groups = data.get("dependency-groups") or {}  # PEP 735: dev-only dependencies among them
    if not isinstance(groups, dict):
        raise ManifestSyntaxError("[dependency-groups] must be a table")
    for group, reqs in sorted(groups.items()):
        if isinstance(reqs, list):  # `{include-group = "…"}` entries name no package
            reqs = [r for r in reqs if not isinstance(r, dict)]
        sections.append((f"dependency-groups.{group}", reqs))
    for section, reqs in sections:
        if not isinstance(reqs, list):
            raise ManifestSyntaxError(f"{section} must be an array")
        for req in reqs:
            parts = split_requirement(req) if isinstance(req, str) else None
            if parts is None:
                raise ManifestSyntaxError(f"{section}: not a PEP 508 requirement: {req!r}")
            local = file_url_path(parts["url"])
            source = "path" if local else ("url" if parts["url"] else "registry")
            deps.append(Dependency(repo=repo, ecosystem="python", name=parts["name"], raw=req,
                                   source=source, path=local, file="pyproject.toml",
                                   section=section))
    sources = data.get("tool", {}).get("uv", {}).get("sources", {})
    if not isinstance(sources, dict):
        raise ManifestSyntaxError("tool.uv.sources must be a table")
    for name, spec in sorted(sources.items()):
        if not isinstance(spec, dict):
            continue  # uv also accepts arrays of sources with markers; not a single local path
        kind = ("path" if "path" in spec else "git" if "git" in spec
                else "workspace" if spec.get("workspace") else "url" if "url" in spec else "registry")
        deps.append(Dependency(repo=repo, ecosystem="python", name=name, raw=_inline(spec),
                               source=kind, path=spec.get("path"), file="pyproject.toml",
                               section="tool.uv.sources"))
    name = project.get("name")
    return (name if isinstance(name, str) else None), deps


def _inline(spec: dict[str, Any]) -> str:
    import json

    return "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in spec.items()) + " }"


# --- npm ---------------------------------------------------------------------------------

NPM_SECTIONS = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")


def parse_package_json(repo: str, text: str) -> tuple[str | None, list[Dependency]]:
    import json

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestSyntaxError(str(exc)) from None
    if not isinstance(data, dict):
        raise ManifestSyntaxError("top level must be an object")
    deps: list[Dependency] = []
    for section in NPM_SECTIONS:
        table = data.get(section) or {}
        if not isinstance(table, dict):
            raise ManifestSyntaxError(f"{section} must be an object")
        for name, spec in table.items():
            spec = str(spec)
            path = None
            if spec.startswith(("file:", "link:")):
                source, path = "path", spec.split(":", 1)[1]
            elif spec.startswith(("git", "github:")) or "://" in spec:
                source = "git"
            elif spec.startswith("workspace:"):
                source = "workspace"
            else:
                source = "registry"
            deps.append(Dependency(repo=repo, ecosystem="npm", name=name, raw=spec, source=source,
                                   path=path, file="package.json", section=section))
    name = data.get("name")
    return (name if isinstance(name, str) else None), deps


# --- Cargo -------------------------------------------------------------------------------

def parse_cargo(repo: str, text: str) -> tuple[str | None, list[Dependency]]:
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestSyntaxError(str(exc)) from None
    deps: list[Dependency] = []

    def table(section: str, entries: Any) -> None:
        if not isinstance(entries, dict):
            return
        for key, spec in entries.items():
            if isinstance(spec, str):
                deps.append(Dependency(repo=repo, ecosystem="cargo", name=key, raw=spec,
                                       file="Cargo.toml", section=section))
                continue
            if not isinstance(spec, dict):
                continue
            name = str(spec.get("package", key))
            source = ("path" if "path" in spec else "git" if "git" in spec
                      else "workspace" if spec.get("workspace") else "registry")
            deps.append(Dependency(repo=repo, ecosystem="cargo", name=name, raw=_inline(spec),
                                   source=source, path=spec.get("path"), file="Cargo.toml",
                                   section=section))

    for section in ("dependencies", "dev-dependencies", "build-dependencies"):
        table(section, data.get(section))
    for cfg, target in sorted((data.get("target") or {}).items()):  # [target.'cfg(unix)'.dependencies]
        for section in ("dependencies", "dev-dependencies", "build-dependencies"):
            if isinstance(target, dict):
                table(f"target.{cfg}.{section}", target.get(section))
    for registry, entries in sorted((data.get("patch") or {}).items()):
        table(f"patch.{registry}", entries)
    package = data.get("package") or {}
    name = package.get("name") if isinstance(package, dict) else None
    return (name if isinstance(name, str) else None), deps


# --- Go ----------------------------------------------------------------------------------

_GO_COMMENT = LazyPattern(r"//[^\n]*")
_GO_MODULE = LazyPattern(r"(?m)^\s*module\s+\"?([^\s\"]+)\"?")
_GO_BLOCK = LazyPattern(r"(?ms)^\s*(require|replace|exclude|retract|tool|ignore)\s*\(\s*\n(.*?)^\s*\)")
_GO_LINE = LazyPattern(r"(?m)^\s*(require|replace)\s+([^\s(].*)$")


def is_local_go_path(target: str) -> bool:
    return target.startswith(("./", "../", "/")) or target in (".", "..")


def parse_go_mod(repo: str, text: str) -> tuple[str | None, list[Dependency]]:
    body = _GO_COMMENT.sub("", text)
    module = _GO_MODULE.search(body)
    if module is None:
        raise ManifestSyntaxError("no `module` directive")
    entries: list[tuple[str, str]] = []
    for m in _GO_BLOCK.finditer(body):
        entries.extend((m.group(1), line.strip()) for line in m.group(2).splitlines() if line.strip())
    rest = _GO_BLOCK.sub("", body)
    entries.extend((m.group(1), m.group(2).strip()) for m in _GO_LINE.finditer(rest))
    deps: list[Dependency] = []
    for verb, entry in entries:
        if verb == "require":
            fields = entry.replace('"', "").split()
            if len(fields) != 2:
                raise ManifestSyntaxError(f"require: cannot read {entry!r}")
            deps.append(Dependency(repo=repo, ecosystem="go", name=fields[0], raw=entry,
                                   file="go.mod", section="require"))
        elif verb == "replace":
            if "=>" not in entry:
                raise ManifestSyntaxError(f"replace: missing '=>' in {entry!r}")
            old, new = (side.replace('"', "").split() for side in entry.split("=>", 1))
            if not old or not new:
                raise ManifestSyntaxError(f"replace: cannot read {entry!r}")
            local = is_local_go_path(new[0])
            deps.append(Dependency(repo=repo, ecosystem="go", name=old[0], raw=entry,
                                   source="path" if local else "registry",
                                   path=new[0] if local else None, file="go.mod", section="replace"))
    return module.group(1), deps


# --- Mix ---------------------------------------------------------------------------------

_MIX_APP = LazyPattern(r"\bapp:\s*:([a-z_][a-zA-Z0-9_]*)")
_MIX_DEP = LazyPattern(r"\{\s*:([a-z_][a-zA-Z0-9_]*)\s*,((?:[^{}]|\{[^{}]*\})*)\}")
_MIX_OPT = LazyPattern(r"\b(path|git|github|in_umbrella):\s*(\"[^\"]*\"|true)")


def deps_declared(body: str) -> bool:
    import re

    return re.search(r"\bdeps\b", body) is not None


def parse_mix(repo: str, text: str) -> tuple[str | None, list[Dependency]]:
    from gitorch.workspace.elixirtext import (  # here: a snapshot of repos without mix.exs loads none of it
        mix_deps_span,
        strip_elixir_comments,
    )

    body = strip_elixir_comments(text)
    app = _MIX_APP.search(body)
    span = mix_deps_span(body)
    if app is None and not deps_declared(body):
        raise ManifestSyntaxError("no `app:` and no `deps` found")
    deps: list[Dependency] = []
    if span is None:
        span = (0, len(body))  # `def deps, do: [...]` or deps inline in project/0
    if deps_declared(body):
        for m in _MIX_DEP.finditer(body, span[0], span[1]):
            opts = dict((k, v.strip('"')) for k, v in _MIX_OPT.findall(m.group(2)))
            source, path = "registry", None
            if "path" in opts:
                source, path = "path", opts["path"]
            elif "in_umbrella" in opts:
                source, path = "path", f"../{m.group(1)}"
            elif "git" in opts or "github" in opts:
                source = "git"
            deps.append(Dependency(repo=repo, ecosystem="mix", name=m.group(1),
                                   raw=" ".join(m.group(0).split()), source=source, path=path,
                                   file="mix.exs", section="deps"))
    return (app.group(1) if app else None), deps


PARSERS: dict[str, Callable[[str, str], tuple[str | None, list[Dependency]]]] = {
    "python": parse_pyproject,
    "npm": parse_package_json,
    "cargo": parse_cargo,
    "go": parse_go_mod,
    "mix": parse_mix,
}
