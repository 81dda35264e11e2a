"""The console-script entry point, kept tiny so trivial invocations skip the CLI framework.

`git orch --version` is answered without importing typer (about 50 ms saved), and so are
the hot commands (run, status, next, explain, plan validate, ws snapshot) when cli/lean is
sure how typer would read their options; everything else goes to the typer app in
gitorch.cli.app.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import FrameType

# Commands that only read and show state: the collector stays off while they run (see main).
READ_ONLY = frozenset({("status",), ("next",), ("explain",)})
# Also run with the collector off: `ws snapshot` reads the workspace into records that form
# no cycles (P5: the collector's passes over its start-up objects were ~5% of the process).
COLLECTOR_OFF = READ_ONLY | {("ws", "snapshot")}
# A run: the collector goes on when the loop starts running commands (gitorch/collector); a
# run that skips every task makes no garbage cycles to speak of and never collects.
COLLECTOR_LATE = frozenset({("run",)})
_AT_EXIT: list[object] = []  # what main registered with atexit


def main(argv: list[str] | None = None) -> None:
    """Run the `git orch` command in `argv` (default: sys.argv[1:]); ends with SystemExit.

    As the program itself (pip's `git-orch` script, `python -m gitorch`: called with no
    `argv` from the `__main__` module's top level) the process ends there, once the command's
    output is flushed and atexit's functions have run, without the interpreter's teardown
    of every module and object (~3 ms, ~1% of a 1,000-task re-run; `_end_process`)."""
    if argv is None and _called_as_program(sys._getframe(1)):
        try:
            _command(sys.argv[1:])
        except SystemExit as ended:
            _end_process(ended.code)
            raise
        _end_process(None)
        return
    _command(sys.argv[1:] if argv is None else argv)


def _command(args: list[str]) -> None:
    collecting = gc.isenabled()
    # an in-process caller that froze its own objects (gc.freeze) finds them as it left them:
    # main freezes (and unfreezes) only when nothing was frozen before it
    thawed = gc.get_freeze_count() == 0
    # Start-up allocates some 100,000 objects (modules, classes, functions) and frees almost
    # none: the cyclic collector would scan them over and over (~8% of `git orch status`).
    # It is off while the CLI imports and on again before a command runs, but for the short
    # read-only views (READ_ONLY), whose lazy imports are most of their time and whose own
    # objects (events, the plan) form no garbage cycles to speak of.
    gc.disable()
    # Last at exit: what the command made is frozen, so the interpreter's final collection does
    # not scan it (50-100 ms of CPU after a 1,000-task run); objects are still freed (and
    # files closed) as the modules are cleared. Registered once, also for in-process callers.
    if gc.freeze not in _AT_EXIT:
        _AT_EXIT.append(gc.freeze)
        atexit.register(gc.freeze)
    try:
        if args == ["--version"]:
            from gitorch import __version__
            from gitorch.store.select import describe

            sys.stdout.write(f"gitorch {__version__} (backend: {describe()})\n")
            return
        _start_early(args)
        from gitorch.cli import lean

        found = lean.find(args)
        if found is not None:
            if tuple(args[:1]) in COLLECTOR_LATE:  # on when the run starts running commands
                from gitorch import collector

                collector.defer(lambda: _collect(collecting, thawed))
            elif tuple(args[:1]) not in COLLECTOR_OFF and tuple(args[:2]) not in COLLECTOR_OFF:
                _collect(collecting, thawed)
            lean.run(*found, args)
        from gitorch.cli.app import main as app_main

        _collect(collecting, thawed)
        app_main(args)
    except KeyboardInterrupt:  # Ctrl-C while the CLI itself loads: no traceback either
        _say_interrupted(args)
    except BrokenPipeError:  # `git orch --version | head -0`: the reader left; not an error
        from gitorch.cli.lean_guard import silence_stdout

        silence_stdout()
        sys.exit(0)
    finally:
        try:
            _end(collecting, thawed)
        except KeyboardInterrupt as again:  # while a git status is waited for (engine/prestart.finish)
            _end(collecting, thawed)  # the rest (what was ended is forgotten)
            ending = again.__context__  # SystemExit(130): interrupted and said so already
            said = isinstance(ending, SystemExit) and ending.code == 130
            _say_interrupted(args if ending is None else [], said)


def _say_interrupted(args: list[str], said: bool = False) -> None:
    """End with 130 after a Ctrl-C, saying so once (docs/cli.md)."""
    from gitorch.invocation import localize

    if not said:
        sys.stderr.write(localize("git orch: interrupted\n"))
    if "--json" in args:
        sys.stdout.write('{"error":"Interrupted","exit_code":130,"message":"interrupted"}\n')
    sys.exit(130)


def _called_as_program(caller: FrameType) -> bool:
    """Whether main's caller is the program: the top-level code of a `__main__` module read
    from a file with nothing below it (pip's console script) or below it only runpy starting
    it (`python -m gitorch`). Never a function (a caller's own code runs after main: the
    zipapp's start-up), `python -c`, an interactive session, nor a host that runs gitorch's
    `__main__` itself (`python -m cProfile -o ... -m gitorch`, pdb, runpy.run_module in a
    program that goes on): their code after main must run."""
    found = caller.f_globals
    if caller.f_code.co_name != "<module>" or found.get("__name__") != "__main__" or "__file__" not in found:
        return False
    below = caller.f_back
    if below is None:
        return True
    runner = below.f_back
    return (below.f_code.co_name == "_run_code" and runner is not None and runner.f_back is None
            and runner.f_code.co_name == "_run_module_as_main"
            and below.f_globals.get("__name__") == runner.f_globals.get("__name__") == "runpy")


def _end_process(code: object) -> None:
    """End the process with `code` as `sys.exit(code)` would, without the interpreter's
    teardown: no thread but this one left to wait for, atexit's functions run, then sys.stdout
    and sys.stderr flushed, as the interpreter does them. Returns (the interpreter ends it)
    when that could differ: another thread to wait for, an exit code that is not a plain
    status (a message is printed by the interpreter), output that cannot be flushed. A reader
    that left (`git orch status | head -0`) ends it quietly with the command's own code (the
    output is dropped); Ctrl-C while it waits for a full pipe, quietly with 130."""
    status = 0 if code is None else code
    if type(status) is not int or not 0 <= status <= 255 or _threads_to_wait_for():
        return
    try:
        atexit._run_exitfuncs()
        if not _flush_all():
            return
    except KeyboardInterrupt:
        _interrupted()
    os._exit(status)


def _flush_all() -> bool:
    """Flush sys.stdout and sys.stderr (and the originals); a stream whose reader left is
    pointed at /dev/null. False on any other failure (the interpreter's own flush reports it,
    exit status 120)."""
    for stream in {id(s): s for s in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__)
                   if s is not None and not s.closed}.values():
        try:
            stream.flush()
        except BrokenPipeError:
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, stream.fileno())
            except (OSError, ValueError):
                return False
        except Exception:  # noqa: BLE001 - reported by the interpreter's flush
            return False
    return True


def _interrupted() -> None:
    """Ctrl-C at the very end (a pager not reading): one line, no traceback, exit 130 (docs/cli.md)."""
    try:
        os.write(2, b"git orch: interrupted\n")
    except OSError:
        pass
    os._exit(130)


def _threads_to_wait_for() -> bool:
    """Whether the interpreter would wait for a thread (a non-daemon one, or threading's own
    exit functions) before ending."""
    threading = sys.modules.get("threading")
    if threading is None:
        return False
    if getattr(threading, "_threading_atexits", None):
        return True
    main_thread = threading.main_thread()
    return any(t is not main_thread and not t.daemon and t.is_alive() for t in threading.enumerate())


def _start_early(args: list[str]) -> None:
    """Start the git processes a hot command waits for, so git works while Python imports
    (help starts none): a run's (engine/prestart), a snapshot's git status, and the
    repository and settings of the read-only views (repo.start_early, gitorch/earlyconfig)."""
    if "-h" in args or "--help" in args:
        return
    if args[:1] in (["run"], ["resume"]):
        from gitorch.engine import prestart

        prestart.start()
    if args[:2] == ["ws", "snapshot"]:
        from gitorch.workspace import prestart as ws_prestart

        ws_prestart.start(args[2:])
    if tuple(args[:1]) in READ_ONLY:
        from gitorch import earlyconfig
        from gitorch.repo import start_early

        start_early()
        earlyconfig.start()


def _end(collecting: bool, thawed: bool) -> None:
    """What `main` leaves when the command ends, however it ends: the collector as it was
    before `main` (a run's deferral cancelled), and nothing of what `_start_early` started."""
    if "gitorch.collector" in sys.modules:
        sys.modules["gitorch.collector"].cancel()
    _end_early_reads()
    _collect(collecting, thawed)
    if thawed:
        gc.unfreeze()  # an in-process caller's objects are collectable again


def _end_early_reads() -> None:
    """End what `_start_early` started and the command did not take, and drop what it
    answered (the repository, HEAD, git's config), the settings the command read and the exit
    code it knew (cli/lean_run.known_exit_code): a later command in this process (`main` again,
    typer's CliRunner) asks git afresh, never takes an answer from before a change.
    A command that took them all waits for nothing here."""
    for name, forget in (("gitorch.engine.prestart", "forget"), ("gitorch.earlyconfig", "forget"),
                         ("gitorch.repo", "forget_early"), ("gitorch.workspace.prestart", "forget"),
                         ("gitorch.config.read", "forget"), ("gitorch.cli.lean_run", "forget_outcome")):
        module = sys.modules.get(name)
        if module is not None:
            getattr(module, forget)()


def _collect(collecting: bool, freeze: bool) -> None:
    """The cyclic collector as it was before `main` (on, unless a caller had turned it off).
    What start-up made (modules, classes: they live to the end) is frozen first, so the
    collections a command's own objects trigger do not scan it again (~10 ms of a 1,000-task
    run at load 6); `main` unfreezes it when it returns. Not when a caller had frozen objects
    of its own (`freeze` False): unfreezing would thaw those too."""
    if collecting:
        if freeze and not gc.isenabled():
            gc.freeze()
        gc.enable()
