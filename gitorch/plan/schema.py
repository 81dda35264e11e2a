"""The JSON Schema of the plan format users write, generated from the input types
(`plan/spec.py`) with msgspec, plus the rules types cannot say (one check kind per
acceptance mapping, the accepted acceptance strings, id and duration patterns)."""

from __future__ import annotations

from typing import Any

import msgspec

from gitorch.plan.spec import IncludedSpec, PlanSpec
from gitorch.plan.validate import ID_PATTERN

SCHEMA_ID = "https://gitorch.invalid/schema/plan-v1.json"
ACCEPTANCE_STRING = r"^(Tests pass|File exists|File absent|Contains): \S"
DURATION_STRING = r"^\s*(\d+(\.\d+)?|(\d+(\.\d+)?h)?(\d+(\.\d+)?m)?(\d+(\.\d+)?s)?)\s*$"
_KINDS = ("run", "file_exists", "file_absent", "contains", "not_contains", "matches")


def plan_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a plan file; included files use `$defs/IncludedFile`."""
    (main, included), components = msgspec.json.schema_components([PlanSpec, IncludedSpec])
    defs = {_short(name): _rename(body) for name, body in components.items()}
    acceptance = defs["Acceptance"]
    acceptance["oneOf"] = [{"required": [k]} for k in _KINDS]
    for name in ("Task", "Shard"):
        defs[name]["properties"]["id"]["pattern"] = ID_PATTERN
    defs["Plan"]["properties"]["version"]["const"] = 1
    defs["Plan"]["patternProperties"] = {"^x-": {}}  # the author's own keys, e.g. YAML anchors
    # an included file may also be a bare list of tasks
    defs["IncludedFile"] = {"anyOf": [{"type": "array", "items": {"$ref": "#/$defs/Task"}},
                                      {"$ref": "#/$defs/Included"}]}
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "gitorch plan (orchestrator.yml)",
        **_rename(main),
        "$defs": defs,
    }
    _patterns(schema)
    return schema


def _short(name: str) -> str:
    base = name.removesuffix("Spec")
    return "Included" if base == "Included" else base


def _rename(node: Any) -> Any:
    """Point $refs at the short names (Plan, Task, … rather than PlanSpec, TaskSpec)."""
    if isinstance(node, dict):
        out = {k: _rename(v) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            out["$ref"] = "#/$defs/" + _short(ref.removeprefix("#/$defs/"))
        title = out.get("title")
        if isinstance(title, str) and title.endswith("Spec"):
            out["title"] = _short(title)
        return out
    if isinstance(node, list):
        return [_rename(v) for v in node]
    return node


def _patterns(node: Any) -> None:
    """Give the string alternative of acceptance items and durations their accepted forms."""
    if isinstance(node, dict):
        alts = node.get("anyOf")
        if isinstance(alts, list):
            refs = {a.get("$ref") for a in alts if isinstance(a, dict)}
            types = {a.get("type") for a in alts if isinstance(a, dict)}
            for alt in alts:
                if isinstance(alt, dict) and alt.get("type") == "string":
                    if "#/$defs/Acceptance" in refs:
                        alt["pattern"] = ACCEPTANCE_STRING
                    elif "number" in types:
                        alt["pattern"] = DURATION_STRING
        for value in node.values():
            _patterns(value)
    elif isinstance(node, list):
        for value in node:
            _patterns(value)
