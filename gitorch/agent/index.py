"""Where the identifiers a task names are defined: the index half of the context pack.

universal-ctags, when installed, reads the few files `git grep` finds the identifiers in;
otherwise one `git grep` with a definition pattern per language (Python, JS/TS, Rust, Go,
Elixir, Java) finds `def name`, `class Name`, `fn name`, `func (r T) Name`, … Either way
the answer is a bounded list of `file:line` with the kind of definition.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from gitorch.gitcmd import git

MAX_DEFINITIONS = 30
MAX_SCANNED = 60  # files handed to ctags
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
# one alternation of the keywords that introduce a definition in the six languages
_KEYWORDS = (
    "def|defp|defmodule|defmacro|defstruct|class|interface|enum|record|struct|trait|type|fn|"
    "impl|mod|func|function|const|let|var|static"
)
# POSIX ERE (git grep -E): plain groups only, no (?:…)
_MODIFIERS = (
    r"((pub(\([a-z]+\))?|export|default|async|abstract|final|public|private|protected|static)\s+)*"
)


@dataclass(frozen=True)
class Definition:
    name: str
    path: str
    line: int
    kind: str

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "at": f"{self.path}:{self.line}", "kind": self.kind}


def code_words(text: str) -> list[str]:
    """Words of `text` that look like code: `quoted`, snake_case, CamelCase or dotted."""
    found = re.findall(r"`([^`]+)`", text)
    words = [w for chunk in found for w in _WORD.findall(chunk)]
    words += [w for w in _WORD.findall(text) if "_" in w or any(c.isupper() for c in w[1:])]
    return list(dict.fromkeys(words))


def definitions(root: Path, names: list[str]) -> list[Definition]:
    """Definitions of `names` in the tracked files under `root`, best first, bounded."""
    names = [n for n in dict.fromkeys(names) if _WORD.fullmatch(n)][:40]
    if not names:
        return []
    found = _ctags(root, names) if shutil.which("ctags") else None
    if found is None:
        found = _grep(root, names)
    order = {n: i for i, n in enumerate(names)}
    found.sort(key=lambda d: (order.get(d.name, len(order)), d.path, d.line))
    return found[:MAX_DEFINITIONS]


def _files_naming(root: Path, names: list[str]) -> list[str]:
    args = ["grep", "-I", "-l", "-w", "-F"]
    for name in names:
        args += ["-e", name]
    proc = git(args, root, check=False)
    return proc.stdout.decode(errors="replace").splitlines()[:MAX_SCANNED]


def _ctags(root: Path, names: list[str]) -> list[Definition] | None:
    """Definitions by universal-ctags (None when it is not universal-ctags or fails)."""
    import subprocess  # ctags is the one tool besides git that the pack runs

    files = _files_naming(root, names)
    if not files:
        return []
    try:
        proc = subprocess.run(
            ["ctags", "--output-format=json", "--fields=+nK", "-f", "-", "-L", "-"],
            cwd=root, input="\n".join(files).encode(), capture_output=True, timeout=20, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    wanted = set(names)
    out: list[Definition] = []
    for line in proc.stdout.decode(errors="replace").splitlines():
        try:
            tag = json.loads(line)
        except ValueError:
            continue
        if tag.get("_type") == "tag" and tag.get("name") in wanted and tag.get("line"):
            out.append(Definition(tag["name"], tag["path"], int(tag["line"]), str(tag.get("kind", ""))))
    return out


def _grep(root: Path, names: list[str]) -> list[Definition]:
    """Definitions by `git grep` and one pattern per family of languages."""
    alt = "|".join(re.escape(n) for n in names)
    patterns = [
        rf"^\s*{_MODIFIERS}({_KEYWORDS})\s+({alt})\b",  # def f, class C, fn f, type T, const X
        rf"^\s*func\s+\([^)]*\)\s*({alt})\b",  # Go methods
        rf"^\s*({alt})\s*[:=]",  # Python and shell assignments at the start of a line
        rf"^\s*{_MODIFIERS}[A-Za-z_<>\[\],. ]+\s+({alt})\s*\([^;]*$",  # Java/TS methods
    ]
    args = ["grep", "-I", "-n", "-E"]
    for pat in patterns:
        args += ["-e", pat]
    proc = git(args, root, check=False)
    out: list[Definition] = []
    name_re = re.compile(rf"\b({alt})\b")
    for line in proc.stdout.decode(errors="replace").splitlines():
        path, _, rest = line.partition(":")
        num, _, text = rest.partition(":")
        m = name_re.search(text)
        if not (num.isdigit() and m):
            continue
        kind = text.strip().split(None, 1)[0] if text.strip() else ""
        out.append(Definition(m.group(1), path, int(num), kind.rstrip("(:=")))
    return out
