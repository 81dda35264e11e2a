"""Helpers for view tests: events built by hand with the real event classes and a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gitorch import events as ev
from gitorch.plan.model import Approvals, FileExists, Orchestrator, Plan, Shard, Task

BASE = datetime(2026, 11, 22, 8, 0, 0, tzinfo=UTC)


class Log:
    """Builds one run's events in order; each event is `step` seconds after the last."""

    def __init__(self, run: str = "r-1", step: float = 1.0) -> None:
        self.run = run
        self.step = step
        self.t = 0.0
        self.events: list[ev.Event] = []

    def ts(self) -> str:
        self.t += self.step
        return (BASE + timedelta(seconds=self.t)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    def add(self, cls: type[ev.Event], task: str | None = None, **fields: Any) -> ev.Event:
        fields.setdefault("run", self.run)
        e = cls(ts=self.ts(), task=task, **fields)
        self.events.append(e)
        return e


@pytest.fixture
def log() -> Log:
    return Log()


def diamond_plan() -> Plan:
    """A -> (B, C) -> D, with C sharded and D gated on deploy."""
    return Plan(
        orchestrator=Orchestrator(approvals=Approvals(required=["deploy"])),
        tasks=[
            Task(id="A", title="Prepare", commands={"build": "make"}),
            Task(id="B", title="Left branch", dependencies=["A"], commands={"test": "make test"},
                 acceptance=[FileExists(path="out/b", label="File exists: out/b")]),
            Task(id="C", title="Right branch", dependencies=["A"],
                 shards=[Shard(id="C1", title="one"), Shard(id="C2", title="two")]),
            Task(id="D", title="Deploy it", type="deploy", dependencies=["B", "C"]),
        ],
    )
