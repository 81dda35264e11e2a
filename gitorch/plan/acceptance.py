"""Acceptance checks as written (the seed's strings or mappings) -> the stored `Check` form.

String forms, exactly as the seed writes them:
  "Tests pass: CMD"          -> CommandCheck(run=CMD)
  "File exists: PATH"        -> FileExists(path=PATH)
  "File absent: PATH"        -> FileAbsent(path=PATH)
  "Contains: TEXT"           -> Contains(text=TEXT)  (looked for in the task's preferred paths)
  "Contains: TEXT in PATH"   -> Contains(text=TEXT, paths=[PATH])
The last form splits at the last " in " only when what follows looks like a single path
(no spaces or brackets); quote the text ("Contains: \"a in b\"") to keep " in " inside it.
"""

from __future__ import annotations

import functools
import re

from gitorch.frozen import Frozen
from gitorch.plan.lazyre import LazyPattern
from gitorch.plan.model import (
    Check,
    CommandCheck,
    Contains,
    FileAbsent,
    FileExists,
    Matches,
    NotContains,
)
from gitorch.plan.spec import AcceptanceSpec

STRING_FORMS = ("Tests pass: CMD", "File exists: PATH", "File absent: PATH", "Contains: TEXT [in PATH]")
_PATHLIKE = LazyPattern(r"[\w./*?\-+@~]+")
_KINDS = ("run", "file_exists", "file_absent", "contains", "not_contains", "matches")
_DURATION = LazyPattern(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?")


class SpecProblem(Frozen, Exception):
    """A value the types accept but the plan format does not; `key` refines the location.
    A frozen dataclass's behaviour (gitorch/frozen.py; a Struct cannot be an Exception)."""

    _fields = ("message", "hint", "key")
    message: str
    hint: str | None
    key: str | None

    def __init__(self, message: str, hint: str | None = None, key: str | None = None) -> None:
        set_field = object.__setattr__
        set_field(self, "message", message)
        set_field(self, "hint", hint)
        set_field(self, "key", key)


def parse_duration(value: float | str, what: str = "duration") -> float:
    """Seconds from a number or a string such as "90s", "10m", "1h30m" (a bare "90" is seconds)."""
    if isinstance(value, bool):
        raise SpecProblem(f"{what} must be a number of seconds or a string like \"10m\"")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = value.strip().lower().replace(" ", "")
        try:
            seconds = float(text)
        except ValueError:
            m = _DURATION.fullmatch(text)
            if not text or m is None or not any(m.groups()):
                raise SpecProblem(
                    f"{what} {value!r} is not a duration", hint='use seconds or e.g. "90s", "10m", "1h30m"'
                ) from None
            h, mins, s = (float(g) if g else 0.0 for g in m.groups())
            seconds = h * 3600 + mins * 60 + s
    if seconds != seconds or seconds < 0 or seconds == float("inf"):
        raise SpecProblem(f"{what} must be a finite number of seconds >= 0, got {value!r}")
    return seconds


@functools.lru_cache(maxsize=4096)  # plans repeat their checks; a Check is immutable
def parse_string(text: str) -> Check:
    """One of the seed's acceptance strings -> its Check; SpecProblem for any other form."""
    head, sep, rest = text.partition(":")
    rest = rest.strip()
    form = head.strip()
    if sep:
        if form == "Tests pass":
            _need(rest, "command", text)
            return CommandCheck(run=rest, label=text)
        if form == "File exists":
            _need(rest, "path", text)
            return FileExists(path=rest, label=text)
        if form == "File absent":
            _need(rest, "path", text)
            return FileAbsent(path=rest, label=text)
        if form == "Contains":
            _need(rest, "text", text)
            body, paths = _split_in(rest)
            return Contains(text=body, paths=paths, label=text)
        known = ("Tests pass", "File exists", "File absent", "Contains")
        import difflib  # for a problem only

        close = difflib.get_close_matches(form.capitalize(), known, n=1, cutoff=0.7)
        if close:
            raise SpecProblem(f"unknown acceptance check {text!r}",
                              hint=f"did you mean {close[0] + ': ' + rest!r}?")
    raise SpecProblem(
        f"unknown acceptance check {text!r}",
        hint="use one of " + ", ".join(repr(f) for f in STRING_FORMS)
        + ", or a mapping such as {run: CMD} or {contains: TEXT, in: PATH}",
    )


def _need(value: str, what: str, text: str) -> None:
    if not value:
        raise SpecProblem(f"acceptance check {text!r} names no {what}")


def _split_in(rest: str) -> tuple[str, list[str]]:
    if len(rest) >= 2 and rest[0] == rest[-1] and rest[0] in "\"'":
        return rest[1:-1], []
    body, sep, path = rest.rpartition(" in ")
    if sep and body.strip() and _PATHLIKE.fullmatch(path.strip()):
        body = body.strip()
        if len(body) >= 2 and body[0] == body[-1] and body[0] in "\"'":
            body = body[1:-1]
        return body, [path.strip()]
    return rest, []


def parse_mapping(spec: AcceptanceSpec) -> Check:
    """A structured acceptance mapping -> its Check; SpecProblem when it is ambiguous or empty."""
    given = [k for k in _KINDS if getattr(spec, k) is not None]
    if len(given) != 1:
        raise SpecProblem(
            "an acceptance mapping needs exactly one of " + ", ".join(_KINDS)
            + (f" (found {', '.join(given)})" if given else ""),
        )
    kind = given[0]
    value: str = getattr(spec, kind)
    if kind != "run" and (spec.exit_code != 0 or spec.timeout is not None):
        raise SpecProblem(f"exit_code and timeout only apply to `run`, not `{kind}`",
                          key="exit_code" if spec.exit_code != 0 else "timeout")
    if kind in ("run", "file_exists", "file_absent") and spec.in_ is not None:
        raise SpecProblem(f"`in` only applies to contains, not_contains and matches, not `{kind}`",
                          key="in")
    if not value:
        raise SpecProblem(f"`{kind}` is empty", key=kind)
    paths = [spec.in_] if isinstance(spec.in_, str) else list(spec.in_ or [])
    if kind == "run":
        timeout = None if spec.timeout is None else _timeout(spec.timeout)
        return CommandCheck(run=value, exit_code=spec.exit_code, timeout=timeout,
                            label=spec.label or f"run: {value}")
    if kind == "file_exists":
        return FileExists(path=value, label=spec.label or f"file_exists: {value}")
    if kind == "file_absent":
        return FileAbsent(path=value, label=spec.label or f"file_absent: {value}")
    where = f" in {', '.join(paths)}" if paths else ""
    if kind == "contains":
        return Contains(text=value, paths=paths, label=spec.label or f"contains: {value}{where}")
    if kind == "not_contains":
        return NotContains(text=value, paths=paths, label=spec.label or f"not_contains: {value}{where}")
    try:
        re.compile(value)
    except re.error as exc:
        raise SpecProblem(f"`matches` is not a valid regular expression: {exc}", key="matches") from None
    return Matches(pattern=value, paths=paths, label=spec.label or f"matches: {value}{where}")


def _timeout(value: float | str) -> float:
    try:
        seconds = parse_duration(value, "timeout")
    except SpecProblem as exc:
        raise SpecProblem(exc.message, exc.hint, key="timeout") from None
    if seconds <= 0:
        raise SpecProblem("timeout must be more than 0 seconds", key="timeout")
    return seconds


def parse(item: str | AcceptanceSpec) -> Check:
    """An acceptance item as written -> its Check."""
    return parse_string(item) if isinstance(item, str) else parse_mapping(item)


def check_paths(check: Check) -> list[str]:
    """The repository paths a check names (for escape checks and input tracking)."""
    kind = type(check)  # exact types: this runs for every check of a 10,000-task plan
    if kind is FileExists or kind is FileAbsent:
        return [check.path]  # type: ignore[union-attr]
    if kind is CommandCheck:
        return []
    return check.paths  # type: ignore[union-attr]
