"""A strict reader for the Mermaid subset the views write, so tests can check the diagrams.

It accepts only the statements gitorch emits and checks what Mermaid itself would reject or
silently draw wrong: undeclared nodes, classes used but not defined, labels with raw quotes.
(The same outputs were also checked once with mermaid 11's own parser; see the views report.)
"""

from __future__ import annotations

import re

_NODE = re.compile(r'  (\w+)\["([^"]*)"\]$')
_SHARD = re.compile(r'  (\w+)\(\["([^"]*)"\]\)$')
_EDGE = re.compile(r"  (\w+) (-->|-\.-) (\w+)$")
_CLASSDEF = re.compile(r"  classDef (\w+) ([\w:#,.%-]+)$")
_CLASS = re.compile(r"  class ([\w,]+) (\w+)$")


def mermaid_blocks(markdown: str) -> list[str]:
    """The bodies of the ```mermaid fences in `markdown`."""
    return re.findall(r"```mermaid\n(.*?)\n```", markdown, flags=re.S)


def read_flowchart(text: str) -> tuple[dict[str, str], dict[str, str], list[tuple[str, str, str]]]:
    """(node -> label, node -> class, edges); AssertionError on anything unexpected."""
    lines = text.split("\n")
    assert lines[0] == "flowchart TD", lines[0]
    labels: dict[str, str] = {}
    classes: dict[str, str] = {}
    defined: set[str] = set()
    edges: list[tuple[str, str, str]] = []
    for line in lines[1:]:
        if m := _NODE.match(line) or _SHARD.match(line):
            assert m.group(1) not in labels, f"node declared twice: {line}"
            labels[m.group(1)] = m.group(2)
        elif m := _EDGE.match(line):
            assert m.group(1) in labels and m.group(3) in labels, f"edge to undeclared node: {line}"
            edges.append((m.group(1), m.group(2), m.group(3)))
        elif m := _CLASSDEF.match(line):
            defined.add(m.group(1))
        elif m := _CLASS.match(line):
            assert m.group(2) in defined, f"class used before classDef: {line}"
            for node in m.group(1).split(","):
                assert node in labels, f"class for undeclared node: {line}"
                assert node not in classes, f"node in two classes: {line}"
                classes[node] = m.group(2)
        else:
            raise AssertionError(f"not a statement gitorch writes: {line!r}")
    assert set(classes) == set(labels), "every node gets exactly one class"
    return labels, classes, edges


_GANTT_ROW = re.compile(
    r"  ([^:;#\n]+) :((?:done|active|crit), )?([gs]\d+), "
    r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}), (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})$"
)


def read_gantt(text: str) -> dict[str, tuple[str, str, str, str]]:
    """task name -> (section, tag, start, end); AssertionError on anything unexpected."""
    lines = text.split("\n")
    assert lines[0] == "gantt"
    assert "  dateFormat YYYY-MM-DD HH:mm:ss.SSS" in lines
    rows: dict[str, tuple[str, str, str, str]] = {}
    section = ""
    for line in lines[1:]:
        if line.startswith(("  title ", "  dateFormat ", "  axisFormat ")) or line == "  todayMarker off":
            continue
        if line.startswith("  section "):
            section = line.removeprefix("  section ")
            continue
        m = _GANTT_ROW.match(line)
        assert m, f"not a gantt row: {line!r}"
        assert m.group(4) < m.group(5), f"bar must have a length: {line}"
        rows[m.group(1)] = (section, (m.group(2) or "").rstrip(", "), m.group(4), m.group(5))
    return rows
