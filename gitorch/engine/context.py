"""`context TASK`: the minimal pack an agent needs to do a task.

Description, paths (and which exist), commands, acceptance, constraints, gates, and the
files where `git grep` finds the identifiers its acceptance checks name.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from gitorch.engine.checks import describe
from gitorch.engine.setup import load
from gitorch.errors import UsageError
from gitorch.gitcmd import git
from gitorch.plan.model import Check, CommandCheck, Contains, Matches, NotContains

MAX_FILES = 20
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
# words that name no code of the project (keywords and shell words)
_STOP = frozenset({
    "enum", "impl", "for", "the", "and", "not", "def", "class", "struct", "fn", "pub", "use",
    "mod", "import", "from", "return", "test", "tests", "pass", "true", "false", "none", "null",
    "self", "let", "const", "var", "function", "type", "interface", "trait", "async", "await",
    "with", "cargo", "npm", "pytest", "python", "make", "run", "exit", "echo", "grep", "then",
    "else", "done",
})


def identifiers(checks: list[Check]) -> list[str]:
    """Identifiers named by checks: words of Contains/Matches texts, then of commands."""
    found: list[str] = []
    for check in checks:
        if isinstance(check, Contains | NotContains):
            found += _WORD.findall(check.text)
        elif isinstance(check, Matches):
            found += _WORD.findall(re.sub(r"\\[A-Za-z]", " ", check.pattern))
    for check in checks:
        if isinstance(check, CommandCheck):
            found += [w for w in _WORD.findall(check.run) if "_" in w or any(c.isupper() for c in w[1:])]
    return [w for w in dict.fromkeys(found) if w.lower() not in _STOP]


def context(task_id: str, file: str | None = None) -> dict[str, Any]:
    """The context pack of `task_id`."""
    lp = load(file, run_plan=True)
    if task_id not in lp.by_id:
        raise UsageError(f"unknown task {task_id}", hint=f"tasks: {', '.join(list(lp.by_id)[:10])}")
    task = lp.by_id[task_id]
    root = lp.repo_root
    checks: list[Check] = list(task.acceptance) + [c for s in task.shards for c in s.acceptance]
    idents = identifiers(checks)
    files = _grep(root, idents) if idents else []
    c = task.constraints
    return {
        "id": task.id, "title": task.title, "type": task.type, "description": task.description,
        "language": c.language or lp.plan.project.language,
        "paths": [{"path": p, "exists": (root / p).exists()} for p in task.paths.preferred],
        "forbidden": list(dict.fromkeys([*task.paths.forbidden, *c.forbidden])),
        "commands": dict(task.commands),
        "acceptance": [describe(x) for x in task.acceptance],
        "shards": [{"id": s.id, "title": s.title, "commands": dict(s.commands),
                    "acceptance": [describe(x) for x in s.acceptance]} for s in task.shards],
        "constraints": {k: v for k, v in {
            "timeout": c.timeout, "timebox": c.timebox, "style": c.style, "notes": c.notes,
        }.items() if v},
        "dependencies": list(task.dependencies),
        "gates": lp.plan.gates_for(task),
        "identifiers": idents,
        "relevant_files": files,
    }


def _grep(root: Any, idents: list[str]) -> list[dict[str, Any]]:
    args = ["grep", "-I", "-c", "-w", "-F"]
    for ident in idents:
        args += ["-e", ident]
    proc = git(args, root, check=False)
    hits: Counter[str] = Counter()
    for line in proc.stdout.decode(errors="replace").splitlines():
        name, _, count = line.rpartition(":")
        if name and count.isdigit():
            hits[name] = int(count)
    return [{"path": p, "matches": n} for p, n in hits.most_common(MAX_FILES)]
