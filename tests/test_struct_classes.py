"""The classes a run, status, next and explain create were dataclasses; they are msgspec
Structs now (class creation in C) or, in modules that stay standard library only, classes on
gitorch/frozen.py, so those commands load no `dataclasses`. Each is held beside the dataclass
it was (copied from its last definition): the same fields in the same order, the same
defaults (fresh ones from a factory), repr, equality, hash (frozen ones) or unhashability,
and immutability where the dataclass was frozen."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import pytest

from gitorch.config.model import Value
from gitorch.engine.checks import CheckContext
from gitorch.engine.history import History
from gitorch.engine.outputlog import DEFAULT_LIMIT, KeptOutput
from gitorch.engine.process import Child, CommandOutcome
from gitorch.engine.runner import RunContext, Sleep, Spawn, TaskResult
from gitorch.engine.runtypes import RunOptions, RunResult
from gitorch.engine.setup import Loaded
from gitorch.engine.start import Start
from gitorch.engine.verified import Verified
from gitorch.engine.worktree import StatusView, WorkTree
from gitorch.plan.acceptance import SpecProblem
from gitorch.plan.issues import PlanIssue
from gitorch.plan.load import LoadedPlan
from gitorch.plan.loader import _Loader, _TaskEntry
from gitorch.plan.repos import RepoCheck
from gitorch.plan.source import Document
from gitorch.repo import Repo
from gitorch.secrets.store import Resolved
from gitorch.store.journal import Known, Pending
from gitorch.store.loose import LooseWriter
from gitorch.store.statebranch import ReadResult


# The dataclasses as they were (annotations are strings: only the fields and flags count).
@dataclass(frozen=True)
class ValueDC:
    key: str
    value: Any
    level: str
    source: str


@dataclass
class CheckContextDC:
    root: Path
    preferred: Any
    repository: Path | None = None
    _files: list[str] | None = field(default=None, repr=False)
    _top: Path | None = field(default=None, repr=False)
    _named: dict[Any, Any] = field(default_factory=dict, repr=False)


@dataclass
class HistoryDC:
    events: list[Any]
    passes: dict[str, Any] = field(default_factory=dict)
    approvals: list[Any] = field(default_factory=list)
    watch_tasks: dict[str, Any] | None = None
    watch_awaiting: list[Any] | None = None
    commits: dict[str, str] = field(default_factory=dict)
    watch_load: Any = None
    watch_unmatched: str | None = None


@dataclass(frozen=True)
class KeptOutputDC:
    log: bytes
    excerpt: str
    cut: int


@dataclass
class CommandOutcomeDC:
    status: int | None
    duration: float
    timed_out: bool
    size: int
    error: str = ""


@dataclass(eq=False)
class ChildDC:
    pid: int
    fd: int
    log_fd: int
    started: float
    deadline: float | None
    timeout: float | None
    key: object
    term_sent: bool = False
    timed_out: bool = False
    popen: Any = None
    waited: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class SpawnDC:
    cmd: str
    cwd: Path
    env: Any
    log_path: Path
    timeout: float | None


@dataclass(frozen=True)
class SleepDC:
    seconds: float


@dataclass
class RunContextDC:
    run: str
    root: Path
    repo_root: Path
    scratch: Path
    excerpt_bytes: int
    redactor: Any
    base_env: Any
    env_for: Any
    root_for: Any = None
    agent: Any = None
    stopping: bool = False
    log_bytes: int = DEFAULT_LIMIT


@dataclass
class TaskResultDC:
    task: str
    outcome: str
    events: list[Any]
    files: dict[str, bytes] = field(default_factory=dict)
    reason: str = ""
    duration: float = 0.0


@dataclass
class RunOptionsDC:
    tasks: list[str] = field(default_factory=list)
    all: bool = False
    dry_run: bool = False
    resume: bool = False
    jobs: int | None = None
    keep_going: bool = False
    no_build: bool = False
    force: bool = False
    dashboard: bool | None = None
    argv: list[str] = field(default_factory=list)
    only: bool = False
    run_id: str | None = None
    edit_step: Any = None


@dataclass
class RunResultDC:
    run: str
    status: str
    exit_code: int
    counts: dict[str, int]
    failures: list[Any] = field(default_factory=list)
    awaiting: list[Any] = field(default_factory=list)
    waiting: list[Any] = field(default_factory=list)
    plan_changes: list[str] = field(default_factory=list)
    stale_approvals: list[Any] = field(default_factory=list)
    duration: float = 0.0
    commit: str | None = None
    resumed: bool = False
    build: str | None = None
    tree: str | None = None
    dirty: int = 0
    noted: bool = False
    sync: dict[str, Any] | None = None


@dataclass
class LoadedDC:
    repo: Any
    lp: Any
    settings: Any
    store: Any


@dataclass
class StartDC:
    run_id: str
    targets: list[str]
    resumed: bool = False
    latest: Any = None
    done: set[str] = field(default_factory=set)
    changes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class VerifiedDC:
    tree: str | None = None
    files: list[str] = field(default_factory=list)


@dataclass
class WorkTreeDC:
    oids: dict[str, str]
    tracked: list[str]
    untracked: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StatusViewDC:
    raw: bytes
    rehashed: dict[str, str]
    new: list[str]
    changed: list[str]
    gone: list[str]


@dataclass(frozen=True)
class RepoDC:
    root: Path | None
    git_dir: Path
    common_dir: Path


@dataclass(frozen=True)
class ResolvedDC:
    name: str
    value: str
    source: str
    where: str

    def __repr__(self) -> str:
        return f"Resolved(name={self.name!r}, source={self.source!r}, where={self.where!r})"


@dataclass(frozen=True)
class KnownDC:
    data: bytes
    events: Any


@dataclass
class PendingDC:
    path: Path
    events: list[Any] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LooseWriterDC:
    objects: str
    level: int = 1
    fsync: bool = False


@dataclass
class ReadResultDC:
    events: list[Any] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SpecProblemDC(Exception):
    message: str
    hint: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class PlanIssueDC:
    path: Any
    message: str
    hint: str | None = None


@dataclass
class DocumentDC:
    file: Path
    display: str
    fmt: str
    text: str
    data: Any
    raw: bytes = field(default=b"", repr=False)
    duplicates: list[Any] = field(default_factory=list)


@dataclass
class RepoCheckDC:
    issues: list[Any] = field(default_factory=list)
    globs: list[Any] = field(default_factory=list)
    files: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class LoadedPlanDC:
    plan: Any
    file: Path
    files: list[Path]
    root: Path
    display: str = ""
    known_digest: str = field(default="", repr=False)


@dataclass
class _TaskEntryDC:
    spec: Any
    raw: Any
    doc: Any
    local: Any


@dataclass
class _LoaderDC:
    base: Path
    docs: list[Any] = field(default_factory=list)
    entries: list[Any] = field(default_factory=list)
    issues: list[Any] = field(default_factory=list)
    errors: list[Any] = field(default_factory=list)
    seen: set[Path] = field(default_factory=set)
    globs: list[Any] = field(default_factory=list)
    head: Any = None
    extra_files: list[Any] = field(default_factory=list)


TMP = object()  # stands for the test's temporary directory (RunContext makes a folder under it)

# (class, the dataclass it was, positional arguments, keyword arguments): the arguments give
# every required field and some of the others.
PAIRS: list[tuple[type, type, tuple[Any, ...], dict[str, Any]]] = [
    (Value, ValueDC, ("jobs", 4, "repo"), {"source": "git config orch.jobs"}),
    (CheckContext, CheckContextDC, (Path("/r"), ("a/",)), {"_files": ["a/x"]}),
    (History, HistoryDC, ([],), {"commits": {"r1": "c1"}, "watch_unmatched": "b1"}),
    (KeptOutput, KeptOutputDC, (b"log", "tail"), {"cut": 3}),
    (CommandOutcome, CommandOutcomeDC, (0, 1.5, False, 10), {}),
    (Child, ChildDC, (10, 3, 4, 1.0, None, None, "k"), {"term_sent": True}),
    (Spawn, SpawnDC, ("make", Path("/r"), (("A", "1"),), Path("/l")), {"timeout": 2.0}),
    (Sleep, SleepDC, (0.5,), {}),
    (RunContext, RunContextDC, ("run1", Path("/r"), Path("/r"), TMP, 100, None, {}, None),
     {"stopping": True}),
    (TaskResult, TaskResultDC, ("a", "completed", []), {"reason": "ok"}),
    (RunOptions, RunOptionsDC, (["a"],), {"jobs": 2, "argv": ["run"]}),
    (RunResult, RunResultDC, ("run1", "completed", 0, {"completed": 1}), {"noted": True}),
    (Loaded, LoadedDC, ("repo", "lp", "settings"), {"store": "store"}),
    (Start, StartDC, ("run1", ["a"]), {"done": {"a"}}),
    (Verified, VerifiedDC, ("tree1",), {}),
    (WorkTree, WorkTreeDC, ({"a": "1"}, ["a"]), {"changed": ["a"]}),
    (StatusView, StatusViewDC, (b"raw", {}, [], ["a"]), {"gone": []}),
    (Repo, RepoDC, (Path("/r"), Path("/r/.git")), {"common_dir": Path("/r/.git")}),
    (Resolved, ResolvedDC, ("TOKEN", "s3cret", "env"), {"where": "env TOKEN"}),
    (Known, KnownDC, (b"line\n",), {"events": ()}),
    (Pending, PendingDC, (Path("/j/1"),), {"problems": ["bad line"]}),
    (LooseWriter, LooseWriterDC, ("/r/.git/objects",), {"fsync": True}),
    (ReadResult, ReadResultDC, (), {"problems": ["x"]}),
    (SpecProblem, SpecProblemDC, ("bad value",), {"key": "timeout"}),
    (PlanIssue, PlanIssueDC, (("tasks", 0, "id"), "not an id"), {}),
    (Document, DocumentDC, (Path("/r/p.yaml"), "p.yaml", "yaml", "version: 1\n", {"version": 1}),
     {"raw": b"version: 1\n"}),
    (RepoCheck, RepoCheckDC, (), {"files": [("w.toml", "ab")]}),
    (LoadedPlan, LoadedPlanDC, ("plan", Path("/r/p.yaml"), (Path("/r/p.yaml"),), Path("/r")),
     {"known_digest": "d1"}),
    (_TaskEntry, _TaskEntryDC, (None, {"id": "a"}, "doc"), {"local": ("tasks", 0)}),
    (_Loader, _LoaderDC, (Path("/r"),), {"head": "spec"}),
]
IDS = [p[0].__name__ for p in PAIRS]


def _fill(values: tuple[Any, ...], tmp: Path) -> tuple[Any, ...]:
    return tuple(tmp if v is TMP else v for v in values)


def _names(cls: Any) -> tuple[str, ...]:
    if issubclass(cls, msgspec.Struct):
        return tuple(cls.__struct_fields__)
    return tuple(cls.__match_args__)  # gitorch/frozen.py sets it from _fields; WorkTree lists it


def _values(obj: Any, names: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(getattr(obj, n) for n in names)


def _strip(text: str, cls: type) -> str:
    name = cls.__qualname__
    assert text.startswith((f"{name}(", f"{name.removesuffix('DC')}(")), text
    return text[text.index("("):]


def _hash(obj: object) -> int | type[TypeError]:
    try:
        return hash(obj)
    except TypeError:
        return TypeError


@pytest.mark.parametrize(("cls", "dc", "args", "kwargs"), PAIRS, ids=IDS)
def test_same_fields_order_and_defaults(cls: Any, dc: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
                                        tmp_path: Path) -> None:
    fields = dataclasses.fields(dc)
    names = tuple(f.name for f in fields)
    assert _names(cls) == names and cls.__match_args__ == dc.__match_args__
    full = cls(*_fill(args, tmp_path), **kwargs)
    required = [getattr(full, f.name) for f in fields
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    bare, again, bare_dc = cls(*required), cls(*required), dc(*required)
    assert _values(bare, names) == _values(bare_dc, names)  # the same defaults
    for f in fields:
        if f.default_factory is not dataclasses.MISSING:  # a fresh value for each instance
            assert getattr(bare, f.name) is not getattr(again, f.name)
    assert _values(cls(**{n: getattr(full, n) for n in names}), names) == _values(full, names)


@pytest.mark.parametrize(("cls", "dc", "args", "kwargs"), PAIRS, ids=IDS)
def test_repr_equality_and_hash_as_the_dataclass(cls: Any, dc: Any, args: tuple[Any, ...],
                                                 kwargs: dict[str, Any], tmp_path: Path) -> None:
    args = _fill(args, tmp_path)
    a, same, d = cls(*args, **kwargs), cls(*args, **kwargs), dc(*args, **kwargs)
    assert _strip(repr(a), cls) == _strip(repr(d), dc)
    names = tuple(f.name for f in dataclasses.fields(dc))
    other = cls(**{**{n: getattr(a, n) for n in names}, names[0]: "something else"})
    if dc.__dataclass_params__.eq:
        assert a == same and a != other and (a == d) is False and a != d
        assert a.__eq__(object()) is NotImplemented
        try:
            copy.copy(d)
        except AttributeError:  # a frozen exception: BaseException.__setstate__ assigns its fields
            with pytest.raises(AttributeError):
                copy.copy(a)
        else:
            assert copy.copy(a) == a
    else:  # eq=False: identity, hashable by identity
        assert a == a and a != same and hash(a) != hash(same) and a in {a}
    want = _hash(d)
    if want is TypeError:
        assert _hash(a) is TypeError  # mutable with eq, or a frozen one holding a list
    elif dc.__dataclass_params__.eq:
        assert hash(a) == hash(same)


@pytest.mark.parametrize(("cls", "dc", "args", "kwargs"), PAIRS, ids=IDS)
def test_frozen_ones_stay_frozen_and_the_others_change(cls: Any, dc: Any, args: tuple[Any, ...],
                                                       kwargs: dict[str, Any], tmp_path: Path) -> None:
    a = cls(*_fill(args, tmp_path), **kwargs)
    first = dataclasses.fields(dc)[0].name
    before = getattr(a, first)
    if dc.__dataclass_params__.frozen:
        for name in (first, "unknown"):
            with pytest.raises(AttributeError):  # FrozenInstanceError is an AttributeError
                setattr(a, name, "changed")
        with pytest.raises(AttributeError):
            delattr(a, first)
        assert getattr(a, first) is before
    else:
        setattr(a, first, "changed")
        assert getattr(a, first) == "changed"


def test_frozen_struct_copies_through_msgspec_replace() -> None:
    v = Value("jobs", 4, "repo", "git config orch.jobs")
    changed = msgspec.structs.replace(v, value=8)
    assert changed == Value("jobs", 8, "repo", "git config orch.jobs") and v.value == 4
    assert msgspec.structs.asdict(v) == dataclasses.asdict(ValueDC("jobs", 4, "repo", "git config orch.jobs"))


def test_members_beyond_the_fields_still_work(tmp_path: Path) -> None:
    wt = WorkTree({"b": "2", "a": "1"}, ["a", "b"])
    assert wt.files == ["a", "b"] and wt.files is wt.files  # cached_property
    repo = Repo(tmp_path, tmp_path / ".git", tmp_path / ".git")
    assert repo.scratch == tmp_path / ".git" / "orch" and repo.scratch.is_dir() and not repo.bare
    assert repo == Repo(tmp_path, tmp_path / ".git", tmp_path / ".git")  # the cached member is no field
    ctx = RunContext("run1", tmp_path, tmp_path, tmp_path, 100, None, {}, lambda t: {})  # type: ignore[arg-type]
    assert ctx.out_dir == tmp_path / "out" / "run1" and ctx.out_dir.is_dir()  # set by __post_init__
    assert ctx.log_path() != ctx.log_path()
    secret = Resolved("TOKEN", "s3cret", "env", "env TOKEN")
    assert "s3cret" not in repr(secret) and secret.value == "s3cret"
    check = CheckContext(tmp_path, ["a/"], _files=["a/x"])
    assert "a/x" not in repr(check) and check.files() == ["a/x"]


def test_spec_problem_is_the_exception_it_was() -> None:
    got, want = SpecProblem("bad value", "a hint"), SpecProblemDC("bad value", "a hint")
    assert got.args == want.args == ("bad value", "a hint") and str(got) == str(want)
    with pytest.raises(SpecProblem) as info:
        raise got
    assert info.value is got and info.value.message == "bad value" and info.value.key is None


def test_plan_members_beyond_the_fields_still_work() -> None:
    doc = Document(Path("/r/p.yaml"), "p.yaml", "yaml", "", None, raw=b"abc")
    assert doc.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # cached_property
    lp = LoadedPlan("plan", Path("/r/p.yaml"), [Path("/r/p.yaml")], Path("/r"), known_digest="d1")
    assert lp.digest == "d1" and lp.digest is lp.digest and "d1" not in repr(lp)
