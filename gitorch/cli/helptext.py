"""Help that reads as English: whole-sentence command summaries and word metavars.

typer (through its bundled click) cuts summaries at 45 characters with "..." and shows
`<str>`, `<int range>` and `{task}` for values. `polish` fixes one click command (and the
commands of a group) in place, when the root group hands it out, so it costs nothing until
a command is looked up, and only for the one that is.
"""

from __future__ import annotations

import re
from typing import Any

from typer._click import types as click_types
from typer.core import TyperArgument, TyperGroup, TyperOption

from gitorch.invocation import localize

# Option names whose value is an identifier, and those whose value is a file or folder.
_ID_NAMES = {"task", "run", "gate", "id", "session", "only", "skip", "since", "until", "shard", "for"}
_PATH_NAMES = {"file", "out", "output", "junit", "dir", "path", "root", "into", "cwd", "manifest", "input",
               "plan", "dest", "to"}
# Option names whose value reads better as another word.
_WORDS = {"by": "NAME", "types": "TYPE", "older_than": "AGE", "capability": "NAME", "remote": "REMOTE"}
_POLISHED = "_gitorch_polished"


def first_sentence(text: str | None) -> str:
    """The first paragraph of a docstring, up to its first full stop, on one line."""
    if not text:
        return ""
    paragraph = " ".join(text.strip().split("\n\n", 1)[0].split())
    match = re.search(r"(?<=[.!?])\s+(?=[A-Z`(])", paragraph)
    return paragraph[:match.start()] if match else paragraph


def option_word(param: TyperOption) -> str | None:
    """The metavar for an option's value: N, PATH, ID or its name in capitals."""
    kind = param.type
    if type(kind).__name__ == "Choice" or param.is_flag or param.count:
        return None
    if isinstance(kind, click_types.IntParamType | click_types.FloatParamType):
        return "N"
    if type(kind).__name__ in ("Path", "File") or isinstance(kind, click_types.File):
        return "PATH"
    name = (param.name or "").lower().rstrip("_")  # `for_`: a Python keyword as an option name
    if name in _WORDS:
        return _WORDS[name]
    if name in _ID_NAMES or name.endswith("_id"):
        return "ID"
    if name in _PATH_NAMES or name.endswith(("_file", "_dir", "_path")):
        return "PATH"
    return name.upper().replace("_", "-") or None


def _argument_metavar(param: TyperArgument) -> Any:
    word = (param.metavar or param.name or "").strip("{}[]").upper().replace("_", "-")
    if param.nargs != 1:
        word += "..."

    def make_metavar(ctx: Any, *, usage: bool = False) -> str:
        return f"[{word}]" if usage and not param.required else word

    return make_metavar


def polish(command: Any) -> Any:
    """Word metavars and whole-sentence summaries for `command` and, for a group, its commands."""
    if getattr(command, _POLISHED, False):
        return command
    setattr(command, _POLISHED, True)
    for param in command.params:
        if getattr(param, "help", None):
            param.help = localize(param.help)
        if isinstance(param, TyperOption) and param.metavar is None:
            param.metavar = option_word(param)
        elif isinstance(param, TyperArgument):
            param.make_metavar = _argument_metavar(param)  # type: ignore[method-assign]
    if command.help:  # the help names the command the user ran (`python orch.pyz resume`)
        command.help = localize(command.help)
    if command.short_help is None and command.help:
        command.short_help = first_sentence(command.help)
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            polish(sub)
    return command
