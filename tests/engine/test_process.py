"""Children of a run: direct exec vs shell, output to a file, timeouts kill the group."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from gitorch.engine import outputlog
from gitorch.engine.outputlog import keep_output
from gitorch.engine.process import Children, CommandOutcome, direct_argv
from gitorch.secrets.redact import Redactor


def _run(tmp_path: Path, cmd: str, timeout: float | None = None) -> tuple[CommandOutcome, str]:
    children = Children()
    log = tmp_path / "out.log"
    started = children.spawn(cmd, cwd=tmp_path, env=dict(os.environ), log_path=log, timeout=timeout, key=1)
    if isinstance(started, CommandOutcome):
        return started, log.read_text()
    done: list[tuple[object, CommandOutcome]] = []
    while not done:
        done = children.wait(None)
    return done[0][1], log.read_text()


def test_plain_commands_skip_the_shell_and_the_rest_use_it() -> None:
    path = os.environ["PATH"]
    assert direct_argv("sh -c true", path)[1:] == ["-c", "true"]  # type: ignore[index]
    for cmd in ("exit 3", "echo $HOME", "a | b", "FOO=1 make", "cd x", "true", "no-such-command-xyz",
                "./local.sh", "echo 'q'"):
        assert direct_argv(cmd, path) is None, cmd


def test_exit_code_output_and_missing_command(tmp_path: Path) -> None:
    out, text = _run(tmp_path, "echo out; echo err >&2; exit 7")
    assert (out.status, out.timed_out) == (7, False) and text == "out\nerr\n" and out.size == 8
    out, _ = _run(tmp_path, "no-such-command-xyz")
    assert out.status == 127
    out, text = _run(tmp_path, "pwd")
    assert text.strip() == str(tmp_path)


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    t0 = time.monotonic()
    out, _ = _run(tmp_path, f"sleep 30 & echo $! > {pidfile}; wait", timeout=0.3)
    assert out.timed_out and out.status is None and time.monotonic() - t0 < 5
    pid = int(pidfile.read_text())
    time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists() or " Z " in Path(f"/proc/{pid}/stat").read_text()


def test_excerpt_is_bounded_and_starts_at_a_line(tmp_path: Path) -> None:
    log = tmp_path / "big"
    log.write_text("".join(f"line {i}\n" for i in range(100_000)))
    kept = keep_output(log, log.stat().st_size, Redactor(), 10_000, 1000)
    text = kept.excerpt
    assert len(text) < 1100 and text.endswith("line 99999\n")
    body = text.split("\n", 1)[1]
    assert body.startswith("line ") and "omitted" in text.splitlines()[0]


def test_stored_log_keeps_head_and_tail_and_masks_split_secrets(tmp_path: Path) -> None:
    """The log keeps its first and last halves of the limit with a marker between; a secret is
    masked wherever the chunks of the stream cut it, in the log and in the excerpt."""
    secret = "s3cr3t-" + "x" * 40
    log = tmp_path / "out"
    chunk = outputlog.CHUNK
    # the secret straddles the first chunk boundary, and sits in the tail
    data = b"a" * (chunk - 10) + secret.encode() + b"\n" + b"m" * (3 * chunk)
    data += b"\nend " + secret.encode() + b"\n"
    log.write_bytes(data)
    kept = keep_output(log, len(data), Redactor([secret]), 2 * chunk, 4000)
    assert secret.encode() not in kept.log and b"s3cr3t" not in kept.log
    assert b"***" in kept.log and kept.log.endswith(b"end ***\n")
    assert len(kept.log) < 2 * chunk + 200 and kept.cut > 0
    assert f"[gitorch: {kept.cut} bytes of output cut here".encode() in kept.log
    assert kept.excerpt.endswith("end ***\n") and "s3cr3t" not in kept.excerpt
    small = keep_output(log, len(data), Redactor(), 0, 100)  # 0: everything is kept
    assert small.log == data and small.cut == 0


def test_without_pidfd_in_the_kernel_commands_still_run_and_are_reaped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Python has os.pidfd_open but the kernel says ENOSYS (older than 5.3, some sandboxes):
    the command already started is waited for by a thread, the next ones start the portable way."""
    import errno

    from gitorch.engine import process

    if not process._PIDFD:
        pytest.skip("no pidfd path on this platform")

    def no_pidfd(pid: int) -> int:
        raise OSError(errno.ENOSYS, "Function not implemented")

    monkeypatch.setattr(os, "pidfd_open", no_pidfd)
    monkeypatch.setattr(process, "_PIDFD", True)
    out, text = _run(tmp_path, "echo first; exit 3")
    assert (out.status, out.error, text) == (3, "", "first\n")
    assert process._PIDFD is False  # remembered: no second failed pidfd_open per command
    out, text = _run(tmp_path, "sh -c true")
    assert (out.status, out.error, text) == (0, "", "")


def test_a_command_that_cannot_be_watched_is_stopped_not_left_running(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """posix_spawn started it, but no descriptor is left to wait on it (EMFILE from
    pidfd_open and from the fallback's pipe): it is reported as not started and is neither
    running nor a zombie when spawn returns."""
    import errno

    from gitorch.engine import process

    if not process._PIDFD:
        pytest.skip("no pidfd path on this platform")
    started: list[int] = []

    def no_descriptor(pid: int) -> tuple[int, list[int]]:
        started.append(pid)
        raise OSError(errno.EMFILE, "Too many open files")

    monkeypatch.setattr(process, "_exit_fd", no_descriptor)
    out, text = _run(tmp_path, "sleep 30")
    assert out.status is None and out.error.startswith("cannot start") and "cannot start" in text
    assert len(started) == 1
    with pytest.raises(ChildProcessError):  # already reaped: no zombie left behind
        os.waitpid(started[0], os.WNOHANG)
    with pytest.raises(ProcessLookupError):
        os.kill(started[0], 0)
