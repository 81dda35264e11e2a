"""The ready set: which tasks may start, given what finished, in plan order.

Pure bookkeeping (no processes, no store), O(edges) over a whole run: each task keeps a
count of unfinished dependencies, and a heap of ready tasks ordered by plan position.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from gitorch.views.states import TaskState

# a task's state in the scheduler: a TaskState, or "waiting" (a manual task waiting for its
# acceptance: status shows it in_progress, the run's summary lists it as waiting)
SchedulerState = TaskState | Literal["waiting"]
DONE: frozenset[SchedulerState] = frozenset({"completed", "skipped"})


class Scheduler:
    """Task states of one run, and the tasks whose dependencies are all done."""

    def __init__(
        self,
        deps: Mapping[str, Sequence[str]],
        order: Sequence[str],
        done: Iterable[str] = (),
        keep_going: bool = False,
    ) -> None:
        """`deps`: task -> its dependencies (all in the selection); `order`: plan order."""
        self.rank = {tid: i for i, tid in enumerate(order)}
        self.deps = {tid: list(deps.get(tid, ())) for tid in order}
        self.dependents: dict[str, list[str]] = {tid: [] for tid in order}
        for tid, ds in self.deps.items():
            for d in ds:
                self.dependents[d].append(tid)
        self.keep_going = keep_going
        self.halted = False
        self.state: dict[str, SchedulerState] = dict.fromkeys(order, "pending")
        self._missing = {tid: len(ds) for tid, ds in self.deps.items()}
        done_before = set(done)
        finished = [tid for tid in order if tid in done_before] if done_before else []
        for tid in finished:
            self.state[tid] = "completed"
        for tid in finished:
            for dep in self.dependents[tid]:
                self._missing[dep] -= 1
        state, missing = self.state, self._missing
        # in rank order, so already a heap: no heappush per task (a 1,000-task run: ~0.5 M instructions)
        self._ready: list[tuple[int, str]] = [(i, tid) for i, tid in enumerate(order)
                                               if state[tid] == "pending" and missing[tid] == 0]

    def _release(self, tid: str) -> None:
        for dep in self.dependents[tid]:
            self._missing[dep] -= 1
            if self._missing[dep] == 0 and self.state[dep] == "pending":
                heapq.heappush(self._ready, (self.rank[dep], dep))

    def has_ready(self) -> bool:
        return bool(self._ready) and not self.halted

    def pop(self) -> str:
        """The next ready task (plan order); its state becomes in_progress."""
        _, tid = heapq.heappop(self._ready)
        self.state[tid] = "in_progress"
        return tid

    def finish(self, tid: str, state: SchedulerState) -> list[str]:
        """Record how `tid` ended; returns the tasks this newly blocks (when it failed)."""
        self.state[tid] = state
        if state in DONE:
            self._release(tid)
            return []
        if state == "failed":
            if not self.keep_going:
                self.halted = True
            return self._block(tid)
        return []  # waiting / awaiting_approval / interrupted: dependents stay pending

    def finish_all(self, state: SchedulerState) -> list[str] | None:
        """Finish every pending task as `state` (completed or skipped) in the order a loop of
        `pop` and `finish` takes them, and return that order (engine/skipall: 1,000 tasks in
        one pass, not 1,000 heap pops). That order is the plan order when each task's
        dependencies come before it there (the heap's head is then always the earliest task
        not taken), and every task not pending is done; otherwise None, and nothing changes."""
        assert state in DONE
        rank, deps = self.rank, self.deps
        if self.halted or not set(self.state.values()) <= {"pending", *DONE}:
            return None
        if any(rank[d] >= rank[tid] for tid in [t for t, ds in deps.items() if ds] for d in deps[tid]):
            return None
        taken = [tid for tid, s in self.state.items() if s == "pending"]  # in plan order
        self.state.update(dict.fromkeys(taken, state))
        self._missing.update(dict.fromkeys(taken, 0))
        self._ready.clear()
        return taken

    def _block(self, failed: str) -> list[str]:
        blocked: list[str] = []
        stack = list(self.dependents[failed])
        while stack:
            tid = stack.pop()
            if self.state[tid] != "pending":
                continue
            self.state[tid] = "blocked"
            blocked.append(tid)
            stack.extend(self.dependents[tid])
        blocked.sort(key=self.rank.__getitem__)
        return blocked

    def reopen(self, tid: str) -> None:
        """Make a held task (awaiting an approval that has come) ready again."""
        if self.state[tid] != "awaiting_approval":
            return
        self.state[tid] = "pending"
        if self._missing[tid] == 0:
            heapq.heappush(self._ready, (self.rank[tid], tid))

    def count(self, *states: SchedulerState) -> int:
        return sum(1 for s in self.state.values() if s in states)

    def in_state(self, *states: SchedulerState) -> list[str]:
        return [tid for tid, s in self.state.items() if s in states]


def closure(deps: Mapping[str, Sequence[str]], targets: Iterable[str]) -> set[str]:
    """`targets` and everything they depend on, transitively."""
    out: set[str] = set()
    stack = list(targets)
    while stack:
        tid = stack.pop()
        if tid in out:
            continue
        out.add(tid)
        stack.extend(deps.get(tid, ()))
    return out


def rank_next(
    deps: Mapping[str, Sequence[str]], order: Sequence[str], states: Mapping[str, str],
) -> list[dict[str, object]]:
    """Tasks left to do, ranked: fewest unmet dependencies, then plan order.

    Those with no unmet dependency (every dependency completed or skipped) are `ready`;
    tasks done or waiting for an approval are left out.
    """
    out: list[tuple[int, int, str, list[str]]] = []
    for i, tid in enumerate(order):
        state = states.get(tid, "pending")
        if state in DONE or state == "awaiting_approval":
            continue
        unmet = [d for d in deps.get(tid, ()) if states.get(d, "pending") not in DONE]
        out.append((len(unmet), i, tid, unmet))
    out.sort()
    return [
        {"task": tid, "state": states.get(tid, "pending"), "ready": not unmet, "unmet": unmet}
        for _, _, tid, unmet in out
    ]
