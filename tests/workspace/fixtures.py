"""A five-ecosystem workspace built as real git repositories.

Python library with a uv-style and a plain PEP 621 consumer, a Rust crate and its user, a Go
module and its dependent, an npm package and its consumer, and a Mix project (with the
Elixir library it uses), plus `hub`, the repository holding workspace.toml (listing itself
as `path = "."`). Manifests carry comments and odd spacing so edits must preserve them.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

REPOS: dict[str, dict[str, str]] = {
    "pylib": {
        "pyproject.toml": '[project]\nname = "PyLib"\nversion = "0.1.0"\n\n[build-system]\n'
                          'requires = ["hatchling"]\nbuild-backend = "hatchling.build"\n',
    },
    "app_uv": {
        "pyproject.toml": (
            "# an application managed by uv\n"
            "[project]\n"
            'name = "app-uv"\n'
            'version = "1.0.0"\n'
            "dependencies = [\n"
            '    "pylib>=0.1",  # the library we work on\n'
            '    "requests>=2.31",\n'
            "]\n"
            "\n"
            "[tool.uv]\n"
            "dev-dependencies = []   # keep this comment\n"
        ),
        "uv.lock": "version = 1\n",
    },
    "app_pep": {
        "pyproject.toml": (
            "[project]\n"
            'name = "app-pep"\n'
            'version = "2.0"\n'
            'dependencies = ["click>=8", "pylib[fast] >= 0.1 ; python_version >= \'3.8\'"]\n'
            "\n"
            "[tool.black]\n"
            "line-length = 99\n"
        ),
    },
    "rcrate": {
        "Cargo.toml": '[package]\nname = "rcrate"\nversion = "0.1.0"\nedition = "2021"\n',
        "src/lib.rs": "pub fn hello() {}\n",
    },
    "rapp": {
        "Cargo.toml": (
            "[package]\n"
            'name = "rapp"\n'
            'version = "0.1.0"\n'
            'edition = "2021"\n'
            "\n"
            "[dependencies]\n"
            'rcrate = "0.1"      # our crate\n'
            'serde = { version = "1", features = ["derive"] }\n'
        ),
    },
    "golib": {"go.mod": "module example.com/golib\n\ngo 1.21\n"},
    "goapp": {
        "go.mod": (
            "module example.com/goapp\n"
            "\n"
            "go 1.21\n"
            "\n"
            "require (\n"
            "\texample.com/golib v0.1.0 // ours\n"
            "\tgithub.com/pkg/errors v0.9.1\n"
            ")\n"
        ),
    },
    "npmlib": {"package.json": '{\n  "name": "npmlib",\n  "version": "1.0.0"\n}\n'},
    "npmapp": {
        "package.json": (
            "{\n"
            '  "name": "npmapp",\n'
            '  "version": "0.0.1",\n'
            '  "dependencies": {\n'
            '    "left-pad": "1.3.0",\n'
            '    "npmlib": "^1.0.0"\n'
            "  },\n"
            '  "devDependencies": {\n'
            '    "typescript": "^5.0.0"\n'
            "  }\n"
            "}\n"
        ),
    },
    "exlib": {
        "mix.exs": (
            "defmodule ExLib.MixProject do\n"
            "  use Mix.Project\n\n"
            "  def project do\n"
            '    [app: :exlib, version: "0.1.0", deps: deps()]\n'
            "  end\n\n"
            "  defp deps, do: []\n"
            "end\n"
        ),
    },
    "exapp": {
        "mix.exs": (
            "defmodule ExApp.MixProject do\n"
            "  use Mix.Project\n\n"
            "  def project do\n"
            "    [\n"
            "      app: :exapp,\n"
            '      version: "0.1.0",\n'
            "      deps: deps()\n"
            "    ]\n"
            "  end\n\n"
            "  # Run \"mix help deps\" to learn about dependencies.\n"
            "  defp deps do\n"
            "    [\n"
            '      {:exlib, "~> 0.1"},  # ours\n'
            '      {:jason, "~> 1.4", only: [:dev, :test]}\n'
            "    ]\n"
            "  end\n"
            "end\n"
        ),
    },
}

LINKS = [
    ("app_uv", "pylib"),
    ("app_pep", "pylib"),
    ("rapp", "rcrate"),
    ("goapp", "golib"),
    ("npmapp", "npmlib"),
    ("exapp", "exlib"),
]


def manifest_text(links: list[tuple[str, str]] | None = None, extra: str = "") -> str:
    out = ['[[repos]]\nname = "hub"\npath = "."\n']
    out += [f'[[repos]]\nname = "{name}"\npath = "../{name}"\n' for name in REPOS]
    chosen = LINKS if links is None else links
    out += [f'[[links]]\nconsumer = "{c}"\nprovider = "{p}"\n' for c, p in chosen]
    return "\n".join(out) + extra


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed in {cwd}: {proc.stderr}")
    return proc.stdout.strip()


def _commit(path: Path, files: dict[str, str]) -> None:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "--template=", "-b", "main")
    for name, text in files.items():
        f = path / name
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(text.encode())
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")


_TEMPLATE: dict[str, Path] = {}


def build(root: Path, links: list[tuple[str, str]] | None = None) -> Path:
    """Build the workspace under `root` (copied from a per-process template); returns hub."""
    key = repr(links)
    template = _TEMPLATE.get(key)
    if template is None or not template.exists():
        import atexit
        import tempfile

        template = Path(tempfile.mkdtemp(prefix="gitorch-ws-template-"))
        atexit.register(shutil.rmtree, template, True)
        for name, files in REPOS.items():
            _commit(template / name, files)
        _commit(template / "hub", {"workspace.toml": manifest_text(links), "README.md": "# hub\n"})
        _TEMPLATE[key] = template
    root.mkdir(parents=True, exist_ok=True)
    for child in template.iterdir():
        shutil.copytree(child, root / child.name, symlinks=True)
    return root / "hub"


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under `root` outside .git directories (the bytes a user sees)."""
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if ".git" in path.parts or not path.is_file():
            continue
        out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def statuses(root: Path) -> dict[str, str]:
    """`git status --porcelain` of every repo under `root`."""
    return {p.name: git(p, "status", "--porcelain") for p in sorted(root.iterdir()) if (p / ".git").exists()}
