"""Reading the levels kept in files and in git: the user's TOML file, `config.toml` on the
state branch (one `git cat-file`, no state store: the settings come before the store) and
`orch.*` git config."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitorch.config.model import canonical_key, check_typed, git_key
from gitorch.errors import ConfigError, Location
from gitorch.repo import Repo
from gitorch.store.layout import REPO_CONFIG

if TYPE_CHECKING:
    from gitorch.gitcmd import GitProcess


def user_config_path() -> Path:
    """`<platformdirs user config dir>/gitorch/config.toml`."""
    folder = _plain_xdg_config_dir()
    if folder is None:
        import platformdirs  # with tempfile, random, shutil, bz2 and lzma: ~5 ms of every command

        folder = platformdirs.user_config_dir("gitorch")
    return Path(folder) / "config.toml"


def _plain_xdg_config_dir() -> str | None:
    """platformdirs' answer where it is plain to tell: on Linux (not an Android app), an
    absolute $XDG_CONFIG_HOME, or, without one, `~/.config` under an absolute $HOME, each
    joined with `gitorch` as platformdirs joins them. None for anything else (another
    platform, a relative or blank variable, no $HOME), which platformdirs answers."""
    if sys.platform != "linux" or hasattr(sys, "getandroidapilevel"):
        return None
    if os.environ.get("ANDROID_DATA") == "/data" and os.environ.get("ANDROID_ROOT") == "/system":
        return None
    xdg = os.environ.get("XDG_CONFIG_HOME")
    if xdg:
        return os.path.join(xdg, "gitorch") if xdg.startswith("/") else None
    home = os.environ.get("HOME", "")
    if not home.startswith("/"):
        return None
    return os.path.join(os.path.expanduser("~/.config"), "gitorch")


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
    import tomllib  # here: most commands find no config file and read no TOML (~4% of status)

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
    from gitorch import earlyconfig

    early = earlyconfig.repo_config_read(str(repo.git_dir), branch)  # a run started it at entry
    if not _branch_may_exist(repo, branch):
        if early is not None:
            early.kill()
            early.wait()
        return None
    if early is not None:
        return early
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
    from gitorch import earlyconfig

    printed = earlyconfig.output(str(repo.git_dir), _orch_key)  # a run asked at entry
    if printed is None:
        from gitorch.gitcmd import git

        printed = git(["config", "-z", "--get-regexp", r"^orch\."], repo.cwd, check=False).stdout
    out: dict[str, tuple[str, str]] = {}
    for record in printed.decode("utf-8", errors="replace").split("\0"):
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


def _orch_key(name: str) -> bool:
    """What `git config --get-regexp '^orch\\.'` prints (git prints section names lowercased)."""
    return name.startswith("orch.")
