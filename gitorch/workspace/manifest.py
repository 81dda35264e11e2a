"""The workspace manifest, `workspace.toml`: repos and links, paths relative to the file.

Standard library only: the engine (cross-repo tasks) and the hook path import it.
Without a manifest, `discover(DIR)` treats every git repository directly under DIR as a repo.
"""

from __future__ import annotations

import os

from gitorch.cachedattr import cached_property
from gitorch.frozen import Frozen
from gitorch.workspace.gitdir import is_dir, is_file
from gitorch.workspace.repodirs import repo_dirs, valid_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from gitorch.errors import WorkspaceError

MANIFEST_NAME = "workspace.toml"
_REPO_KEYS = {"name", "path", "url", "ref"}
_LINK_KEYS = {"consumer", "provider", "dep"}

# RepoSpec, LinkSpec and Manifest behave as the frozen dataclasses they were (gitorch/frozen.py):
# `ws snapshot`, a hot command, reads a manifest and loads no dataclasses.


class RepoSpec(Frozen):
    """One repo of the workspace: where it lives and, optionally, where to clone it from."""

    _fields = ("name", "path", "url", "ref")
    name: str
    path: str  # as written in the manifest, relative to the manifest's folder
    url: str | None
    ref: str | None

    def __init__(self, name: str, path: str, url: str | None = None, ref: str | None = None) -> None:
        set_field = object.__setattr__
        set_field(self, "name", name)
        set_field(self, "path", path)
        set_field(self, "url", url)
        set_field(self, "ref", ref)


class LinkSpec(Frozen):
    """`consumer` should use the local checkout of `provider` (dependency `dep`, default its package)."""

    _fields = ("consumer", "provider", "dep")
    consumer: str
    provider: str
    dep: str | None

    def __init__(self, consumer: str, provider: str, dep: str | None = None) -> None:
        set_field = object.__setattr__
        set_field(self, "consumer", consumer)
        set_field(self, "provider", provider)
        set_field(self, "dep", dep)

    @property
    def key(self) -> str:
        return f"{self.consumer}/{self.provider}"


class Manifest(Frozen):
    """Repos and links of one workspace; `root` is the folder holding the manifest (or DIR)."""

    _fields = ("root", "file", "repos", "links", "teardown_verify")
    root_text: str  # `root` as text: `ws snapshot` of a folder without a manifest makes no Path (P5)
    file: Path | None
    repos: tuple[RepoSpec, ...]
    links: tuple[LinkSpec, ...]
    teardown_verify: str | None  # [teardown] verify: run in each consumer before unlinking

    def __init__(self, root: Path | str, file: Path | None, repos: tuple[RepoSpec, ...],
                 links: tuple[LinkSpec, ...] = (), teardown_verify: str | None = None) -> None:
        set_field = object.__setattr__
        self.__dict__["root"] = root  # the field, as given (discover may leave it to be made)
        set_field(self, "root_text", os.fspath(root))
        set_field(self, "file", file)
        set_field(self, "repos", repos)
        set_field(self, "links", links)
        set_field(self, "teardown_verify", teardown_verify)

    @cached_property
    def root(self) -> Path:
        """The folder holding the manifest (or DIR): as given, or (discover of a folder given
        as text) made from `root_text` when first asked for, so `ws snapshot` loads no pathlib."""
        from pathlib import Path

        return Path(self.root_text)

    def repo(self, name: str) -> RepoSpec:
        for spec in self.repos:
            if spec.name == name:
                return spec
        raise _error(f"unknown workspace repo {name!r}", file=str(self.file) if self.file else None,
                     hint="known repos: " + ", ".join(r.name for r in self.repos))

    def path_of(self, name: str) -> Path:
        """Absolute, normalised path of repo `name`."""
        from pathlib import Path

        return Path(_join(self.root_text, self.repo(name).path))


def _join(root: Path | str, rel: str) -> str:
    # normpath, not resolve(): a missing repo has no real path, and symlinked roots stay readable.
    return os.path.normpath(os.path.join(root, rel))


def load(root: Path) -> Manifest:
    """Read `root/workspace.toml`; every problem is a WorkspaceError naming the file and key."""
    import tomllib  # here: auto-discovery (`ws snapshot --root`) reads no TOML

    file = root / MANIFEST_NAME
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if (root / "graft.exs").is_file():  # mix_graft's manifest, read as data (workspace/graft.py)
            from gitorch.workspace.graft import load as load_graft

            return parse(load_graft(root), root, root / "graft.exs")
        hint = "create one, or run `git orch ws snapshot --root DIR` to auto-discover repos"
        raise _error(f"no {MANIFEST_NAME} in {root}", hint=hint) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _error(f"cannot parse: {exc}", file=str(file)) from None
    return parse(data, root, file)


def parse(data: dict[str, object], root: Path, file: Path | None) -> Manifest:
    """Validate a decoded manifest; raise on the first problem with its location."""
    unknown = set(data) - {"repos", "links", "teardown"}
    if unknown:
        raise _fail(file, f"unknown key {sorted(unknown)[0]!r} (expected repos, links, teardown)",
                    sorted(unknown)[0])
    verify = _table(file, data.get("teardown", {}), "teardown", {"verify"}).get("verify")
    if verify is not None and (not isinstance(verify, str) or not verify.strip()):
        raise _fail(file, "must be a non-empty string (a shell command)", "teardown.verify")
    raw_repos = data.get("repos", [])
    raw_links = data.get("links", [])
    if not isinstance(raw_repos, list) or not raw_repos:
        raise _fail(file, "`repos` must be a non-empty array of tables ([[repos]])", "repos")
    if not isinstance(raw_links, list):
        raise _fail(file, "`links` must be an array of tables ([[links]])", "links")
    repos = _repos(raw_repos, root, file)
    links = _links(raw_links, {r.name for r in repos}, file)
    return Manifest(root=root, file=file, repos=tuple(repos), links=tuple(links), teardown_verify=verify)


def _fail(file: Path | None, msg: str, path: str) -> WorkspaceError:
    return _error(msg, file=str(file) if file else None, path=path)


def _error(message: str, file: str | None = None, path: str | None = None,
           hint: str | None = None) -> WorkspaceError:
    """A WorkspaceError at `file` (and key `path`) when given. gitorch.errors loads only for one
    (~1.8 M instructions of every `ws snapshot`, which reads a manifest and raises nothing)."""
    from gitorch.errors import Location, WorkspaceError

    where = Location(file=file, path=path) if file is not None or path is not None else None
    return WorkspaceError(message, where=where, hint=hint)


def _table(file: Path | None, item: object, where: str, allowed: set[str]) -> dict[str, Any]:
    """`item` as a table with only `allowed` keys, else the located error."""
    if not isinstance(item, dict):
        raise _fail(file, "must be a table", where)
    extra = sorted(set(item) - allowed)
    if extra:
        raise _fail(file, f"unknown key {extra[0]!r}", f"{where}.{extra[0]}")
    return item


def _repos(raw_repos: list[object], root: Path, file: Path | None) -> list[RepoSpec]:
    """The [[repos]] entries, checked in order (names unique, one checkout per name)."""
    repos: list[RepoSpec] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_repos):
        where = f"repos[{i}]"
        item = _table(file, raw, where, _REPO_KEYS)
        for key in ("name", "path", "url", "ref"):
            if key in item and not isinstance(item[key], str):
                raise _fail(file, "must be a string", f"{where}.{key}")
            if key in item and not item[key].strip():
                raise _fail(file, "must not be empty (leave the key out instead)", f"{where}.{key}")
        name = item.get("name")
        if not name or not valid_name(name):
            raise _fail(file, "`name` is required: letters, digits, '.', '_', '-'", f"{where}.name")
        if name in seen:
            raise _fail(file, f"duplicate repo name {name!r}", f"{where}.name")
        seen.add(name)
        spec = RepoSpec(name, str(item.get("path", name)), item.get("url"), item.get("ref"))
        where_to = _join(root, spec.path)
        twin = next((r for r in repos if _join(root, r.path) == where_to), None)
        if twin is not None:  # two names for one checkout would link a repo to itself
            raise _fail(file, f"same checkout as repo {twin.name!r} ({where_to})", f"{where}.path")
        repos.append(spec)
    return repos


def _links(raw_links: list[object], names: set[str], file: Path | None) -> list[LinkSpec]:
    """The [[links]] entries between repos in `names`, each (consumer, provider) pair once."""
    links: list[LinkSpec] = []
    keys: set[tuple[str, str]] = set()
    for i, raw in enumerate(raw_links):
        where = f"links[{i}]"
        item = _table(file, raw, where, _LINK_KEYS)
        for key in ("consumer", "provider"):
            value = item.get(key)
            if not isinstance(value, str) or value not in names:
                raise _fail(file, f"`{key}` must name a repo listed in [[repos]] (got {value!r})",
                            f"{where}.{key}")
        dep = item.get("dep")
        if dep is not None and (not isinstance(dep, str) or not dep):
            raise _fail(file, "must be a non-empty string", f"{where}.dep")
        if item["consumer"] == item["provider"]:
            raise _fail(file, "a repo cannot link to itself", where)
        pair = (item["consumer"], item["provider"])
        if pair in keys:
            raise _fail(file, f"duplicate link {pair[0]} -> {pair[1]}", where)
        keys.add(pair)
        links.append(LinkSpec(item["consumer"], item["provider"], dep))
    return links


def redact_url(url: str | None) -> str | None:
    """`url` without credentials (an https user or any password becomes `***`), for records."""
    if not url or "@" not in url:
        return url
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if not parts.netloc or "@" not in parts.netloc:
        return url  # scp-like `git@host:path`: the user is not a secret
    userinfo, host = parts.netloc.rsplit("@", 1)
    if parts.scheme in ("http", "https") or ":" in userinfo:
        user = "" if parts.scheme in ("http", "https") else userinfo.split(":", 1)[0] + ":"
        return urlunsplit(parts._replace(netloc=f"{user}***@{host}"))
    return url


def discover(root: Path | str, listing: list[tuple[str, str]] | None = None) -> Manifest:
    """A manifest of the git repositories directly under `root` (workspace/repodirs.py), without
    links; `listing`: what repo_dirs(root) gave already (workspace/prestart: listed once)."""
    if not is_dir(os.fspath(root)):  # as Path.is_dir, without a Path
        raise _error(f"{root}: no such directory")
    listing = repo_dirs(os.fspath(root)) if listing is None else listing
    repos = [RepoSpec(name, folder) for name, folder in listing]
    manifest = Manifest(root=root, file=None, repos=tuple(repos))
    if isinstance(root, str):
        del manifest.__dict__["root"]  # a Path, made from root_text when first asked for
    return manifest


def load_manifest(manifest_or_root: Manifest | Path | str) -> Manifest:
    """A manifest as given, read from `root/workspace.toml`, or discovered under `root`."""
    if isinstance(manifest_or_root, Manifest):
        return manifest_or_root
    root = workspace_folder(manifest_or_root)
    return find(root) or discover(root)


def workspace_root(root: Path | str) -> Path:
    """`root` as the manifest's folder: absolute and normalised (`--root ..` reads as a folder)."""
    from pathlib import Path

    return Path(workspace_folder(root))


def workspace_folder(root: Path | str) -> str:
    """workspace_root(root) as text (what Path(os.path.normpath(Path(root).absolute())) gives)."""
    return os.path.normpath(os.path.abspath(root))


def repo_paths(manifest: Manifest) -> list[tuple[str, Path]]:
    """(name, absolute path) of every repo, in manifest order."""
    from pathlib import Path

    return [(name, Path(folder)) for name, folder in repo_folders(manifest)]


def repo_folders(manifest: Manifest) -> list[tuple[str, str]]:
    """repo_paths as text: (name, absolute normalised folder) of every repo, in manifest order."""
    return [(spec.name, _join(manifest.root_text, spec.path)) for spec in manifest.repos]


def find(start: Path | str) -> Manifest | None:
    """The manifest at `start` when there is one, else None."""
    if not any(is_file(os.path.join(start, name)) for name in (MANIFEST_NAME, "graft.exs")):
        return None
    from pathlib import Path

    return load(Path(start))


def resolve_repo(root: Path, name: str) -> Path:
    """The checkout of workspace repo `name` (for cross-repo tasks); exit 2 for an unknown name."""
    manifest = load(root)
    path = manifest.path_of(name)
    if not path.is_dir():
        raise _error(f"workspace repo {name!r} is not checked out at {path}", file=str(manifest.file),
                     hint="run `git orch ws apply` to clone it")
    return path
