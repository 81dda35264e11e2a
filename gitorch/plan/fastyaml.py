"""YAML plans built straight from libyaml's parse events: the same data as PyYAML's
safe loader, several times faster on large plans.

`yaml.load` spends most of its time composing a node tree (two Mark objects per node) and
then constructing Python objects from it; libyaml's events alone cost a small fraction.
This builds dicts, lists and scalars from the events, resolving plain scalars with PyYAML's
own resolver and constructing non-string scalars with PyYAML's own safe constructors, so a
value means exactly what it means to `yaml.safe_load`. Anything rarer (merge keys, `!!set`
and other tags, complex keys, duplicate anchors, undefined aliases, several documents, a
syntax error) raises `Unsupported`, and the caller loads the text with the full loader,
which then gives the result or the error it always gives.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from gitorch.plan.yamlscalar import Unsupported

_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
# the safe constructors of the scalar tags a plan may use (the line reader builds with them too)
SCALARS = {t: SafeConstructor.yaml_constructors[t] for t in (
    "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp", _STR)}
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)




def load(text: str, duplicates: list[tuple[int, int, str]]) -> Any:
    """The document in `text` as PyYAML's safe loader builds it; keys repeated in one
    mapping are appended to `duplicates` as (line, column, key). Unsupported otherwise."""
    # One loop over the event stream, longer than 60 lines on purpose: this is the plan
    # loader's hot path (every scalar of every plan), and splitting it would pass the stack,
    # anchors and tag cache through a call per event for no gain in clarity.
    resolver = Resolver()
    constructor = SafeConstructor()
    tags: dict[str, str] = {}  # plain scalar -> resolved tag (plans repeat their keys a lot)
    anchors: dict[str, Any] = {}
    # open collections: [container, is_mapping, key awaited?, pending key]
    stack: list[list[Any]] = []
    root: Any = None
    documents = 0
    try:
        events: Any = yaml.parse(text, Loader=_LOADER)  # typed loosely: each kind has its own fields
        event: Any
        for event in events:
            kind = event.__class__
            if kind is ScalarEvent:
                value = _scalar(event, resolver, constructor, tags)
                if event.anchor is not None:
                    _anchor(anchors, event.anchor, value)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if event.tag not in (None, "!", _MAP if kind is MappingStartEvent else _SEQ):
                    raise Unsupported(event.tag)
                value = {} if kind is MappingStartEvent else []
                if event.anchor is not None:
                    _anchor(anchors, event.anchor, value)
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                stack.pop()
                continue
            elif kind is AliasEvent:
                if event.anchor not in anchors:
                    raise Unsupported("undefined alias")
                value = anchors[event.anchor]
            else:
                if kind is DocumentStartEvent:
                    documents += 1
                    if documents > 1:
                        raise Unsupported("several documents")
                continue
            if not stack:
                root = value
            else:
                frame = stack[-1]
                if not frame[1]:
                    frame[0].append(value)
                elif frame[2]:  # a key
                    if isinstance(value, dict | list):
                        raise Unsupported("complex key")
                    frame[2], frame[3] = False, value
                    if value in frame[0]:
                        mark = event.start_mark
                        duplicates.append((mark.line + 1, mark.column + 1, str(value)))
                else:
                    frame[0][frame[3]] = value
                    frame[2] = True
            if kind is MappingStartEvent:
                stack.append([value, True, True, None])
            elif kind is SequenceStartEvent:
                stack.append([value, False, False, None])
    except Unsupported:
        raise
    except Exception as exc:  # noqa: BLE001
        # a syntax error, or a scalar PyYAML's constructors fail on (`!!int ""`, 5,000 digits):
        # the full loader reports it as it always does
        raise Unsupported(type(exc).__name__) from exc
    return root


def _scalar(event: Any, resolver: Resolver, constructor: SafeConstructor, tags: dict[str, str]) -> Any:
    tag = event.tag
    value: str = event.value
    if tag is None or tag == "!":
        if event.implicit[0]:
            tag = tags.get(value)
            if tag is None:
                tag = tags[value] = resolver.resolve(ScalarNode, value, event.implicit)
        else:
            tag = _STR
    if tag == _STR:
        return value
    make = SCALARS.get(tag)
    if make is None:  # merge keys (`<<`), `=`, `!!binary`, application tags
        raise Unsupported(tag)
    return make(constructor, ScalarNode(tag, value))


def _anchor(anchors: dict[str, Any], name: str, value: Any) -> None:
    if name in anchors:
        raise Unsupported("duplicate anchor")
    anchors[name] = value
