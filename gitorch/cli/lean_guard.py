"""What every command does with an exception that escapes its body, without typer.

The root typer group (cli/app.OrchGroup) and the lean start-up path (cli/lean) both hand
such an exception to `failed`, so an OrchError, Ctrl-C, a closed pipe or a bug reads the
same, with the same exit code, whichever path ran the command.
"""

from __future__ import annotations

import os
import sys

from gitorch.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, OrchError
from gitorch.invocation import localize


def failed(exc: BaseException, as_json: bool) -> int:
    """Report `exc` (one message, JSON on stdout with --json); the exit code to end with.

    Re-raises a bug when GITORCH_DEBUG is set, and anything that is neither an Exception
    nor Ctrl-C (SystemExit ends the process as it is)."""
    if isinstance(exc, OrchError):
        report(exc, as_json)
        return exc.exit_code
    if isinstance(exc, BrokenPipeError) and stdout_gone():  # `git orch events | head`: the reader
        # left; not an error, though a run that failed still says so (a git pipe's is a bug)
        silence_stdout()
        return known_exit_code()
    if isinstance(exc, KeyboardInterrupt):
        plain_error("Interrupted", "interrupted", EXIT_INTERRUPTED, as_json)
        return EXIT_INTERRUPTED
    if not isinstance(exc, Exception) or os.environ.get("GITORCH_DEBUG"):
        raise exc
    plain_error("InternalError", f"internal error: {type(exc).__name__}: {exc}", EXIT_INTERNAL,  # a bug
                as_json, "set GITORCH_DEBUG=1 for a traceback, and please report it")
    return EXIT_INTERNAL


def stdout_gone() -> bool:
    """Whether stdout's reader has gone: a pipe's closed (poll says POLLERR), a socket's peer
    (POLLHUP: a Node parent's stdio), a terminal hung up, fd 1 closed (POLLNVAL). A
    BrokenPipeError from elsewhere (a git process gitorch talks to) is not the reader leaving."""
    import select

    try:
        poller = select.poll()
        poller.register(1, select.POLLOUT)
        gone = select.POLLERR | select.POLLHUP | select.POLLNVAL
        return any(ev & gone for _, ev in poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no poll (Windows): as before
        return True


def known_exit_code() -> int:
    """The exit code the command ends with, when known before its output is written (a run's,
    before its summary: cli/lean_run), else 0."""
    return getattr(sys.modules.get("gitorch.cli.lean_run"), "known_exit_code", 0)


def report(exc: OrchError, as_json: bool) -> None:
    """An OrchError as one message on stderr, or its JSON document on stdout."""
    if as_json:
        from gitorch.cli.output import emit_json

        doc = exc.to_json()
        if "hint" in doc:  # what to type next, as the user runs gitorch
            doc["hint"] = localize(str(doc["hint"]))
        emit_json(doc)
    else:
        from gitorch.cli.output import fail

        fail(f"git orch: {exc}")


def silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def plain_error(kind: str, message: str, code: int, as_json: bool, hint: str = "") -> None:
    """An error that is not an OrchError, shaped like one (JSON on stdout with --json)."""
    if as_json:
        from gitorch.cli.output import emit_json

        doc: dict[str, object] = {"error": kind, "message": message, "exit_code": code}
        if hint:
            doc["hint"] = hint
        emit_json(doc)
    from gitorch.cli.output import fail

    fail(f"git orch: {message}" + (f"\n  ({hint})" if hint else ""))
