"""Structure: every place where a plan's value does not fit the input types (plan/spec.py).

msgspec converts a valid value in one C call; only when that fails do we walk the value to
name *every* offending key instead of the first.
"""

from __future__ import annotations

import re
import types
from typing import Annotated, Any, Union, get_args, get_origin

import msgspec

from gitorch.plan.issues import PlanIssue
from gitorch.plan.model import TASK_TYPES
from gitorch.plan.source import PathT

_WORDS = {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false",
          "object": "a mapping", "array": "a list", "null": "null"}


def structure(value: Any, tp: Any, path: PathT = ()) -> list[PlanIssue]:
    """Every place where `value` does not fit the input type `tp` (empty when it fits)."""
    inner = value.get("workflow") if isinstance(value, dict) else None
    if not path and isinstance(value, dict) and (isinstance(value.get("phases"), list) or (
            isinstance(inner, dict) and isinstance(inner.get("phases"), list))):
        return [PlanIssue(
            (), "this is a workflow-orchestrator workflow (phases of items), not a gitorch plan",
            "convert it with `git orch plan import FILE --out orchestrator.yml`")]
    out: list[PlanIssue] = []
    _walk(value, tp, path, out)
    return out


def _walk(value: Any, tp: Any, path: PathT, out: list[PlanIssue]) -> None:
    try:
        msgspec.convert(value, tp)
        return
    except msgspec.ValidationError as exc:
        error = exc
    members = _members(tp)
    if isinstance(value, dict):
        struct = next((m for m in members if isinstance(m, type) and issubclass(m, msgspec.Struct)), None)
        if struct is not None:
            _walk_struct(value, struct, path, out)
            return
        mapping = next((m for m in members if get_origin(m) is dict), None)
        if mapping is not None:
            value_type = get_args(mapping)[1]
            for key, item in value.items():
                if not isinstance(key, str):
                    out.append(PlanIssue(path, f"key {key!r} must be a string"))
                else:
                    _walk(item, value_type, (*path, key), out)
            return
    if isinstance(value, list):
        seq = next((m for m in members if get_origin(m) is list), None)
        if seq is not None:
            item_type = get_args(seq)[0]
            for i, item in enumerate(value):
                _walk(item, item_type, (*path, i), out)
            return
    out.append(PlanIssue(path, _leaf_message(error, value), _leaf_hint(path, value)))


def _walk_struct(
    value: dict[Any, Any], struct: type[msgspec.Struct], path: PathT, out: list[PlanIssue],
) -> None:
    fields = {f.encode_name: f for f in msgspec.structs.fields(struct)}
    for key, item in value.items():
        if not isinstance(key, str):
            out.append(PlanIssue(path, f"key {key!r} must be a string"))
            continue
        info = fields.get(key)
        if info is None:
            close = close_match(key, list(fields))
            hint = f"did you mean `{close[0]}`?" if close else "known keys: " + ", ".join(fields)
            out.append(PlanIssue((*path, key), f"unknown key `{key}`", hint))
            continue
        _walk(item, info.type, (*path, key), out)
    for name, info in fields.items():
        if info.required and name not in value:
            out.append(PlanIssue(path, f"missing required key `{name}`"))


def close_match(word: str, known: list[str]) -> list[str]:
    """The known word closest to `word`, if one is close (difflib, imported for a problem)."""
    import difflib

    return difflib.get_close_matches(word, known, n=1)


def _members(tp: Any) -> list[Any]:
    """The alternatives of a (possibly Annotated, possibly Optional) type."""
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) in (Union, types.UnionType):
        out: list[Any] = []
        for arg in get_args(tp):
            out.extend(_members(arg))
        return out
    return [tp]


def _leaf_message(error: msgspec.ValidationError, value: Any) -> str:
    text = re.sub(r" - at `\$[^`]*`$", "", str(error))
    text = re.sub(r"`([a-z |]+)`", lambda m: " or ".join(_WORDS.get(w.strip(), w.strip())
                                                       for w in m.group(1).split("|")), text)
    if text.startswith("Invalid enum value"):
        return f"invalid value {_short(value)}"
    if ", got" not in text and isinstance(value, str | int | float):
        text += f", got {_short(value)}"
    return text[:1].lower() + text[1:]


_HINTS = {
    "type": "one of " + ", ".join(TASK_TYPES),
    "version": "this gitorch reads plan version 1",
    "commands": 'a mapping of name -> shell command, e.g. {test: "python -m pytest -q"}',
    "dependencies": "a list of task ids, e.g. [EXC-001, DOC-001]",
    "acceptance": 'a list of checks, e.g. ["Tests pass: make test", {file_exists: dist/app}]',
    "tasks": "a list of tasks, each a mapping with at least an `id`",
    "shards": "a list of shards, each a mapping with at least an `id`",
}


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _leaf_hint(path: PathT, value: Any) -> str | None:
    key = path[-1] if path else None
    return _HINTS.get(key) if isinstance(key, str) else None
