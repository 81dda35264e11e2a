"""What a setting is: the typed `Settings`, the keys' names at each level, and the checks
a value passes before it is used (pure: no files, no git)."""

# No `from __future__ import annotations`: msgspec reads Settings' field types once a process
# (FIELDS below, and decoding), and string annotations are compiled and evaluated one by one
# (~1 M instructions of every command).
import re
from typing import Any

import msgspec

from gitorch.errors import ConfigError, Location
from gitorch.gitcmd import GIT_TRUE


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    state_branch: str = "orch/state"
    notes_ref: str = "refs/notes/orch"
    backend: str = "auto"  # auto | pygit2 | cli
    lock_timeout: float = 30.0  # seconds to wait for a held lock before exit 4
    jobs: int = 0  # 0: number of cores
    dashboard: bool = False  # also write TASKS.md to the work tree
    sync_after_run: bool = False
    refuse_dirty: bool = False  # refuse a run on a work tree with uncommitted changes (exit 1)
    hooks: bool = True
    portable: bool = False
    excerpt_bytes: int = 4000
    log_bytes: int = 1_000_000  # of one command's output kept in its log: head and tail (0: all)
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


class Value(msgspec.Struct, frozen=True):
    """One effective setting: its value, the level that set it and a label naming where."""

    key: str
    value: Any
    level: str  # one of LEVELS
    source: str  # e.g. "git config orch.stateBranch", "env GITORCH_JOBS", "default"

    def render(self) -> str:
        """`key: value (from: source)`, the seed's `config show --effective` line."""
        return f"{self.key}: {format_value(self.value)} (from: {self.source})"




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
            if low in GIT_TRUE:
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
# (compiled on first use, in re's cache: a ref name is checked only when one is set)
_BAD_REF = r"(^|/)\.|\.\.|\.lock(/|$)|[\x00-\x20\x7f~^:?*\[\\]|@\{|//|^/|/$|\.$|^@$|^-"


def check_value(key: str, value: Any, where: Location | None = None, source: str = "") -> Any:
    """`value` if it is usable for `key`: a known backend, a valid ref name, no negative or
    NaN counts and durations; ConfigError naming the key (and where it was set) otherwise."""
    problem = None
    if key == "backend" and str(value).lower() not in _BACKENDS:
        problem = f"must be one of {', '.join(_BACKENDS[:3])}, got {value!r}"
    elif key in ("state_branch", "notes_ref") and (not value or re.search(_BAD_REF, value)):
        problem = f"is not a valid git ref name: {value!r}"
    elif isinstance(value, float) and not 0 <= value < float("inf"):  # also NaN
        problem = f"must be a finite number of seconds >= 0, got {value!r}"
    elif isinstance(value, int) and not isinstance(value, bool) and value < 0:
        problem = f"must be >= 0, got {value!r}"
    if problem is None:
        return value
    label = f"{source}: " if source else ""
    raise ConfigError(f"{label}{key} {problem}", where=where)
