"""A mix_graft workspace as mix_graft leaves it: graft.exs (its example's form) at the hub,
sibling Mix projects as git repos, and — after `mix graft.link.on` — the consumer's dep
tuple rewritten to a path dep with `.graft/state.json` recording the preimage
(lib/graft/state.ex: `Jason.encode!(pretty: true)` of string-keyed maps, so keys sorted,
two-space indent, a final newline; sha256 hashes lowercase hex)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

GRAFT_EXS = """# Example graft.exs — copy to `graft.exs` at your workspace root and edit.
#
# `name` matches the hex package atom; `path` is relative to `root`.

%{
  root: ".",
  siblings: [
    %{name: :req_llm, path: "req_llm"},
    %{name: :jido, path: "jido"}
  ]
}
"""

PREIMAGE = '{:req_llm, "~> 1.0"}'
REPLACEMENT = '{:req_llm, path: "../req_llm"}'


def mix_exs(app: str, deps: list[str]) -> str:
    module = "".join(part.title() for part in app.split("_"))
    lines = ",\n".join(f"      {d}" for d in deps)
    return (f"defmodule {module}.MixProject do\n  use Mix.Project\n\n  def project do\n"
            f"    [app: :{app}, version: \"0.1.0\", deps: deps()]\n  end\n\n  defp deps do\n"
            f"    [\n{lines}\n    ]\n  end\nend\n")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def build(hub: Path) -> None:
    """graft.exs and two sibling repos (jido depends on req_llm) under the hub repository."""
    for app, deps in (("req_llm", ['{:jason, "~> 1.4"}']), ("jido", ['{:jason, "~> 1.4"}', PREIMAGE])):
        repo = hub / app
        repo.mkdir()
        (repo / "mix.exs").write_text(mix_exs(app, deps))
        _git(repo, "init", "-q")
        _git(repo, "add", "mix.exs")
        _git(repo, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "init")
    (hub / "graft.exs").write_text(GRAFT_EXS)
    (hub / ".gitignore").write_text("jido/\nreq_llm/\n.graft/\n")
    _git(hub, "add", "graft.exs", ".gitignore")
    _git(hub, "commit", "-q", "-m", "workspace")


def link_on(hub: Path) -> bytes:
    """What `mix graft.link.on` does: rewrite jido's dep tuple, record it in .graft/state.json.
    Returns jido's mix.exs as it was before."""
    mix = hub / "jido" / "mix.exs"
    before = mix.read_bytes()
    after = before.replace(PREIMAGE.encode(), REPLACEMENT.encode())
    mix.write_bytes(after)
    entry = {"mix_exs_after_hash": hashlib.sha256(after).hexdigest(),
             "mix_exs_before_hash": hashlib.sha256(before).hexdigest(),
             "mix_exs_path": str(hub / "jido" / "mix.exs"), "operation": "link_on",
             "preimage": PREIMAGE, "repo": "jido", "repo_path": str(hub / "jido"),
             "replacement": REPLACEMENT, "target_app": "req_llm"}
    state = {"entries": [entry], "generated_at": "2026-01-20T10:15:03.412877Z", "version": 1,
             "workspace_root": str(hub)}
    (hub / ".graft").mkdir(exist_ok=True)
    (hub / ".graft" / "state.json").write_text(json.dumps(state, indent=2) + "\n")
    return before
