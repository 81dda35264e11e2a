"""gitorch.errors' hand-written classes behave as the dataclasses they replaced (kept here as
the reference): construction by position and keyword, defaults, equality, hashing, repr,
str, JSON, pickling and Location's immutability."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field

import pytest

from gitorch import errors


@dataclass(frozen=True)
class Location:
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None


@dataclass
class OrchError(Exception):
    message: str
    where: Location | None = None
    hint: str | None = None
    exit_code: int = errors.EXIT_USAGE

    def __post_init__(self) -> None:
        super().__init__(self.message)


@dataclass
class PlanError(OrchError):
    problems: list[OrchError] = field(default_factory=list)


@dataclass
class CheckFailed(OrchError):
    exit_code: int = errors.EXIT_FAILED


LOCATIONS = [(), ("f.yml",), ("f.yml", 3, 4, "tasks[0]"), ({"path": "tasks[1]"}), ({"line": 2})]


def _loc(cls: type, args: tuple | dict) -> object:  # type: ignore[type-arg]
    return cls(**args) if isinstance(args, dict) else cls(*args)


@pytest.mark.parametrize("args", LOCATIONS)
def test_location_is_the_frozen_dataclass(args: tuple | dict) -> None:  # type: ignore[type-arg]
    new, old = _loc(errors.Location, args), _loc(Location, args)
    assert vars(new) == vars(old)
    assert repr(new) == repr(old)
    assert hash(new) == hash(_loc(errors.Location, args)) and new == _loc(errors.Location, args)
    assert new != old  # another class: as two dataclasses, never equal
    assert new.__match_args__ == old.__match_args__  # type: ignore[attr-defined]
    assert str(new) == str(_loc(errors.Location, args))
    for attempt in (lambda: setattr(new, "file", "x"), lambda: delattr(new, "line")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            attempt()
    assert pickle.loads(pickle.dumps(new)) == new


CASES = [
    ("m",), ("m", None, "do this"), ("m", errors.Location("p.yml", 1), None, 5),
]


@pytest.mark.parametrize("args", CASES)
def test_errors_are_the_dataclasses(args: tuple) -> None:  # type: ignore[type-arg]
    def ref(a: tuple) -> tuple:  # type: ignore[type-arg]
        where = a[1] if len(a) > 1 else None
        return (a[0], Location(**vars(where)) if where else None, *a[2:])

    new, old = errors.OrchError(*args), OrchError(*ref(args))
    assert (new.message, new.hint, new.exit_code) == (old.message, old.hint, old.exit_code)
    assert new.args == old.args
    assert repr(new).replace("errors.", "") == repr(old).replace("errors.", "")
    assert new == errors.OrchError(*args) and new != errors.UsageError(*args)
    with pytest.raises(TypeError):
        hash(new)  # as a dataclass with equality
    with pytest.raises(TypeError):
        hash(old)
    back = pickle.loads(pickle.dumps(new))
    assert back == new and back.args == new.args
    kw = errors.OrchError(message="m", hint="h", exit_code=4)
    assert (kw.message, kw.where, kw.hint, kw.exit_code) == ("m", None, "h", 4)


def test_subclasses_keep_their_exit_codes_and_fields() -> None:
    assert errors.CheckFailed("x").exit_code == CheckFailed("x").exit_code == errors.EXIT_FAILED
    assert errors.CheckFailed("x", exit_code=9).exit_code == 9
    codes = {errors.Paused: errors.EXIT_PAUSED, errors.Busy: errors.EXIT_BUSY,
             errors.StateConflict: errors.EXIT_CONFLICT, errors.GitError: errors.EXIT_FAILED,
             errors.DiscoveryError: errors.EXIT_FAILED, errors.UsageError: errors.EXIT_USAGE,
             errors.ConfigError: errors.EXIT_USAGE, errors.NotARepoError: errors.EXIT_USAGE}
    assert {cls: cls("x").exit_code for cls in codes} == codes
    inner = errors.UsageError("bad", errors.Location("p.yml", 2, path="tasks[0]"))
    new = errors.PlanError("plan", None, None, errors.EXIT_USAGE, [inner])
    assert new.problems == [inner] and errors.PlanError("p").problems == PlanError("p").problems == []
    assert errors.PlanError("p").problems is not errors.PlanError("p").problems
    assert str(new) == "p.yml:2: tasks[0]: bad"
    assert new.to_json() == {"error": "PlanError", "message": "plan", "exit_code": 2, "problems": [
        {"error": "UsageError", "message": "bad", "file": "p.yml", "line": 2, "path": "tasks[0]",
         "exit_code": 2}]}
    assert repr(errors.PlanError("p")) == ("PlanError(message='p', where=None, hint=None, exit_code=2, "
                                           "problems=[])") == repr(PlanError("p"))
    err = errors.ConfigError("c", hint="h")
    err.hint = "changed"  # callers reword hints (config.read)
    assert str(err) == "c\n  hint: changed"
