"""Manifest shapes from real projects: Mix requirements that are not literals, PEP 735 groups."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gitorch.errors import WorkspaceError
from gitorch.workspace.deps import parse_mix, parse_pyproject
from gitorch.workspace.links import make_link, restore
from gitorch.workspace.mix_edit import _check_elixir

PLUG = '''defmodule Plug.MixProject do
  use Mix.Project

  def project do
    [app: :plug, version: "1.16.0", deps: deps()]
  end

  defp plug_crypto_version, do: "~> 1.1.1 or ~> 1.2 or ~> 2.0"
  @mime_req "~> 1.0 or ~> 2.0"

  defp deps do
    [
      {:mime, @mime_req},
      {:plug_crypto, plug_crypto_version()},
      {:telemetry, "~> 0.4.3 or ~> 1.0", only: :test}
    ]
  end
end
'''


@pytest.mark.parametrize(("dep", "tuple_"), [
    ("plug_crypto", '{:plug_crypto, path: "../lib"}'),
    ("mime", '{:mime, path: "../lib"}'),
    ("telemetry", '{:telemetry, path: "../lib", only: :test}'),
])
def test_mix_requirement_that_is_not_a_literal(tmp_path: Path, dep: str, tuple_: str) -> None:
    app = tmp_path / "plug"
    app.mkdir()
    data = PLUG.encode()
    link, new = make_link(consumer="plug", consumer_dir=app, provider="lib", provider_dir=tmp_path / "lib",
                          ecosystem="mix", dep=dep, data=data)
    assert tuple_ in new.decode()
    _, deps = parse_mix("plug", new.decode())
    assert {d.name: d.source for d in deps}[dep] == "path"
    assert restore(link, new, app / "mix.exs") == data


def test_an_edit_that_is_not_valid_elixir_is_refused_with_file_and_line(tmp_path: Path) -> None:
    bad = PLUG.replace("{:plug_crypto, plug_crypto_version()}",
                       '{:plug_crypto, path: "../x", plug_crypto_version()}')
    with pytest.raises(WorkspaceError) as err:
        _check_elixir(bad, tmp_path / "mix.exs", 1)
    assert err.value.where is not None and err.value.where.line == 14
    assert "not be valid Elixir" in str(err.value) and err.value.where.file == str(tmp_path / "mix.exs")


@pytest.mark.skipif(shutil.which("elixir") is None, reason="elixir not installed")
def test_elixir_itself_reads_the_edit(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="not be valid Elixir"):
        _check_elixir(PLUG.replace("defp deps do", "defp deps do do"), tmp_path / "mix.exs", 1)
    _check_elixir(PLUG, tmp_path / "mix.exs", 1)


GROUPS = '''[project]
name = "flask"
version = "3.1"
dependencies = ["werkzeug>=3.1"]

[dependency-groups]
dev = ["ruff", "click>=8.1.3"]
docs = [{include-group = "dev"}, "sphinx"]
'''


def test_pep735_dependency_group_is_read_and_linked(tmp_path: Path) -> None:
    _, deps = parse_pyproject("flask", GROUPS)
    assert {(d.name, d.section) for d in deps} >= {("click", "dependency-groups.dev"),
                                                   ("sphinx", "dependency-groups.docs")}
    app = tmp_path / "flask"
    app.mkdir()
    link, new = make_link(consumer="flask", consumer_dir=app, provider="click",
                          provider_dir=tmp_path / "click", ecosystem="python", dep="click",
                          data=GROUPS.encode())
    assert f'"click @ {(tmp_path / "click").resolve().as_uri()}"' in new.decode()
    assert restore(link, new, app / "pyproject.toml") == GROUPS.encode()
