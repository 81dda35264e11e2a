"""Manifest parsers and link edits on real-world shaped files: parse, edit, restore exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitorch.errors import WorkspaceError
from gitorch.workspace import deps as D
from gitorch.workspace import links as L

# Shaped like real files: module attributes, tuples outside deps (xref), example tuples in
# comments, multi-line options, `do:` one-liners.
MIX_REAL = '''defmodule PhoenixThing.MixProject do
  use Mix.Project

  @source_url "https://github.com/example/phoenix_thing"
  @version "4.7.0"

  def project do
    [
      app: :phoenix_thing,
      version: @version,
      elixir: "~> 1.11",
      deps: deps(),
      xref: [exclude: [{Ecto.Migrator, :migrations, 3}]]
    ]
  end

  def application do
    [mod: {PhoenixThing.Application, []}, extra_applications: [:logger]]
  end

  # Dependencies can be Hex packages:
  #   {:mydep, "~> 0.3.0"}
  defp deps do
    [
      {:phoenix_html, "~> 2.14.2 or ~> 3.0 or ~> 4.1", optional: true},
      {:ecto, "~> 3.5"},
      {:plug, "~> 1.0"},
      {:local_dep, path: "../local_dep"},
      {:ex_doc, ">= 0.0.0", only: :docs},
      {:gettext, github: "elixir-gettext/gettext", branch: "main"},
      {:jason,
       "~> 1.0",
       only: [:dev, :test]}
    ]
  end

  defp package do
    [maintainers: ["A"], links: %{"GitHub" => @source_url}]
  end
end
'''

GO_REAL = '''module github.com/example/service

go 1.22.0

toolchain go1.22.3

require (
\tgithub.com/google/uuid v1.6.0
\tgithub.com/example/lib v0.4.1 // pinned until #12
\tgolang.org/x/sync v0.7.0 // indirect
)

require github.com/stretchr/testify v1.9.0

replace github.com/example/old => github.com/example/new v1.2.0

replace (
\tgithub.com/example/forked v1.0.0 => ../forked
)

exclude golang.org/x/net v0.1.0

retract (
\tv1.0.1 // published by mistake
)
'''


def test_mix_parser_on_real_shaped_file() -> None:
    name, deps = D.parse_mix("x", MIX_REAL)
    assert name == "phoenix_thing"
    by = {d.name: d for d in deps}
    assert sorted(by) == ["ecto", "ex_doc", "gettext", "jason", "local_dep", "phoenix_html", "plug"]
    assert by["local_dep"].source == "path" and by["local_dep"].path == "../local_dep"
    assert by["gettext"].source == "git"
    assert by["ecto"].source == "registry"


def test_go_parser_on_real_shaped_file() -> None:
    name, deps = D.parse_go_mod("x", GO_REAL)
    assert name == "github.com/example/service"
    req = sorted(d.name for d in deps if d.section == "require")
    assert req == ["github.com/example/lib", "github.com/google/uuid", "github.com/stretchr/testify",
                   "golang.org/x/sync"]
    rep = {d.name: d for d in deps if d.section == "replace"}
    assert rep["github.com/example/forked"].path == "../forked"
    assert rep["github.com/example/old"].source == "registry"


def test_pyproject_and_cargo_and_npm_parsers() -> None:
    name, deps = D.parse_pyproject("x", '[project]\nname="a"\ndependencies=["b>=1", "c @ file:///tmp/c"]\n'
                                   '[project.optional-dependencies]\ndev=["d"]\n'
                                   '[tool.uv.sources]\nb = { path = "../b", editable = true }\n'
                                   'e = { git = "https://x" }\n')
    assert name == "a"
    assert {(d.name, d.source, d.section) for d in deps} == {
        ("b", "registry", "project.dependencies"), ("c", "path", "project.dependencies"),
        ("d", "registry", "project.optional-dependencies.dev"), ("b", "path", "tool.uv.sources"),
        ("e", "git", "tool.uv.sources")}
    name, deps = D.parse_cargo("x", '[package]\nname="k"\n[dependencies]\nx="1"\ny={path="../y"}\n'
                                    'z={package="zz", git="https://g"}\n[patch.crates-io]\nx={path="../x"}\n')
    assert name == "k"
    assert {(d.name, d.source, d.section) for d in deps} == {
        ("x", "registry", "dependencies"), ("y", "path", "dependencies"), ("zz", "git", "dependencies"),
        ("x", "path", "patch.crates-io")}
    name, deps = D.parse_package_json("x", '{"name":"p","dependencies":{"a":"file:../a","b":"^1"},'
                                           '"devDependencies":{"c":"github:o/c"}}')
    assert name == "p"
    assert {(d.name, d.source, d.path) for d in deps} == {("a", "path", "../a"), ("b", "registry", None),
                                                          ("c", "git", None)}


@pytest.mark.parametrize("eco,text", [
    ("python", "[project\n"), ("npm", "{"), ("cargo", "x = \n"), ("go", "require x v1\n"),
    ("mix", "defmodule X do\nend\n"),
])
def test_unparsable_manifests_raise(eco: str, text: str) -> None:
    with pytest.raises(D.ManifestSyntaxError):
        D.PARSERS[eco]("x", text)


CASES = [
    # (ecosystem, file text, dep, extra files in the consumer dir, expected substring after)
    ("python", '[project]\nname = "a"\ndependencies = ["lib>=1"]\n\n[tool.uv.sources]\n'
               'other = { git = "https://x" }  # keep\n\n[tool.ruff]\nline-length = 100\n',
     "lib", {"uv.lock": ""}, 'lib = { path = "../lib", editable = true }'),
    ("python", '[project]\nname = "a"\ndependencies = [\n  "Lib_Name[x]>=1",  # c\n]\n',
     "lib-name", {}, "Lib_Name[x] @ file://"),
    ("python", '[project]\r\nname = "a"\r\ndependencies = ["lib"]\r\n[tool.uv]\r\npackage = true\r\n',
     "lib", {}, '[tool.uv.sources]\r\nlib = { path = "../lib", editable = true }\r\n'),
    ("npm", '{\n  "name": "a",\n  "devDependencies": {"lib": "1"},\n  "x": {"dependencies": {"lib": "2"}}\n}',
     "lib", {}, '"devDependencies": {"lib": "file:../lib"}'),
    ("mix", MIX_REAL, "jason", {}, '{:jason, path: "../lib", only: [:dev, :test]}'),
    ("mix", MIX_REAL, "gettext", {}, '{:gettext, path: "../lib"}'),
]


@pytest.mark.parametrize("eco,text,dep,extra,expect", CASES)
def test_link_edit_is_minimal_and_restores_exactly(tmp_path: Path, eco: str, text: str, dep: str,
                                                   extra: dict[str, str], expect: str) -> None:
    consumer, provider = tmp_path / "app", tmp_path / "lib"
    consumer.mkdir()
    provider.mkdir()
    for name, body in extra.items():
        (consumer / name).write_text(body)
    data = text.encode()
    link, new = L.make_link(consumer="app", consumer_dir=consumer, provider="lib", provider_dir=provider,
                            ecosystem=eco, dep=dep, data=data)
    after = new.decode()
    assert expect in after
    # Only the recorded span changed; every other byte (comments, spacing) survives.
    assert after == text[:link.offset] + link.replacement + text[link.offset + len(link.preimage):]
    assert L.restore(link, new, consumer / "f") == data
    assert L.redo(link, data) == new
    # The edited file still parses, with the dependency now a path dependency.
    _, found = D.PARSERS[eco]("app", after)
    assert any(d.source == "path" and D.normalise(eco, d.name) == D.normalise(eco, dep) for d in found)


OVERLAY_CASES = [
    # (ecosystem, tracked manifest, overlay before (None: absent), dep, overlay after)
    ("cargo", '[dependencies]\nlib = { version = "1", features = ["x"] }\n', None, "lib",
     '[patch.crates-io]\nlib = { path = "../lib" }\n'),
    ("cargo", '[dependencies]\nlib = "1"\n', '[patch.crates-io]\nother = { path = "../other" }  # keep\n',
     "lib", '[patch.crates-io]\nlib = { path = "../lib" }\nother = { path = "../other" }  # keep\n'),
    ("go", "module a\n\ngo 1.22\n\nrequire example.com/lib v1.0.0\n", None, "example.com/lib",
     "go 1.22\n\nuse .\n\nreplace example.com/lib => ../lib\n"),
    ("go", "module a\n\nrequire (\n\texample.com/lib v1.0.0\n)\n",
     "go 1.21\n\nuse .\n\nreplace (\n\texample.com/lib v1.0.0 => ../old\n)\n", "example.com/lib",
     "go 1.21\n\nuse .\n\nreplace (\n\texample.com/lib => ../lib\n)\n"),
]


@pytest.mark.parametrize("eco,manifest,overlay,dep,expect", OVERLAY_CASES)
def test_go_and_cargo_links_edit_the_overlay_only(tmp_path: Path, eco: str, manifest: str,
                                                  overlay: str | None, dep: str, expect: str) -> None:
    from gitorch.workspace.overlay import DECLARING, OVERLAYS, read_overlays

    consumer, provider = tmp_path / "app", tmp_path / "lib"
    consumer.mkdir()
    provider.mkdir()
    (consumer / DECLARING[eco]).write_text(manifest)
    data = None if overlay is None else overlay.encode()
    link, new = L.make_link(consumer="app", consumer_dir=consumer, provider="lib", provider_dir=provider,
                            ecosystem=eco, dep=dep, data=data)
    assert (link.file, new.decode()) == (OVERLAYS[eco], expect)
    assert (consumer / DECLARING[eco]).read_text() == manifest  # the tracked file is untouched
    assert link.hashes.before == ("" if data is None else link.hashes.before) and link.hashes.after
    assert L.restore(link, new, consumer / link.file) == (data or b"")
    (consumer / link.file).parent.mkdir(exist_ok=True)
    (consumer / link.file).write_bytes(new)
    deps, files, diags = read_overlays("app", consumer)
    assert not diags and [f.file for f in files] == [link.file]
    assert [(d.name, d.path) for d in deps if d.name == dep] == [(dep, "../lib")]


def test_exclude_lines_come_out_byte_for_byte() -> None:
    from gitorch.workspace.overlay import add_exclude, remove_exclude

    for old in (None, b"", b"*.log\n", b"# git ls-files --others --exclude-from=.git/info/exclude\n*.o"):
        added = add_exclude(old, "go.work")
        assert b"\n/go.work\n" in added or added.endswith(b"/go.work\n")
        assert remove_exclude(added, "go.work") == old
    assert remove_exclude(b"*.log\n", "go.work") == b"*.log\n"


def test_link_refuses_undeclared_and_git_dependencies(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="does not declare"):
        L.make_link(consumer="a", consumer_dir=tmp_path, provider="b", provider_dir=tmp_path / "b",
                    ecosystem="npm", dep="lib", data=b'{"dependencies": {"x": "1"}}')
    (tmp_path / "Cargo.toml").write_text('[dependencies]\nlib = { git = "https://x" }\n')
    with pytest.raises(WorkspaceError, match="comes from git"):
        L.make_link(consumer="a", consumer_dir=tmp_path, provider="b", provider_dir=tmp_path / "b",
                    ecosystem="cargo", dep="lib", data=None)


def test_restore_finds_the_link_after_unrelated_edits(tmp_path: Path) -> None:
    text = '{\n  "dependencies": {\n    "lib": "^1.0.0"\n  }\n}\n'
    link, new = L.make_link(consumer="a", consumer_dir=tmp_path, provider="lib",
                            provider_dir=tmp_path / "lib",
                            ecosystem="npm", dep="lib", data=text.encode())
    edited = b'{\n  "description": "added by hand",' + new[1:]
    assert L.restore(link, edited, tmp_path / "package.json") == b'{\n  "description": "added by hand",' + \
        text.encode()[1:]
    with pytest.raises(WorkspaceError, match="edited by hand"):
        L.restore(link, text.encode(), tmp_path / "package.json")
