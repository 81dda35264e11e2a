"""The lean start-up path: the hot commands parsed and run without importing typer.

typer stays the one definition of the CLI. The options this path accepts come from
cli/lean_table.py, which cli/lean_derive.py derives from the typer app (a test fails when
the two differ), and a command found here runs the very body its typer command calls
(cli/lean_run.py, cli/lean_plan.py, cli/ws_snapshot.py) with the same arguments, after
what typer's group callbacks do (cli/lean_ws.py), under the same error handling
(cli/lean_guard).

The path answers only what it is sure of; everything else goes to typer, so help, shell
completion and every usage error keep typer's wording: -h/--help or `--` anywhere, an
unknown option or stray argument, a missing value, a value typer would refuse or convert
itself (an int out of range, an unreadable path), short options run together (`-kj2`), and
options whose body leaves for typer's modules (`--claim`). Saving: typer's import and
building the command (~50 ms of every `git orch status` on a quiet machine).
"""

from __future__ import annotations

import os
import sys

from gitorch.cli.lean_table import TABLE

TYPE_CHECKING = False  # typing is not loaded: ws snapshot's path imports none of it (P5)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, NoReturn

# The command each hot command's typer function calls: (module, function).
BODIES: dict[tuple[str, ...], tuple[str, str]] = {
    ("run",): ("gitorch.cli.lean_run", "run"),
    ("status",): ("gitorch.cli.lean_run", "status"),
    ("next",): ("gitorch.cli.lean_run", "next_ready"),
    ("explain",): ("gitorch.cli.lean_run", "explain"),
    ("plan", "validate"): ("gitorch.cli.lean_plan", "validate"),
    ("ws", "snapshot"): ("gitorch.cli.lean", "ws_snapshot"),
}
# Callbacks typer runs before a hot command (the root's, a group's), and what this path runs
# in their place: the same typer-free function, or nothing for one that does nothing unasked.
# A callback not named here sends the command to typer.
BEFORE: dict[str, tuple[str, str] | None] = {
    "gitorch.cli.app:root": None,  # only its eager options act (--version, completion): never here
    "gitorch.cli.ws_ephemeral_cmd:_before_any": ("gitorch.cli.lean_ws", "before_command"),
}
# Options whose body imports typer's modules (claims live in cli/ci_cmd): typer runs those.
TYPER_ONLY: dict[tuple[str, ...], frozenset[str]] = {
    ("run",): frozenset({"claim"}), ("next",): frozenset({"claim"}),
}
# Hot commands whose bodies load no msgspec (ws snapshot writes its JSON with the stdlib: P5).
NO_MSGSPEC = frozenset({("ws", "snapshot")})
_PLAIN_TYPES = frozenset({"str", "boolean", "int", "float", "int range", "float range", "path"})
_NOT_SURE = object()  # what `_convert` returns for a value typer should judge


def find(args: list[str]) -> tuple[Callable[..., Any], dict[str, Any]] | None:
    """The body (after its groups' steps) and keyword arguments for `args`, or None when
    typer must answer."""
    if _typer_needed(args):
        return None
    path = next((p for p in BODIES if tuple(args[:len(p)]) == p), None)
    if path is None:
        return None
    module, function = BODIES[path]
    command = TABLE["commands"].get(path)
    steps = _steps(path)
    if command is None or steps is None or not _plain(command):
        return None
    kwargs = parse(args[len(path):], command["params"])
    if kwargs is None or any(kwargs.get(name) for name in TYPER_ONLY.get(path, ())):
        return None
    if path not in NO_MSGSPEC:
        _import_msgspec()
    body = getattr(_module(module), function)
    if not steps:
        return body, kwargs
    before, word = [getattr(_module(m), f) for m, f in steps], path[-1]

    def after_steps(**given: Any) -> None:  # not functools.partial: functools is not loaded (P5)
        _after(before, word, body, **given)

    return after_steps, kwargs


def _module(name: str) -> Any:
    """The module `name`, imported: importlib.import_module without importing importlib and its
    `warnings` (~1.6 M instructions of `ws snapshot`, P5)."""
    __import__(name)
    return sys.modules[name]


def _import_msgspec() -> None:
    """Import msgspec (every hot command's bodies use it) without typing_extensions, and
    without platform and textwrap, which it imports for nothing a command uses.

    msgspec._utils imports typing_extensions, when it is installed, only for
    `get_type_hints` (always called with include_extras=True) and `Required`/`NotRequired`.
    On Python 3.11 and later those are typing's own answers: typing_extensions'
    get_type_hints returns typing.get_type_hints' result unchanged with include_extras, and
    its Required/NotRequired are typing's objects. Hiding the module while msgspec imports
    binds typing's functions, the same behaviour, and saves importing typing_extensions
    (~5 ms, ~2% of `git orch status`; tests/test_cli_lean.py checks the equivalence on
    gitorch's types). The entry is removed again, so typer, when this path hands over to it
    in the same process, imports typing_extensions as usual.

    msgspec imports uuid, which on Linux imports platform (~9 M instructions: it compiles
    seven regular expressions) to call `platform.system()` once; and msgspec imports its
    `inspect` (~40 Struct classes describing types) and `_json_schema` (with textwrap), ~6 M
    together, for `msgspec.inspect` and `msgspec.json.schema[_components]`, and its `toml`
    and `yaml` (which need tomllib and PyYAML to work), none of which a hot command calls.
    They get stand-ins while msgspec imports (gitorch/standins: `system()` is os.uname()'s,
    the answer platform gives on Linux; msgspec.json's two schema functions import the real
    module when called; anything else is the real module's, imported on first use), removed
    again after, so a later `import platform` or `import msgspec.inspect` loads the real
    module. Nothing msgspec encodes or decodes depends on them: its C core
    takes what it uses (uuid.UUID, decimal.Decimal, datetime) from those modules, not these."""
    if "msgspec" in sys.modules or "typing_extensions" in sys.modules or sys.version_info < (3, 11):
        return
    from gitorch.standins import StandIn, deferred, import_with

    schema = "msgspec._json_schema"
    stand_ins: dict[str, object] = {
        "typing_extensions": None, "msgspec.inspect": StandIn("msgspec.inspect"),
        "msgspec.toml": StandIn("msgspec.toml"), "msgspec.yaml": StandIn("msgspec.yaml"),
        schema: StandIn(schema, schema=deferred(schema, "schema"),
                        schema_components=deferred(schema, "schema_components"))}
    if sys.platform.startswith("linux") and "uuid" not in sys.modules:
        stand_ins["platform"] = StandIn("platform", system=_system)
    import typing  # loaded already on the hot paths (gitorch.repo); msgspec loads it anyway

    real_ref = typing.ForwardRef
    setattr(typing, "ForwardRef", _probe_answered(real_ref))  # noqa: B010 - mypy: a class
    try:
        import_with("msgspec", stand_ins)
    finally:
        setattr(typing, "ForwardRef", real_ref)  # noqa: B010


def _probe_answered(real: Callable[..., Any]) -> Callable[..., Any]:
    """typing.ForwardRef while msgspec imports. msgspec._utils calls ForwardRef("Foo",
    is_class=True) once, only to learn whether it takes `is_class` (it does on 3.11+), and drops
    the result; but that call compiles "Foo", and the first compile() of a process sets up the
    AST's ~120 node types: ~9 M instructions (~3% of a P2 re-run), spent for nothing when the
    command compiles nothing else (no string annotations read at run time: msgspec Structs and
    NamedTuples without `from __future__ import annotations` on the hot paths). The probe is
    answered without compiling; any other call is the real ForwardRef's."""

    def forward_ref(arg: object, *args: object, **kwargs: object) -> Any:
        if arg == "Foo" and not args and kwargs == {"is_class": True}:
            return None
        return real(arg, *args, **kwargs)

    return forward_ref


def _system() -> str:
    """platform.system() on Linux: the kernel's name as uname gives it ("Linux")."""
    return os.uname().sysname


def _steps(path: tuple[str, ...]) -> list[tuple[str, str]] | None:
    """What runs before the command at `path` (the callbacks of the root and of its groups),
    or None when one of them is not known to this path."""
    steps = []
    for group in (TABLE["root"], *(TABLE["groups"].get(path[:n]) for n in range(1, len(path)))):
        if group is None or (group["callback"] is not None and group["callback"] not in BEFORE):
            return None
        if group is not TABLE["root"] and (group["params"] or group["context_settings"]):
            return None
        step = BEFORE.get(group["callback"])
        if step is not None:
            steps.append(step)
    return steps


def _after(steps: list[Callable[[str], None]], word: str, body: Callable[..., Any], **kwargs: Any) -> None:
    """The groups' steps (each told the command word, as typer's ctx.invoked_subcommand), then the body."""
    for step in steps:
        step(word)
    body(**kwargs)


def run(body: Callable[..., Any], kwargs: dict[str, Any], args: list[str]) -> NoReturn:
    """Run `body` as typer's root group and cli/app.main would; end the process as they do."""
    from gitorch.store.select import command_prefers_cli, preferring_cli

    as_json = "--json" in sys.argv or "--json" in args
    try:
        with preferring_cli(command_prefers_cli(args)):  # "auto" is the git CLI for some commands
            try:
                body(**kwargs)
            except (Exception, KeyboardInterrupt) as exc:
                from gitorch.cli.lean_guard import failed  # an error: loaded only then

                sys.exit(failed(exc, as_json))
    except BrokenPipeError:  # the reader left while the error was reported: click exits 1
        from gitorch.cli.lean_guard import silence_stdout

        silence_stdout()
        sys.exit(1)
    except KeyboardInterrupt:
        from gitorch.errors import EXIT_INTERRUPTED
        from gitorch.invocation import localize

        sys.stderr.write(localize("git orch: interrupted\n"))
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(0)  # as click ends a command that returned


def ws_snapshot(root: str | None, out: str | None, as_json: bool) -> None:
    """`ws snapshot` as its typer command (cli/ws_cmd.snapshot_cmd) runs it: the body over
    the Context built for --json."""
    from gitorch.cli.ws_snapshot import snapshot
    from gitorch.context import build_context

    snapshot(build_context(json=as_json), root, out)


def _typer_needed(args: list[str]) -> bool:
    """Help, `--` and shell completion are typer's, wherever they appear."""
    help_words = TABLE["root"]["context_settings"].get("help_option_names", ())
    if any(a == "--" or a in help_words for a in args):
        return True
    return any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ)


def _plain(command: dict[str, Any]) -> bool:
    """Whether the command has only what this parser handles like click does."""
    if command["context_settings"] or command["ignore_unknown_options"] or command["extra_args"]:
        return False
    if set(TABLE["root"]["context_settings"]) - {"help_option_names"} or not command["interspersed"]:
        return False
    return all(_plain_param(p) for p in command["params"])


def _plain_param(p: dict[str, Any]) -> bool:
    if p.get("count") or p.get("envvar") or p.get("prompt") or p.get("callback") or p.get("eager"):
        return False
    if p.get("nargs", 1) != 1 or not p.get("expose_value", True) or p["type"]["name"] not in _PLAIN_TYPES:
        return False
    kind = p["type"]
    if kind["name"] == "path":
        return (kind.get("type") in (None, "str") and not kind.get("exists") and not kind.get("resolve_path")
                and kind.get("file_okay") and kind.get("dir_okay") and not kind.get("writable")
                and not kind.get("executable"))
    if p["kind"] == "argument":
        return not p.get("multiple")
    return not (p.get("flag") and p["type"]["name"] != "boolean")


def parse(words: list[str], params: tuple[dict[str, Any], ...]) -> dict[str, Any] | None:
    """Keyword arguments for the body from the words after the command, as typer would pass
    them; None for anything this parser is not sure click would read the same way."""
    options = {opt: p for p in params if p["kind"] == "option" for opt in p["opts"]}
    negations = {opt: p for p in params if p["kind"] == "option" for opt in p.get("secondary_opts", ())}
    given: dict[str, Any] = {}
    positional: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if len(word) < 2 or not word.startswith("-"):  # `-` alone is an argument for click too
            positional.append(word)
            continue
        name, eq, attached = word.partition("=") if word.startswith("--") else (word, "", "")
        short = options.get(word[:2]) if word[1] != "-" and "=" not in word and name not in options else None
        if short is not None and not short.get("flag"):  # `-j2`: click reads the rest as -j's value
            name, eq, attached = word[:2], "=", word[2:]
        if name in negations and not eq:
            given[negations[name]["name"]] = False
            continue
        p = options.get(name)
        if p is None:
            return None
        if p.get("flag"):
            if eq:
                return None
            given[p["name"]] = True
            continue
        if not eq:
            if i >= len(words):
                return None
            attached, i = words[i], i + 1
        value = _convert(p, attached)
        if value is _NOT_SURE:
            return None
        if p.get("multiple"):
            given.setdefault(p["name"], []).append(value)
        else:
            given[p["name"]] = value
    return _with_arguments(params, given, positional)


def _with_arguments(params: tuple[dict[str, Any], ...], given: dict[str, Any],
                    positional: list[str]) -> dict[str, Any] | None:
    kwargs: dict[str, Any] = {}
    for p in params:
        if p["kind"] == "argument":
            if not positional:
                if p.get("required"):
                    return None
                kwargs[p["name"]] = p.get("default")
                continue
            value = _convert(p, positional.pop(0))
            if value is _NOT_SURE:
                return None
            kwargs[p["name"]] = value
        elif p["name"] in given:
            kwargs[p["name"]] = given[p["name"]]
        elif p.get("required"):
            return None
        else:
            default = p.get("default")
            kwargs[p["name"]] = list(default) if p.get("multiple") and default is not None else default
    return None if positional else kwargs


def _convert(p: dict[str, Any], text: str) -> Any:
    """`text` as typer hands it to the command, or _NOT_SURE when typer should judge it."""
    kind = p["type"]
    name = kind["name"]
    if name == "str":
        return text
    if name == "path":
        return _path(text, kind)
    if name in ("int", "int range", "float", "float range"):
        try:
            number: float = int(text) if name.startswith("int") else float(text)
        except ValueError:
            return _NOT_SURE
        return number if _in_range(number, kind) else _NOT_SURE
    return _NOT_SURE


def _in_range(number: float, kind: dict[str, Any]) -> bool:
    low, high = kind.get("min"), kind.get("max")
    if kind.get("clamp"):
        return False
    if low is not None and (number <= low if kind.get("min_open") else number < low):
        return False
    return not (high is not None and (number >= high if kind.get("max_open") else number > high))


def _path(text: str, kind: dict[str, Any]) -> Any:
    """A path as typer converts it, after click's checks (an existing path must be readable
    when the type says so): the text for click's path type of str (`ws snapshot`'s, whose
    process then loads no pathlib: P5), else pathlib.Path (typer's for a Path parameter)."""
    if kind.get("allow_dash") and text == "-":
        return _NOT_SURE
    if kind.get("readable") and os.path.exists(text) and not os.access(text, os.R_OK):
        return _NOT_SURE
    if kind.get("type") == "str":
        return text
    from pathlib import Path as PathType

    return PathType(text)
