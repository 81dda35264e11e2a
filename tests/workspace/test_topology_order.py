"""The snapshot's topology order: where no repo depends on another, the order is the names'
(graphlib is not imported for it); it is graphlib's ready rounds, sorted, for any graph."""

from __future__ import annotations

import graphlib
import random

from gitorch.workspace.snapshot import order_and_cycles


def _graphlib_order(graph: dict[str, set[str]]) -> list[str]:
    """graphlib's order of an acyclic graph, ties by name (each ready round sorted)."""
    sorter = graphlib.TopologicalSorter({k: sorted(v) for k, v in sorted(graph.items())})
    sorter.prepare()
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order.extend(ready)
        sorter.done(*ready)
    return order


def test_without_dependencies_the_order_is_graphlibs() -> None:
    rng = random.Random(15)
    for size in range(12):
        names = rng.sample([f"r{i}" for i in range(40)] + ["Zed", "a-b", "a.b", "a_b", "0x"], size)
        graph: dict[str, set[str]] = {name: set() for name in names}
        assert order_and_cycles(graph) == (_graphlib_order(graph), [])


def test_with_dependencies_the_order_is_graphlibs() -> None:
    rng = random.Random(16)
    for _ in range(200):
        names = [f"r{i}" for i in range(rng.randint(1, 9))]
        graph = {n: {m for m in names[:i] if rng.random() < 0.3} for i, n in enumerate(names)}  # acyclic
        order, cycles = order_and_cycles(graph)
        assert (order, cycles) == (_graphlib_order(graph), [])
