"""The plain scalars of the line reader resolve as PyYAML resolves them, without PyYAML:
its table of implicit resolvers is copied in plan/yamlscalar.py and held here to PyYAML's own,
and the values built there (bools, nulls, decimal ints) to its safe constructor's."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from gitorch.plan import yamlscalar
from gitorch.plan.fastyaml import SCALARS
from tests.plan.test_blockyaml import SCALARS_11, _same


def test_the_resolvers_are_pyyamls() -> None:
    theirs = {first: [(tag, rx.pattern, rx.flags) for tag, rx in found]
              for first, found in Resolver.yaml_implicit_resolvers.items()}
    mine = {first: [(tag, yamlscalar._expression(tag).pattern, yamlscalar._expression(tag).flags)
                    for tag in tags] for first, tags in yamlscalar.RESOLVERS.items()}
    assert mine == theirs


def _pyyaml(text: str) -> Any:
    tag = Resolver().resolve(ScalarNode, text, (True, False))
    if tag == "tag:yaml.org,2002:str":
        return text
    return SCALARS[tag](SafeConstructor(), ScalarNode(tag, text))


@settings(max_examples=500, deadline=None, derandomize=True)
@given(text=st.one_of(st.sampled_from(SCALARS_11), st.text(alphabet="0123456789+-_.:xobeEaAfFnNyYtTlsuO~ ",
                                                            min_size=1, max_size=8)))
def test_plain_scalars_are_what_pyyaml_makes_of_them(text: str) -> None:
    try:
        theirs = _pyyaml(text)
    except Exception:  # noqa: BLE001 - PyYAML refuses it: the reader leaves it to PyYAML
        try:
            yamlscalar.plain(text)
        except yamlscalar.Unsupported:
            return
        raise AssertionError(f"{text!r} read, PyYAML refuses it") from None
    assert _same(yamlscalar.plain(text), theirs), text


def test_a_block_plan_is_read_without_importing_pyyaml(tmp_path: Any) -> None:
    plan = tmp_path / "orchestrator.yml"
    plan.write_text("version: 1\ntasks:\n- id: A\n  dependencies: []\n- id: B\n  retry:\n    attempts: 3\n"
                    "  dependencies:\n  - A\n  paths:\n  - src\n  agent: yes\n  title: '1.5'\n")
    code = ("import sys; from gitorch.plan.source import read_document; from pathlib import Path; "
            f"d = read_document(Path({str(plan)!r}), 'p'); "
            "assert d.data['tasks'][1]['retry'] == {'attempts': 3}; "
            "print('yaml' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
