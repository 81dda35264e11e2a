"""Where secrets live: a repo-scoped store, a user store, the environment.

Resolution order (the seed's): repo-scoped store, then user store, then the environment.
The stores live outside the work tree: the repo store under the git directory
(`<git common dir>/orch/secrets/`), the user store under the platformdirs user config
directory (`gitorch/secrets/`). Each secret is one file created 0600 in a 0700 directory,
so a multi-line value is kept byte for byte. When a `keyring` module is importable the user
scope also uses the OS keyring (service `gitorch`); it is never a dependency.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any

from gitorch import atomic
from gitorch.errors import ConfigError, UsageError
from gitorch.frozen import Frozen
from gitorch.repo import Repo, ensure_dir

# Secrets become environment variables of a task, so their names follow the same rule.
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
KEYRING_SERVICE = "gitorch"

SOURCES = ("repo", "user", "env")


class Resolved(Frozen):
    """A secret found somewhere: its name, value and where it came from (never printed).
    A frozen dataclass's behaviour (gitorch/frozen.py), without loading dataclasses."""

    _fields = ("name", "value", "source", "where")
    name: str
    value: str
    source: str  # repo | user | env | keyring
    where: str  # the file, keyring entry or variable, for messages

    def __init__(self, name: str, value: str, source: str, where: str) -> None:
        set_field = object.__setattr__
        set_field(self, "name", name)
        set_field(self, "value", value)
        set_field(self, "source", source)
        set_field(self, "where", where)

    def __repr__(self) -> str:  # keep the value out of tracebacks and logs
        return f"Resolved(name={self.name!r}, source={self.source!r}, where={self.where!r})"


def check_name(name: str) -> str:
    """Return `name` when it can be an environment variable, else raise UsageError."""
    if not _NAME.match(name):
        raise UsageError(
            f"invalid secret name {name!r}: use letters, digits and underscores, "
            "not starting with a digit (it becomes an environment variable)"
        )
    return name


def repo_dir(repo: Repo) -> Path:
    """The repo-scoped store: under the git directory, never the work tree."""
    return repo.common_dir / "orch" / "secrets"  # made by the first write (reads need no write access)


def user_dir() -> Path:
    """The user store under the platformdirs user config directory."""
    import platformdirs

    return Path(platformdirs.user_config_dir("gitorch")) / "secrets"


def _keyring() -> Any | None:
    """The `keyring` module when importable and not switched off (GITORCH_KEYRING=0)."""
    if os.environ.get("GITORCH_KEYRING", "1") == "0":
        return None
    try:
        import keyring  # type: ignore[import-not-found]
    except Exception:
        return None
    return keyring


def _read_file(path: Path) -> str | None:
    try:
        # O_NOFOLLOW: a secret file replaced by a symlink is not followed.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read secret file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as fh:
        return fh.read().decode("utf-8", errors="surrogateescape")


def _write_file(directory: Path, name: str, value: str) -> Path:
    ensure_dir(directory)  # a clear message when it cannot be made
    with contextlib.suppress(OSError):
        os.chmod(directory, 0o700)
    path = directory / name
    with atomic.replacing(path, mode=0o600) as fh:
        os.fchmod(fh.fileno(), 0o600)  # owner-only before the value is written, not after
        fh.write(value.encode("utf-8", errors="surrogateescape"))
    return path


def store_get(repo: Repo | None, name: str, scope: str) -> Resolved | None:
    """The secret `name` in one scope (repo, user or env), or None."""
    check_name(name)
    if scope == "repo":
        if repo is None:
            return None
        path = repo_dir(repo) / name
        value = _read_file(path)
        return None if value is None else Resolved(name, value, "repo", str(path))
    if scope == "user":
        kr = _keyring()
        if kr is not None:
            try:
                value = kr.get_password(KEYRING_SERVICE, name)
            except Exception:  # no usable keyring backend: the file store still works
                value = None
            if value is not None:
                return Resolved(name, value, "user", f"keyring {KEYRING_SERVICE}/{name}")
        path = user_dir() / name
        value = _read_file(path)
        return None if value is None else Resolved(name, value, "user", str(path))
    if scope == "env":
        value = os.environ.get(name)
        return None if value is None else Resolved(name, value, "env", f"env {name}")
    raise UsageError(f"unknown secret scope {scope!r} (use repo, user or env)")


def lookup(repo: Repo | None, name: str) -> Resolved | None:
    """The secret `name` from the first scope that has it: repo, user, environment."""
    for scope in SOURCES:
        found = store_get(repo, name, scope)
        if found is not None:
            return found
    return None


def all_values(repo: Repo | None, name: str) -> list[str]:
    """Every value `name` has in any scope (all of them must be redacted, not just the winner)."""
    out: list[str] = []
    for scope in SOURCES:
        found = store_get(repo, name, scope)
        if found is not None and found.value not in out:
            out.append(found.value)
    return out


# Linux refuses one environment string (NAME=value) over 128 KiB (MAX_ARG_STRLEN).
MAX_VALUE_BYTES = 128 * 1024 - 2


def unusable(name: str, value: str) -> str | None:
    """Why `value` cannot reach a task as the environment variable `name` (never shows it), or None."""
    if "\0" in value:
        return "holds a NUL byte, which no environment variable can"
    size = len(value.encode("utf-8", errors="surrogateescape")) + len(name)
    if size > MAX_VALUE_BYTES:
        return f"is {size} bytes, over the {MAX_VALUE_BYTES} an environment variable may hold"
    return None


def store_set(repo: Repo | None, name: str, value: str, scope: str = "repo") -> str:
    """Store `value` as `name` in the repo or user scope; returns where it went."""
    check_name(name)
    why = unusable(name, value)
    if why:
        raise UsageError(f"the value given for {name} {why}; nothing stored")
    if scope == "repo":
        if repo is None:
            raise UsageError("--repo needs a repository")
        return str(_write_file(repo_dir(repo), name, value))
    if scope == "user":
        kr = _keyring()
        if kr is not None:
            try:
                kr.set_password(KEYRING_SERVICE, name, value)
                return f"keyring {KEYRING_SERVICE}/{name}"
            except Exception:  # fall back to the 0600 file
                pass
        return str(_write_file(user_dir(), name, value))
    raise UsageError(f"cannot store secrets in scope {scope!r} (use --repo or --user)")


def store_unset(repo: Repo | None, name: str, scope: str = "repo") -> bool:
    """Remove `name` from one scope; True when something was removed."""
    check_name(name)
    removed = False
    if scope == "user":
        kr = _keyring()
        if kr is not None:
            try:
                kr.delete_password(KEYRING_SERVICE, name)
                removed = True
            except Exception:
                pass
        directory = user_dir()
    elif scope == "repo":
        if repo is None:
            return False
        directory = repo_dir(repo)
    else:
        raise UsageError(f"cannot remove secrets from scope {scope!r} (use --repo or --user)")
    try:
        (directory / name).unlink()
        removed = True
    except FileNotFoundError:
        pass
    return removed


def stored_names(repo: Repo | None) -> list[str]:
    """Names present in the repo and user file stores."""
    names: set[str] = set()
    dirs = [user_dir()] + ([repo_dir(repo)] if repo is not None else [])
    for directory in dirs:
        if directory.is_dir():
            names.update(p.name for p in directory.iterdir() if _NAME.match(p.name))
    return sorted(names)
