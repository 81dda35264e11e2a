"""Settings: one typed object per process, built from six levels.

Precedence, lowest to highest (the seed's hierarchy, with git as the home):

1. defaults (the `Settings` field defaults)
2. user config: TOML at `<platformdirs user config dir>/gitorch/config.toml`
3. repo config: `config.toml` on the state branch (travels with `git orch sync`)
4. git config: `orch.*` keys (`git config orch.stateBranch orch/state`), read in one call
5. environment: `GITORCH_*` (`GITORCH_STATE_BRANCH`)
6. flags: `settings(repo, overrides={...})`

The state branch's name cannot come from the repo config (which lives on that branch):
it is taken from every other level first, so reading the repo config is never circular.
`explain()` gives each value with its source for `git orch config show --effective`.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from gitorch import atomic
from gitorch.errors import ConfigError, Location
from gitorch.repo import Repo
from gitorch.store.layout import REPO_CONFIG

if TYPE_CHECKING:
    from gitorch.gitcmd import GitProcess


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    state_branch: str = "orch/state"
    notes_ref: str = "refs/notes/orch"
    backend: str = "auto"  # auto | pygit2 | cli
    lock_timeout: float = 30.0  # seconds to wait for a held lock before exit 4
    jobs: int = 0  # 0: number of cores
    dashboard: bool = False  # also write TASKS.md to the work tree
    sync_after_run: bool = False
    hooks: bool = True
    portable: bool = False
    excerpt_bytes: int = 4000
    forge_url: str = "https://api.github.com"
    pypi_url: str = "https://pypi.org"
    npm_url: str = "https://registry.npmjs.org"
    crates_url: str = "https://crates.io"
    hex_url: str = "https://hex.pm"
    # discovery: "signal=weight" pairs, comma-separated, overriding the default weights
    # (e.g. "beginner-friendly label=60,stale=-30"); see docs/discovery.md
    score_weights: str = ""
    http_timeout: float = 10.0  # seconds per request to a forge or package index
    http_retries: int = 3  # retries of connect errors, timeouts and 5xx (with backoff)
    http_max_wait: float = 60.0  # longest rate-limit wait before stopping with a message
    legacy_notice: bool = True  # print the one-time notice when legacy state is found
    # the edit step (docs/agents.md): the agent command, `{prompt}` = the prompt file's path
    # (without it the prompt is on stdin), and how many attempts a task gets
    agent_command: str = ""
    agent_attempts: int = 3


LEVELS = ("default", "user", "repo", "git", "env", "flag")
_DEFAULTS = Settings()
FIELDS: dict[str, type] = {f.name: f.type for f in msgspec.structs.fields(Settings)}
_GIT_NAMES = {name.replace("_", "").lower(): name for name in FIELDS}
# The repo config lives on the state branch, so it cannot choose that branch.
NOT_IN_REPO_CONFIG = frozenset({"state_branch"})


@dataclass(frozen=True)
class Value:
    """One effective setting: its value, the level that set it and a label naming where."""

    key: str
    value: Any
    level: str  # one of LEVELS
    source: str  # e.g. "git config orch.stateBranch", "env GITORCH_JOBS", "default"

    def render(self) -> str:
        """`key: value (from: source)`, the seed's `config show --effective` line."""
        return f"{self.key}: {format_value(self.value)} (from: {self.source})"


_cache: dict[object, Settings] = {}


# --- names ---------------------------------------------------------------------------

def git_key(key: str) -> str:
    """`state_branch` -> `orch.stateBranch`."""
    head, *rest = key.split("_")
    return "orch." + head + "".join(part.capitalize() for part in rest)


def env_key(key: str) -> str:
    """`state_branch` -> `GITORCH_STATE_BRANCH`."""
    return "GITORCH_" + key.upper()


def canonical_key(key: str, where: Location | None = None) -> str:
    """The Settings field a user's spelling names (`state_branch`, `state-branch`,
    `stateBranch`, `orch.stateBranch`); ConfigError naming the nearest known key otherwise."""
    raw = key
    if key.lower().startswith("orch."):
        key = key[5:]
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).replace("-", "_").replace(".", "_").lower()
    if snake in FIELDS:
        return snake
    squashed = key.replace("_", "").replace("-", "").lower()
    if squashed in _GIT_NAMES:
        return _GIT_NAMES[squashed]
    import difflib  # only on the error path

    near = difflib.get_close_matches(snake, list(FIELDS), n=1, cutoff=0.5)
    hint = f"did you mean `{near[0]}`?" if near else "`git orch config show --effective` lists every key"
    raise ConfigError(f"unknown config key {raw!r}", where=where, hint=hint)


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- values --------------------------------------------------------------------------

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0", ""}
_TYPE_NAMES = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}


def parse_text(key: str, text: str, where: Location | None = None, source: str = "") -> Any:
    """A value written as text (git config, environment, `config set`) as `key`'s type."""
    kind = FIELDS[key]
    if kind not in _TYPE_NAMES:  # a structured field (list, mapping): its text is JSON
        try:
            return msgspec.convert(msgspec.json.decode(text.encode()), kind)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            label = f"{source}: " if source else ""
            raise ConfigError(f"{label}{key}: {exc}", where=where) from None
    try:
        if kind is bool:
            low = text.strip().lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError
        if kind is int:
            return check_value(key, int(text.strip()), where, source)
        if kind is float:
            return check_value(key, float(text.strip()), where, source)
    except ValueError:
        label = f"{source}: " if source else ""
        raise ConfigError(
            f"{label}{key} must be {_TYPE_NAMES[kind]}, got {text!r}", where=where
        ) from None
    return check_value(key, text, where, source)


def check_typed(key: str, value: Any, where: Location | None = None) -> Any:
    """A value from a TOML file, checked against `key`'s type (an int is a fine float)."""
    kind = FIELDS[key]
    if kind not in _TYPE_NAMES:
        try:
            return msgspec.convert(value, kind)
        except msgspec.ValidationError as exc:
            raise ConfigError(f"{key}: {exc}", where=where) from None
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return check_value(key, float(value), where)
    if not ok:
        raise ConfigError(
            f"{key} must be {_TYPE_NAMES[kind]}, got {type(value).__name__} {value!r}", where=where
        )
    return check_value(key, value, where)


_BACKENDS = ("auto", "pygit2", "cli", "git")
# git check-ref-format's rules, without a git call (settings are read on every command).
_BAD_REF = re.compile(r"(^|/)\.|\.\.|\.lock(/|$)|[\x00-\x20\x7f~^:?*\[\\]|@\{|//|^/|/$|\.$|^@$|^-")


def check_value(key: str, value: Any, where: Location | None = None, source: str = "") -> Any:
    """`value` if it is usable for `key`: a known backend, a valid ref name, no negative or
    NaN counts and durations; ConfigError naming the key (and where it was set) otherwise."""
    problem = None
    if key == "backend" and str(value).lower() not in _BACKENDS:
        problem = f"must be one of {', '.join(_BACKENDS[:3])}, got {value!r}"
    elif key in ("state_branch", "notes_ref") and (not value or _BAD_REF.search(value)):
        problem = f"is not a valid git ref name: {value!r}"
    elif isinstance(value, float) and not 0 <= value < float("inf"):  # also NaN
        problem = f"must be a finite number of seconds >= 0, got {value!r}"
    elif isinstance(value, int) and not isinstance(value, bool) and value < 0:
        problem = f"must be >= 0, got {value!r}"
    if problem is None:
        return value
    label = f"{source}: " if source else ""
    raise ConfigError(f"{label}{key} {problem}", where=where)


# --- files -----------------------------------------------------------------------------

def user_config_path() -> Path:
    """`<platformdirs user config dir>/gitorch/config.toml`."""
    import platformdirs

    return Path(platformdirs.user_config_dir("gitorch")) / "config.toml"


def display_path(path: Path) -> str:
    home = str(Path.home())
    text = str(path)
    return "~" + text[len(home):] if home not in ("", "/") and text.startswith(home + os.sep) else text


def _key_line(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return number
    return None


def parse_toml(data: bytes, label: str) -> dict[str, tuple[Any, int | None]]:
    """A config TOML file as key -> (value, line), checked: parse errors, unknown keys and
    wrong types name the file (`label`) and line."""
    text = data.decode("utf-8", errors="replace")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        msg = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
        line = int(m.group(1)) if m else getattr(exc, "lineno", None)
        col = int(m.group(2)) if m else getattr(exc, "colno", None)
        if line is None and "end of document" in str(exc):  # the last line, then
            line = max(1, len(text.splitlines()))
        raise ConfigError(
            f"config file does not parse: {msg}", where=Location(file=label, line=line, column=col)
        ) from None
    out: dict[str, tuple[Any, int | None]] = {}
    for raw_key, value in doc.items():
        line = _key_line(text, raw_key)
        if isinstance(value, dict) and _unknown(raw_key):  # `[orch]`: keys are top-level
            header = re.search(rf"^\s*\[\s*[\"']?{re.escape(raw_key)}\b", text, re.M)
            raise ConfigError(
                f"unexpected table [{raw_key}]: settings are top-level keys",
                where=Location(file=label, line=text.count("\n", 0, header.start()) + 1 if header else line),
                hint="write each setting (e.g. `jobs = 4`) at the top of the file, under no [table]",
            )
        where = Location(file=label, line=line)
        key = canonical_key(raw_key, where)
        out[key] = (check_typed(key, value, where), line)
    return out


def _unknown(raw_key: str) -> bool:
    try:
        canonical_key(raw_key)
    except ConfigError:
        return True
    return False


def read_user_config() -> tuple[Path, dict[str, tuple[Any, int | None]]]:
    path = user_config_path()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return path, {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    return path, parse_toml(data, display_path(path))


def _branch_may_exist(repo: Repo, branch: str) -> bool:
    """A cheap look at the ref files, so a repo without a state branch costs no git call."""
    common = repo.common_dir
    if (common / "refs" / "heads" / branch).is_file() or (common / "reftable").exists():
        return True
    try:
        packed = (common / "packed-refs").read_bytes()
    except OSError:
        return False
    return f" refs/heads/{branch}\n".encode() in packed


def read_repo_config_bytes(repo: Repo, branch: str) -> bytes | None:
    """`config.toml` on the state branch `branch`, or None (one `git cat-file` at most)."""
    if not _branch_may_exist(repo, branch):
        return None
    from gitorch.gitcmd import git

    proc = git(["cat-file", "blob", f"refs/heads/{branch}:{REPO_CONFIG}"], repo.cwd, check=False)
    return proc.stdout if proc.returncode == 0 else None


def _start_repo_config_read(repo: Repo, branch: str) -> GitProcess | None:
    if not _branch_may_exist(repo, branch):
        return None
    from gitorch.gitcmd import git_popen

    return git_popen(["cat-file", "blob", f"refs/heads/{branch}:{REPO_CONFIG}"], repo.cwd)


def _finish_repo_config_read(proc: GitProcess | None) -> bytes | None:
    if proc is None:
        return None
    out, _err = proc.communicate()
    return out if proc.returncode == 0 else None


def read_git_config(repo: Repo | None) -> dict[str, tuple[str, str]]:
    """`orch.*` git config as key -> (text, git name), in one `git config` call.

    Keys with a subsection (`orch.<name>.<key>`) are left to whoever owns them."""
    if repo is None:
        return {}
    from gitorch.gitcmd import git

    proc = git(["config", "-z", "--get-regexp", r"^orch\."], repo.cwd, check=False)
    out: dict[str, tuple[str, str]] = {}
    for record in proc.stdout.decode("utf-8", errors="replace").split("\0"):
        if not record:
            continue
        name, sep, text = record.partition("\n")
        if not sep:  # `[orch] hooks` with no value: git reads it as true
            text = "true"
        parts = name.split(".")
        if len(parts) != 2:
            continue
        key = canonical_key(parts[1], Location(file="git config", path=name))
        out[key] = (text, git_key(key))  # last one wins, as in git
    return out


# --- the levels together -----------------------------------------------------------------

def explain(
    repo: Repo | None = None, overrides: dict[str, Any] | None = None, *, repo_config: bool = True
) -> dict[str, Value]:
    """Every setting's effective value and where it came from (without the repo config
    level when `repo_config` is False: what repairs a repo config that does not read uses)."""
    values = {name: Value(name, getattr(_DEFAULTS, name), "default", "default") for name in FIELDS}

    user_path, user = read_user_config()
    for key, (value, _line) in user.items():
        values[key] = Value(key, value, "user", display_path(user_path))

    env_values: dict[str, Any] = {}
    for key in FIELDS:
        text = os.environ.get(env_key(key))
        if text is not None:
            env_values[key] = parse_text(key, text, source=f"env {env_key(key)}")
    flag_values = {canonical_key(k): v for k, v in (overrides or {}).items() if v is not None}

    # The state branch's name comes from every level except the repo config itself. Its
    # config.toml is read while git config runs (both are git processes), on the likely
    # name; read again only when git config names another branch.
    guess = flag_values.get("state_branch", env_values.get("state_branch",
                                                          values["state_branch"].value))
    early = _start_repo_config_read(repo, str(guess)) if repo is not None and repo_config else None
    try:
        git_values = read_git_config(repo)
    except BaseException:
        if early is not None:
            early.kill()
            early.wait()
        raise
    if repo is not None and repo_config:
        branch = values["state_branch"].value
        if "state_branch" in git_values:
            branch = git_values["state_branch"][0]
        branch = env_values.get("state_branch", branch)
        branch = flag_values.get("state_branch", branch)
        data = _finish_repo_config_read(early) if branch == guess else None
        if early is not None and branch != guess:
            early.kill()
            early.wait()
        if branch != guess or early is None:
            data = read_repo_config_bytes(repo, branch)
        if data is not None:
            label = f"{branch}:{REPO_CONFIG}"
            for key, (value, line) in _parse_repo_toml(data, label).items():
                if key in NOT_IN_REPO_CONFIG:
                    raise ConfigError(
                        f"{key} cannot be set in the repo config (it lives on that branch)",
                        where=Location(file=label, line=line),
                        hint=f"use `git config {git_key(key)}` or {env_key(key)}",
                    )
                values[key] = Value(key, value, "repo", label)

    for key, (text, name) in git_values.items():
        values[key] = Value(key, parse_text(key, text, source=f"git config {name}"), "git",
                            f"git config {name}")
    for key, value in env_values.items():
        values[key] = Value(key, value, "env", f"env {env_key(key)}")
    for key, value in flag_values.items():
        typed = (parse_text(key, value, source="flag") if isinstance(value, str)
                 else check_typed(key, value, Location(file="command line")))
        values[key] = Value(key, typed, "flag", "command line")
    return values


def _parse_repo_toml(data: bytes, label: str) -> dict[str, tuple[Any, int | None]]:
    """parse_toml, with the way out when the file (which may come from another clone via
    sync) cannot be used: it lives on the branch, not in a file a user can edit."""
    try:
        return parse_toml(data, label)
    except ConfigError as exc:
        if exc.hint is None or "did you mean" in exc.hint:
            what = f"{exc.hint}; or " if exc.hint else ""
            exc.hint = (f"{what}`git orch config unset --repo --all` removes the repo config "
                        "(its history stays on the branch), then set values again")
        raise


def settings(repo: Repo | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """The effective settings for `repo` (cached for the process; clear `_cache` in tests)."""
    base: object = repo.common_dir if repo else None
    key: object = (base, tuple(sorted((k, repr(v)) for k, v in overrides.items()))) if overrides else base
    cached = _cache.get(key)
    if cached is not None:
        return cached
    values = explain(repo, overrides)
    result = msgspec.convert({k: v.value for k, v in values.items()}, Settings)
    _cache[key] = result
    return result


# --- writing one level ---------------------------------------------------------------------

def _dump_toml(values: dict[str, Any]) -> bytes:
    import tomli_w

    return tomli_w.dumps(dict(sorted(values.items()))).encode()


def _write_user_config(values: dict[str, Any]) -> Path:
    path = user_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(path, _dump_toml(values))
    return path


def _repo_values(repo: Repo, *, parse: bool = True) -> tuple[Any, dict[str, Any]]:
    """The store (opened with every level but the repo config, so a broken one can still be
    repaired) and the repo config's values (none when not `parse`)."""
    from gitorch.store.state import StateStore

    s = msgspec.convert({k: v.value for k, v in explain(repo, repo_config=False).items()}, Settings)
    store = StateStore(repo, backend=s.backend, branch=s.state_branch, notes_ref=s.notes_ref,
                       lock_timeout=float(s.lock_timeout))
    data = store.read(REPO_CONFIG) if parse and store.exists() else None
    label = f"{store.branch}:{REPO_CONFIG}"
    parsed = _parse_repo_toml(data, label) if data is not None else {}
    return store, {k: v for k, (v, _line) in parsed.items()}


def _repo_config_lock(repo: Repo) -> Any:
    """Held from reading config.toml to committing it, so that concurrent `config set --repo`
    of different keys all land (each rewrites the whole file)."""
    from gitorch.store.locks import Lock

    timeout = explain(repo, repo_config=False)["lock_timeout"].value
    return Lock(repo.common_dir / "orch" / "locks", "repo-config", float(timeout))


def _user_config_lock(repo: Repo | None) -> Any:
    """The same for the user config file (`config.lock` beside it)."""
    from gitorch.store.locks import Lock

    return Lock(user_config_path().parent, "config", float(settings(repo).lock_timeout))


def _write_repo(store: Any, values: dict[str, Any], key: str, action: str) -> None:
    from gitorch.events import Generic

    data = _dump_toml(values) if values else None
    store.append(
        [Generic(kind="config", data={"key": key, "action": action})],
        files={REPO_CONFIG: data},
        message=f"config: {action} {key}",
    )


def set_value(repo: Repo | None, key: str, text: str, level: str = "git") -> Value:
    """Set `key` at one level (user, repo or git) from its text form; returns what was set."""
    key = canonical_key(key)
    value = parse_text(key, text)
    if level == "user":
        with _user_config_lock(repo):
            _path, current = read_user_config()
            merged = {k: v for k, (v, _line) in current.items()}
            merged[key] = value
            path = _write_user_config(merged)
        source = display_path(path)
    elif level == "repo":
        if key in NOT_IN_REPO_CONFIG:
            raise ConfigError(
                f"{key} cannot be set in the repo config (it lives on that branch)",
                hint=f"use `git orch config set {key} VALUE --local` or --user",
            )
        repo = _need_repo(repo, level)
        with _repo_config_lock(repo):
            store, merged = _repo_values(repo)
            merged[key] = value
            _write_repo(store, merged, key, "set")
        source = f"{store.branch}:{REPO_CONFIG}"
    elif level == "git":
        repo = _need_repo(repo, level)
        from gitorch.gitcmd import git

        git(["config", git_key(key), format_value(value)], repo.cwd)
        source = f"git config {git_key(key)}"
    else:
        raise ConfigError(f"cannot write config level {level!r} (use --user, --repo or --local)")
    _cache.clear()
    return Value(key, value, level, source)


def unset_repo_config(repo: Repo | None) -> bool:
    """Remove `config.toml` from the state branch, readable or not; True when it was there."""
    repo = _need_repo(repo, "repo")
    with _repo_config_lock(repo):
        store, _values = _repo_values(repo, parse=False)
        with store:
            if not store.exists() or store.read(REPO_CONFIG) is None:
                return False
            _write_repo(store, {}, "--all", "unset")
    _cache.clear()
    return True


def unset_value(repo: Repo | None, key: str, level: str = "git") -> bool:
    """Remove `key` from one level; True when it was set there."""
    key = canonical_key(key)
    if level == "user":
        with _user_config_lock(repo):
            _path, current = read_user_config()
            if key not in current:
                return False
            _write_user_config({k: v for k, (v, _line) in current.items() if k != key})
    elif level == "repo":
        repo = _need_repo(repo, level)
        with _repo_config_lock(repo):
            store, merged = _repo_values(repo)
            if key not in merged:
                return False
            del merged[key]
            _write_repo(store, merged, key, "unset")
    elif level == "git":
        repo = _need_repo(repo, level)
        from gitorch.gitcmd import git

        proc = git(["config", "--unset-all", git_key(key)], repo.cwd, check=False)
        if proc.returncode == 5:  # git: the key was not set
            return False
        if proc.returncode != 0:
            raise ConfigError(f"git config --unset-all {git_key(key)} failed: "
                              f"{proc.stderr.decode(errors='replace').strip()}")
    else:
        raise ConfigError(f"cannot write config level {level!r} (use --user, --repo or --local)")
    _cache.clear()
    return True


def level_value(repo: Repo | None, key: str, level: str) -> Value | None:
    """`key` as set at exactly one level, or None."""
    key = canonical_key(key)
    if level == "user":
        path, current = read_user_config()
        return Value(key, current[key][0], "user", display_path(path)) if key in current else None
    if level == "repo":
        repo = _need_repo(repo, level)
        branch = settings(repo).state_branch
        data = read_repo_config_bytes(repo, branch)
        label = f"{branch}:{REPO_CONFIG}"
        parsed = parse_toml(data, label) if data is not None else {}
        return Value(key, parsed[key][0], "repo", label) if key in parsed else None
    if level == "git":
        found = read_git_config(repo).get(key)
        if found is None:
            return None
        text, name = found
        return Value(key, parse_text(key, text, source=f"git config {name}"), "git", f"git config {name}")
    raise ConfigError(f"unknown config level {level!r} (use --user, --repo or --local)")


def _need_repo(repo: Repo | None, level: str) -> Repo:
    if repo is None:
        from gitorch.errors import NotARepoError

        raise NotARepoError(f"the {level} config level needs a git repository (not inside one here)",
                            hint="run it inside your repository, or use --user for every repository")
    return repo
