"""How the `git orch` program ends (cli/entry.main as the program, issue 15, P2): once the
command's output is flushed and atexit's functions have run, without the interpreter's
teardown of its modules; with the same exit code, output and atexit functions as before.
In-process callers (tests, another program's code after main) get SystemExit as before."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gitorch.cli import entry
from tests.conftest import ROOT, waits_on
from tests.engine.helpers import plan_repo

# A program as pip's console script is (`sys.exit(main())` at a file's top level), which also
# says whether its own objects were torn down, whether atexit ran, and whether output it left in
# stdout's buffer (a pipe: block-buffered) came out, in order before the command's.
PROGRAM = """
import atexit, os, sys, threading, time
sys.path.insert(0, {root!r})
from gitorch.cli.entry import main


class Torn:
    def __del__(self, write=os.write):  # bound now: the module's names are gone by then
        write(2, b"torn down\\n")


# freed when the interpreter tears the modules down (a module of its own: __main__'s objects
# stay frozen at exit, cli/entry)
sys.modules["torn"] = type(sys)("torn")
sys.modules["torn"].kept = Torn()
atexit.register(lambda: sys.stderr.write("atexit ran\\n"))


def after_main():  # the main thread is alive until the interpreter's end begins
    while threading.main_thread().is_alive():
        time.sleep(0.01)
    print("thread done", flush=True)


if {thread!r}:  # a thread the interpreter waits for at exit
    threading.Thread(target=after_main).start()
sys.stdout.write("before the command\\n")
if __name__ == "__main__":
    sys.exit(main({argv}))
"""

TASKS = [{"id": "ok", "commands": {"t": "echo said-it"}}, {"id": "bad", "commands": {"t": "exit 3"}}]


def _program(tmp_path: Path, *, thread: bool = False, argv: str = "") -> Path:
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM.format(root=str(ROOT), thread=thread, argv=argv))
    return path


def _run(program: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(program), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_the_program_ends_with_its_output_exit_code_and_atexit_without_teardown(tmp_path: Path) -> None:
    root = plan_repo(tmp_path / "r", {"a.txt": "a\n"}, TASKS)
    program = _program(tmp_path)
    failed = _run(program, root, "run", "--json")
    assert failed.returncode == 1, failed.stderr  # a task failed (docs/cli.md)
    first, document = failed.stdout.split("\n", 1)
    assert first == "before the command"  # what was left in stdout's buffer came out first
    result = json.loads(document)  # the whole JSON document
    assert result["counts"] == {"completed": 1, "failed": 1}
    assert failed.stderr.endswith("atexit ran\n") and "torn down" not in failed.stderr, failed.stderr
    shown = _run(program, root, "status", "--json")
    assert shown.returncode == 0 and json.loads(shown.stdout.split("\n", 1)[1])["run"]["id"] == result["run"]
    outside = _run(program, tmp_path, "status")  # not a repository: its documented exit code
    assert outside.returncode == 2 and "is not inside a git repository" in outside.stderr, outside.stderr
    assert outside.stderr.endswith("atexit ran\n") and "torn down" not in outside.stderr
    version = _run(program, root, "--version")  # main returns: the program still ends here, 0
    assert version.returncode == 0 and version.stdout.splitlines()[1].startswith("gitorch ")
    assert "torn down" not in version.stderr


def test_a_caller_that_passes_arguments_keeps_the_interpreters_end(tmp_path: Path) -> None:
    """main(argv) is an in-process call (tests, a wrapper): SystemExit reaches the caller and
    the interpreter ends the process as it always did (this also shows `Torn` does tell)."""
    root = plan_repo(tmp_path / "r", {"a.txt": "a\n"}, TASKS[:1])
    proc = _run(_program(tmp_path, argv="sys.argv[1:]"), root, "run", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout.split("\n", 1)[1])["counts"] == {"completed": 1}
    assert "atexit ran\n" in proc.stderr and proc.stderr.endswith("torn down\n"), proc.stderr


def test_a_thread_still_running_is_waited_for(tmp_path: Path) -> None:
    root = plan_repo(tmp_path / "r", {"a.txt": "a\n"}, TASKS[:1])
    proc = _run(_program(tmp_path, thread=True), root, "run")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "thread done"  # the interpreter's end: it joins the thread
    assert "atexit ran" in proc.stderr


@pytest.mark.parametrize("code", ["a message", 256, -1, 2.5])
def test_an_exit_code_that_is_not_a_status_is_left_to_the_interpreter(code: object) -> None:
    """sys.exit("a message") prints it, and the interpreter maps other values its own way:
    _end_process returns (the caller re-raises) instead of ending the process."""
    entry._end_process(code)  # still here


def test_python_m_takes_the_programs_end(tmp_path: Path) -> None:
    """`python -m` (runpy starting a package's __main__ and nothing else) is the program too."""
    root = plan_repo(tmp_path / "r", {"a.txt": "a\n"}, TASKS[:1])
    package = tmp_path / "probe"
    package.mkdir()
    (package / "__main__.py").write_text(PROGRAM.format(root=str(ROOT), thread=False, argv=""))
    proc = subprocess.run([sys.executable, "-m", "probe", "run", "--json"], cwd=root, capture_output=True,
                          text=True, timeout=120, env={**_env(), "PYTHONPATH": str(tmp_path)})
    assert proc.returncode == 0 and json.loads(proc.stdout.split("\n", 1)[1])["counts"] == {"completed": 1}
    assert proc.stderr.endswith("atexit ran\n") and "torn down" not in proc.stderr, proc.stderr


HOST = """
import runpy, sys
sys.argv = ["git-orch", "status"]
try:
    runpy.run_module("gitorch", run_name="__main__")
except SystemExit as ended:
    print("ended", ended.code)
print("host continues")
"""


def test_a_host_running_gitorchs_main_goes_on_after_it(tmp_path: Path) -> None:
    """A program that runs gitorch's __main__ itself (runpy.run_module, python -m cProfile or
    pdb) is not ended by it: its own code after the command runs (the profile is written)."""
    root = plan_repo(tmp_path / "r", {"a.txt": "a\n"}, TASKS[:1])
    host = subprocess.run([sys.executable, "-c", HOST], cwd=root, capture_output=True, text=True, timeout=120,
                          env=_env())
    assert host.stdout.splitlines()[-2:] == ["ended 0", "host continues"], (host.stdout, host.stderr)
    profile = tmp_path / "p.out"
    profiler = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "gitorch", "status"]
    profiled = subprocess.run(profiler, cwd=root, capture_output=True, text=True, timeout=120, env=_env())
    assert profiled.returncode == 0, profiled.stderr
    assert profile.stat().st_size > 0, "python -m cProfile -o ... -m gitorch wrote no profile"


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _quiet_env() -> dict[str, str]:
    """The environment with stdout block-buffered into a pipe, as a user's shell has it."""
    return {k: v for k, v in _env().items() if k != "PYTHONUNBUFFERED"}


def test_ctrl_c_while_the_last_output_waits_for_a_full_pipe_exits_130_quietly(tmp_path: Path) -> None:
    """A pager that has not read yet: the program's final flush blocks on the full pipe, and
    Ctrl-C there ends it as Ctrl-C ends every command (docs/cli.md), with no traceback."""
    import os
    import signal
    import time

    read, write = os.pipe()
    os.set_blocking(write, False)
    try:  # fill the pipe: the reader is slow
        while True:
            os.write(write, b"x" * 4096)
    except BlockingIOError:
        pass
    os.set_blocking(write, True)
    proc = subprocess.Popen([sys.executable, "-m", "gitorch", "--version"], stdout=write,
                            stderr=subprocess.PIPE,
                            cwd=tmp_path, env=_quiet_env())
    os.close(write)
    try:
        deadline = time.monotonic() + 60
        while not waits_on(proc.pid).endswith("pipe_write") and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        while os.read(read, 65536):  # the reader catches up
            pass
        assert proc.wait(timeout=60) == 130
        assert proc.stderr is not None
        err = proc.stderr.read().decode()
        assert "Traceback" not in err and err.strip().splitlines()[-1:] == ["git orch: interrupted"], err
    finally:
        os.close(read)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("args", [["--version"], ["status"], ["next"]])
def test_a_reader_that_left_ends_the_program_quietly_with_its_code(tmp_path: Path, args: list[str]) -> None:
    """`git orch status | head -0`: the output flushed at exit finds the pipe closed; the
    command's own exit code, no "Exception ignored ... BrokenPipeError" (exit 120 before)."""
    import os

    root = plan_repo(tmp_path / "r", {"a.txt": "a\n"}, TASKS[:1])
    assert subprocess.run([sys.executable, "-m", "gitorch", "run"], cwd=root, capture_output=True,
                          timeout=120, env=_env()).returncode == 0
    read, write = os.pipe()
    os.close(read)  # the reader already left
    try:
        proc = subprocess.run([sys.executable, "-m", "gitorch", *args], cwd=root, stdout=write,
                              stderr=subprocess.PIPE, text=True, timeout=120, env=_quiet_env())
    finally:
        os.close(write)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_a_failed_run_whose_reader_left_still_exits_1(tmp_path: Path, unbuffered: str) -> None:
    """`git orch run --json | head -0` of a run whose task failed: the closed pipe is not an
    error, but the run's own code stands (it was 0 when the summary's write hit the pipe)."""
    import os

    root = plan_repo(tmp_path / "r", {"a.txt": "a\n"}, TASKS)
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run([sys.executable, "-m", "gitorch", "run", "--json"], cwd=root, stdout=write,
                              stderr=subprocess.PIPE, text=True, timeout=120,
                              env={**_quiet_env(), "PYTHONUNBUFFERED": unbuffered})
    finally:
        os.close(write)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
