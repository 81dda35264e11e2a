"""Acceptance strings and mappings, durations: the parsing rules one by one."""

from __future__ import annotations

import pytest

from gitorch.plan.acceptance import SpecProblem, parse_duration, parse_mapping, parse_string
from gitorch.plan.model import CommandCheck, Contains, FileAbsent, FileExists, Matches, NotContains
from gitorch.plan.spec import AcceptanceSpec


@pytest.mark.parametrize(("text", "check"), [
    ("Tests pass: cargo test --package x", CommandCheck(run="cargo test --package x")),
    ("File exists: src/error.rs", FileExists(path="src/error.rs")),
    ("File absent: build/", FileAbsent(path="build/")),
    ("Contains: enum AppError", Contains(text="enum AppError")),
    ("Contains: impl std::error::Error for AppError",
     Contains(text="impl std::error::Error for AppError")),
    ("Contains: fn main in src/main.rs", Contains(text="fn main", paths=["src/main.rs"])),
    ("Contains: x in y)", Contains(text="x in y)")),
    ("Contains: 'quoted in text' in a.md", Contains(text="quoted in text", paths=["a.md"])),
])
def test_seed_strings(text: str, check: object) -> None:
    parsed = parse_string(text)
    assert parsed == check.__class__(**{**_fields(check), "label": text})


def _fields(check: object) -> dict[str, object]:
    import msgspec

    return msgspec.structs.asdict(check)  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "message"), [
    ("Tests pass:", "names no command"),
    ("Run: make", "unknown acceptance check"),
    ("just words", "unknown acceptance check"),
    ("tests pass: make", "did you mean 'Tests pass: make'?"),
])
def test_bad_strings(text: str, message: str) -> None:
    with pytest.raises(SpecProblem) as info:
        parse_string(text)
    assert message in info.value.message + (info.value.hint or "")


def test_mappings() -> None:
    assert parse_mapping(AcceptanceSpec(run="make", exit_code=2, timeout="1m")) == CommandCheck(
        run="make", exit_code=2, timeout=60.0, label="run: make")
    assert parse_mapping(AcceptanceSpec(contains="x", in_="a.py")) == Contains(
        text="x", paths=["a.py"], label="contains: x in a.py")
    assert parse_mapping(AcceptanceSpec(not_contains="x", in_=["a", "b"], label="clean")) == NotContains(
        text="x", paths=["a", "b"], label="clean")
    assert parse_mapping(AcceptanceSpec(matches=r"^v\d+$")) == Matches(
        pattern=r"^v\d+$", label=r"matches: ^v\d+$")


@pytest.mark.parametrize(("spec", "message", "key"), [
    (AcceptanceSpec(), "needs exactly one of", None),
    (AcceptanceSpec(run="a", file_exists="b"), "(found run, file_exists)", None),
    (AcceptanceSpec(file_exists="a", in_="b"), "`in` only applies", "in"),
    (AcceptanceSpec(contains="a", exit_code=1), "only apply to `run`", "exit_code"),
    (AcceptanceSpec(matches="("), "not a valid regular expression", "matches"),
    (AcceptanceSpec(run=""), "`run` is empty", "run"),
    (AcceptanceSpec(run="x", timeout=0), "more than 0 seconds", "timeout"),
])
def test_bad_mappings(spec: AcceptanceSpec, message: str, key: str | None) -> None:
    with pytest.raises(SpecProblem) as info:
        parse_mapping(spec)
    assert message in info.value.message
    assert info.value.key == key


@pytest.mark.parametrize(("value", "seconds"), [
    (90, 90.0), (1.5, 1.5), ("90s", 90.0), ("10m", 600.0), ("1h30m", 5400.0), ("2h", 7200.0),
    ("1m30s", 90.0), ("45", 45.0), ("0.5s", 0.5), (" 10m ", 600.0),
])
def test_durations(value: float | str, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["", "soon", "10 minutes", "m", "-5", "1d", True, float("nan"),
                                   float("inf")])
def test_bad_durations(value: float | str) -> None:
    with pytest.raises(SpecProblem):
        parse_duration(value)
