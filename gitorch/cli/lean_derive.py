"""Derive the lean start-up path's option table from the typer app (the one CLI definition).

`python -m gitorch.cli.lean_derive` rewrites gitorch/cli/lean_table.py from the live
click commands typer builds; tests/test_cli_lean.py fails while the checked-in table
differs from what this derives, so an option added, renamed or retyped in typer without
regenerating cannot slip past the lean path.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

# The commands the lean path may answer: the hot ones (docs/benchmarks.md P1, P2, P5, P8, P9).
HOT: tuple[tuple[str, ...], ...] = (
    ("run",), ("status",), ("next",), ("explain",), ("plan", "validate"), ("ws", "snapshot"),
)
TABLE = Path(__file__).with_name("lean_table.py")

_HEADER = '''# ruff: noqa: E501
"""The options of the hot commands, derived from the typer app: generated, do not edit.

Regenerate with `python -m gitorch.cli.lean_derive` after changing a hot command's options;
tests/test_cli_lean.py fails while this differs from the typer app.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

'''


def _type(kind: Any) -> dict[str, Any]:
    """A click parameter type as data: its name and the attributes that decide a conversion."""
    # a class as its name: a path's `type` is 'str' (text handed over) or None (typer makes a Path)
    attrs = {k: v.__name__ if isinstance(v, type) else v
             for k, v in sorted(vars(kind).items()) if not k.startswith("_") and k != "name"}
    return {"name": kind.name, **attrs}


# A parameter's attributes at these values are left out of the table, which stays short.
_USUAL: dict[str, Any] = {
    "secondary_opts": (), "flag": False, "count": False, "multiple": False, "nargs": 1, "default": None,
    "required": False, "envvar": None, "expose_value": True, "eager": False, "callback": False,
    "prompt": False,
}


def _param(param: Any) -> dict[str, Any]:
    """One click parameter as the lean parser reads it (help text left out: it parses nothing)."""
    default = param.default
    found = {
        "name": param.name, "kind": "option" if type(param).__name__.endswith("Option") else "argument",
        "opts": tuple(param.opts), "type": _type(param.type),
        "secondary_opts": tuple(param.secondary_opts),
        "flag": bool(getattr(param, "is_flag", False)), "count": bool(getattr(param, "count", False)),
        "multiple": bool(param.multiple), "nargs": param.nargs,
        "default": tuple(default) if isinstance(default, list | tuple) else default,
        "required": bool(param.required), "envvar": param.envvar, "expose_value": bool(param.expose_value),
        "eager": bool(param.is_eager), "callback": param.callback is not None,
        "prompt": getattr(param, "prompt", None) is not None,
    }
    return {k: v for k, v in found.items() if k not in _USUAL or _USUAL[k] != v}


def _command(command: Any) -> dict[str, Any]:
    return {
        "context_settings": dict(command.context_settings),
        "interspersed": bool(command.allow_interspersed_args),
        "ignore_unknown_options": bool(command.ignore_unknown_options),
        "extra_args": bool(command.allow_extra_args),
        "params": tuple(_param(p) for p in command.params),
    }


def _callback(command: Any) -> str | None:
    """A group's callback as `module:qualname` (it runs before each of its commands)."""
    cb = command.callback
    return None if cb is None else f"{cb.__module__}:{cb.__qualname__}"


def _group(command: Any) -> dict[str, Any]:
    return {"callback": _callback(command), "context_settings": dict(command.context_settings),
            "params": tuple(_param(p) for p in command.params)}


def derive() -> dict[str, Any]:
    """The table of the hot commands, read from the click commands typer builds for the app:
    the root and each group on the way (their callbacks run first), then the command."""
    import typer.main
    from typer import _click as click

    from gitorch.cli.app import app

    root = typer.main.get_command(app)
    ctx = click.Context(root)
    groups: dict[tuple[str, ...], Any] = {}
    commands: dict[tuple[str, ...], Any] = {}
    for path in HOT:
        command: Any = root
        for depth, word in enumerate(path):
            command = command.get_command(ctx, word)
            assert command is not None, f"no command {' '.join(path)} in the typer app"
            if depth < len(path) - 1:
                groups[path[:depth + 1]] = _group(command)
        commands[path] = _command(command)
    return {"root": _group(root), "groups": groups, "commands": commands}


def render(table: dict[str, Any]) -> str:
    """The source of lean_table.py for `table`: one line per parameter."""
    lines = [_HEADER + "TABLE: dict[str, Any] = {", "    \"root\": {"]
    lines += _entries(table["root"], "        ")
    lines += ["    },", "    \"groups\": {"]
    for path, group in table["groups"].items():
        lines += [f"        {path!r}: {{", *_entries(group, "            "), "        },"]
    lines += ["    },", "    \"commands\": {"]
    for path, command in table["commands"].items():
        lines += [f"        {path!r}: {{", *_entries(command, "            "), "        },"]
    lines += ["    },", "}", ""]
    return "\n".join(lines)


def _entries(data: dict[str, Any], indent: str) -> list[str]:
    lines = [f"{indent}{k!r}: {v!r}," for k, v in data.items() if k != "params"]
    lines.append(f"{indent}'params': (")
    lines += [f"{indent}    {p!r}," for p in data["params"]]
    lines.append(f"{indent}),")
    return lines


def main() -> None:
    TABLE.write_text(render(derive()), encoding="utf-8")
    sys.stdout.write(f"wrote {TABLE}\n")


if __name__ == "__main__":
    main()
