"""`git orch plan schema`: the JSON Schema of what users write, for editors."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import yaml

from gitorch.plan.spec import PlanSpec, TaskSpec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _schema(cli: Callable[..., Any]) -> dict[str, Any]:
    result = cli("plan", "schema")
    assert result.exit_code == 0
    schema: dict[str, Any] = json.loads(result.stdout)
    return schema


def test_schema_describes_the_user_format(cli: Callable[..., Any]) -> None:
    schema = _schema(cli)
    assert schema["$schema"].endswith("2020-12/schema") and schema["$ref"] == "#/$defs/Plan"
    defs = schema["$defs"]
    assert set(defs["Plan"]["properties"]) == {f.encode_name for f in msgspec.structs.fields(PlanSpec)}
    assert set(defs["Task"]["properties"]) == {f.encode_name for f in msgspec.structs.fields(TaskSpec)}
    assert defs["Plan"]["properties"]["version"]["const"] == 1
    assert all(d.get("additionalProperties") is False for d in defs.values() if d.get("type") == "object")
    # acceptance: the seed's strings or a mapping with exactly one kind of check
    items = defs["Task"]["properties"]["acceptance"]["items"]["anyOf"]
    pattern = next(i["pattern"] for i in items if i.get("type") == "string")
    assert re.match(pattern, "Tests pass: make") and not re.match(pattern, "Test pass: make")
    assert {tuple(o["required"]) for o in defs["Acceptance"]["oneOf"]} == {
        ("run",), ("file_exists",), ("file_absent",), ("contains",), ("not_contains",), ("matches",)}
    assert "in" in defs["Acceptance"]["properties"]
    assert re.match(defs["Task"]["properties"]["id"]["pattern"], "EXC-001")
    assert not re.match(defs["Task"]["properties"]["id"]["pattern"], "my task")
    duration = _string_pattern(defs["Constraints"]["properties"]["timeout"])
    assert all(re.match(duration, d) for d in ("90s", "10m", "1h30m", "45"))
    assert not re.match(duration, "soon")


def _string_pattern(node: dict[str, Any]) -> str:
    """The pattern of the string alternative somewhere in `node`'s (nested) anyOf."""
    if node.get("type") == "string":
        return str(node["pattern"])
    return next(_string_pattern(o) for o in node["anyOf"] if o.get("type") in ("string", None))


def _keys_known(value: Any, node: dict[str, Any], defs: dict[str, Any]) -> list[str]:
    """Keys of `value` the schema does not list (following $ref, anyOf, items)."""
    if "$ref" in node:
        return _keys_known(value, defs[node["$ref"].rsplit("/", 1)[1]], defs)
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o.get("type") != "string" or isinstance(value, str)]
        results = [_keys_known(value, o, defs) for o in options]
        return min(results, key=len) if results else []
    if isinstance(value, dict) and "properties" in node:
        missing = [k for k in value if k not in node["properties"]]
        for k, v in value.items():
            if k in node["properties"]:
                missing += _keys_known(v, node["properties"][k], defs)
        return missing
    if isinstance(value, dict) and node.get("type") == "object":
        return []  # a free mapping (commands)
    if isinstance(value, list) and "items" in node:
        return [m for item in value for m in _keys_known(item, node["items"], defs)]
    return []


def test_every_key_of_the_examples_is_in_the_schema(cli: Callable[..., Any]) -> None:
    schema = _schema(cli)
    for name in ("orchestrator.yml", "minimal.yml", "release.yml"):
        data = yaml.safe_load((EXAMPLES / name).read_text())
        assert _keys_known(data, schema, schema["$defs"]) == [], name
