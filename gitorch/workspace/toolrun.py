"""Running an ecosystem's own tool (node, cargo, go, mix, elixir, a venv's python) for the
workspace: the one place outside git that the workspace starts a process.

A tool that is not installed, times out or cannot start is an answer (`missing`, `error`),
never an exception: the caller turns it into "not verified: <tool> …".
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

TIMEOUT = 120.0


@dataclass(frozen=True)
class ToolResult:
    returncode: int
    stdout: str
    stderr: str
    missing: bool = False  # the program is not installed
    error: str = ""  # it could not run (timeout, exec failure)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.error and self.returncode == 0

    def first_error(self) -> str:
        """The first line that says what went wrong (cargo's `error:` line, else the first)."""
        lines = [ln.strip() for ln in (self.error or self.stderr or self.stdout).splitlines() if ln.strip()]
        said = next((ln for ln in lines if ln.lower().startswith("error")), lines[0] if lines else "")
        return said[:300] or f"exit {self.returncode}"


def installed(program: str) -> bool:
    return shutil.which(program) is not None


def run_tool(argv: Sequence[str], cwd: Path, *, timeout: float | None = TIMEOUT, stdin: str | None = None,
             env: Mapping[str, str] | None = None) -> ToolResult:
    """Run `argv` in `cwd` and collect its output; never raises for the tool's own failure."""
    program = argv[0]
    if os.sep not in program and shutil.which(program) is None:
        return ToolResult(127, "", "", missing=True)
    try:
        proc = subprocess.run(list(argv), cwd=cwd, input=stdin, capture_output=True, text=True,
                              timeout=timeout, env=dict(env) if env is not None else None,
                              errors="replace")
    except subprocess.TimeoutExpired:
        return ToolResult(-1, "", "", error=f"{program} did not finish within {timeout or 0:.0f} s")
    except OSError as exc:
        return ToolResult(-1, "", "", error=f"{program}: {exc.strerror or exc}")
    return ToolResult(proc.returncode, proc.stdout, proc.stderr)


def run_streamed(argv: Sequence[str], *, stdin: bytes, on_line: Callable[[str], None]) -> int:
    """Run `argv` fed `stdin`, passing each output line (stderr merged) to `on_line` as it
    arrives (ssh for `ws apply --remote`); the exit code, 127 when it cannot start."""
    try:
        proc = subprocess.Popen(list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
    except OSError as exc:
        on_line(f"{argv[0]}: {exc.strerror or exc}")
        return 127
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(stdin)
        proc.stdin.close()
    except BrokenPipeError:  # it exited early; its output says why
        pass
    for raw in proc.stdout:
        on_line(raw.decode(errors="replace").rstrip("\n"))
    return proc.wait()
