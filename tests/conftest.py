"""Fixtures: real git repositories in temporary directories, the real CLI, both backends."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

BIN_DIR = str(Path(sys.executable).parent)
ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The long tests (marked slow) first, the rest in their order: under pytest-xdist a worker
    that draws a long one last runs alone at the end while the others wait."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


# Variables of the machine a test must not see: git's identity over the test's user.name and
# user.email (git, and the state store, take these first), ephemeral-environment markers.
_MACHINE_VARS = frozenset({
    "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE", "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL", "GIT_COMMITTER_DATE", "EMAIL", "CODESPACES", "GITPOD_WORKSPACE_ID",
})


@pytest.fixture(autouse=True)
def hermetic_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user config, cache or git identity leaks in from the machine."""
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Test User\n\temail = test@example.org\n"
        "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("PATH", BIN_DIR + os.pathsep + os.environ.get("PATH", ""))
    for var in list(os.environ):
        if var.startswith("GITORCH_") or var in _MACHINE_VARS:
            monkeypatch.delenv(var, raising=False)
    # The processes a test starts write no bytecode, whatever the machine says: a plan's check
    # that imports a file an agent rewrote within the same second at the same size would
    # otherwise load the stale .pyc (make test lets pytest itself cache its assert rewriting).
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    from gitorch import config

    config._cache.clear()


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` for a test; raise with its stderr when it fails."""
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout.strip()


def fsck(cwd: Path, *flags: str) -> str:
    """`git fsck FLAGS` in `cwd` once gitorch's background packer, if one runs, has ended: its
    `git repack -d` drops loose objects while fsck lists them ("unable to mmap"), as a
    detached `git gc --auto` would. Raises with fsck's stderr when it fails."""
    from gitorch.store.pack import wait_for_packer

    common = Path(cwd, git(cwd, "rev-parse", "--git-common-dir"))
    wait_for_packer(common / "orch")
    return git(cwd, "fsck", *flags)


def waits_on(pid: int) -> str:
    """What process `pid` sleeps in (Linux's /proc/PID/wchan: "pipe_read", "poll"…), "" if it
    runs or is gone: a test signals a process once it is blocked there, with no timing window."""
    try:
        with open(f"/proc/{pid}/wchan") as f:
            return f.read()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie has ended: only its parent's reaping is left)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def make_repo(path: Path, files: dict[str, str] | None = None) -> Path:
    """A non-bare repository on `main` with one commit holding `files`."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    for name, text in (files or {"README.md": "# test repo\n"}).items():
        f = path / name
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh repository with one commit; the current directory is its root."""
    path = make_repo(tmp_path / "repo")
    monkeypatch.chdir(path)
    return path


@pytest.fixture
def bare_remote(tmp_path: Path) -> Path:
    path = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(path))
    return path


@pytest.fixture(params=["pygit2", "cli"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test once per git backend."""
    monkeypatch.setenv("GITORCH_BACKEND", request.param)
    from gitorch import config

    config._cache.clear()
    return str(request.param)


OrchRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def orch() -> OrchRunner:
    """Run the real `git orch …` in a subprocess, as a user would."""

    def run(
        *args: str, cwd: Path | None = None, input: str | None = None, env: dict[str, str] | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        return subprocess.run(
            ["git", "orch", *args], cwd=cwd, input=input, capture_output=True, text=True,
            env=full_env, timeout=timeout,
        )

    return run


@pytest.fixture
def cli() -> Iterator[Callable[..., object]]:
    """Invoke the typer app in-process (fast); returns typer's Result."""
    from typer.testing import CliRunner

    from gitorch.cli.app import app

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> object:
        from gitorch import config

        config._cache.clear()
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    yield invoke


class InprocResult:
    """What `orch` returns (returncode, stdout, stderr), from an in-process run."""

    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def inproc(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Like the `orch` fixture, but in this process (the typer app; far cheaper than a
    subprocess on a loaded machine). End-to-end subprocess runs stay in a few tests."""
    from typer.testing import CliRunner

    from gitorch import config
    from gitorch.cli.app import app

    def run(*args: str, cwd: Path | None = None, input: str | None = None,
            env: dict[str, str] | None = None) -> InprocResult:
        config._cache.clear()
        with monkeypatch.context() as m:
            if cwd is not None:
                m.chdir(cwd)
            for k, v in (env or {}).items():
                m.setenv(k, v)
            result = CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)
        config._cache.clear()
        return InprocResult(result.exit_code, result.stdout, result.stderr)

    return run


Entry = Callable[..., InprocResult]


@pytest.fixture
def entry(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Like the `orch` fixture, through the same console entry point (gitorch.cli.entry.main:
    the lean path of the hot commands, the typer app for the rest), in this process: what the
    subprocess runs, without a Python start-up and the CLI's imports per call. Each call is a
    session of its own, as each process is, and ends the long-lived git processes of the
    git-CLI backends it opened (`cat-file --batch`, `update-ref --stdin`), as a process's exit does."""
    from gitorch import config, ids
    from gitorch.cli.entry import main
    from gitorch.store.cli_backend import CliBackend

    opened: list[CliBackend] = []
    init = CliBackend.__init__

    def tracked(self: CliBackend, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(CliBackend, "__init__", tracked)

    def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> InprocResult:
        config._cache.clear()
        capsys.readouterr()
        code: int | str | None = 0
        with monkeypatch.context() as m:
            if cwd is not None:
                m.chdir(cwd)
            for k, v in (env or {}).items():
                m.setenv(k, v)
            m.setattr(sys, "argv", ["git-orch", *args])
            m.setattr(ids, "_session", None)
            try:
                main(list(args))
            except SystemExit as ended:
                code = ended.code
            finally:
                while opened:
                    opened.pop().close()
        if isinstance(code, str):  # as the interpreter reports sys.exit("message")
            sys.stderr.write(code + "\n")
        out, err = capsys.readouterr()
        config._cache.clear()
        return InprocResult(code if isinstance(code, int) else (0 if code is None else 1), out, err)

    return run


# --- built once per test session ----------------------------------------------------------

def _session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every worker of this session shares: under pytest-xdist each worker has its
    own base temp folder, and their common parent belongs to this session alone."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / "session-shared"
    folder.mkdir(exist_ok=True)
    return folder


def build_once(folder: Path, name: str, build: Callable[[Path], None]) -> Path:
    """`folder/name`, made by `build(path)` in the first worker that gets here; the others
    wait on a file lock and reuse it (a failed build is retried by the next worker)."""
    import fcntl

    target = folder / name
    with open(folder / f"{name}.lock", "wb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            partial = folder / f".{name}.{os.getpid()}.partial"
            build(partial)
            os.replace(partial, target)
    return target


@pytest.fixture(scope="session")
def shared_pyz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """orch.pyz built by zipapp/build.py once per session (its wheels downloaded once, into
    build/wheels), shared by every xdist worker. Treat it as read-only."""

    def build(out: Path) -> None:
        subprocess.run(
            [sys.executable, str(ROOT / "zipapp" / "build.py"), "--out", str(out),
             "--wheels", str(ROOT / "build" / "wheels")],
            check=True, capture_output=True,
        )

    return build_once(_session_dir(tmp_path_factory), "orch.pyz", build)


@pytest.fixture
def man_from_source(tmp_path: Path) -> dict[str, str]:
    """An environment in which `man git-orch` (what `git orch --help` runs) finds the page
    of this source tree: an editable install does not install data files, and a test must
    not depend on the Makefile copying it into the venv. Skips only when `man` is absent."""
    if shutil.which("man") is None:
        pytest.skip("no man viewer on this machine")
    folder = tmp_path / "man" / "man1"
    folder.mkdir(parents=True)
    shutil.copyfile(ROOT / "man" / "git-orch.1", folder / "git-orch.1")
    return {"MANPATH": str(tmp_path / "man"), "MANPAGER": "cat", "PAGER": "cat", "MANWIDTH": "80"}
