"""`context TASK`: the pack an agent needs to do one task, index first.

What the task is (description, paths and whether they exist, commands, acceptance,
constraints, gates), then where to look: the definitions of the identifiers the task
names (file:line, by universal-ctags or `git grep`), the files its completed dependencies
changed, and the latest failure of this task with its excerpt. Every list is bounded and
says how much it left out, so the whole pack stays under `LIMIT` characters of JSON.
The text form (`render`) is what `git orch context TASK` prints and what an agent's
prompt starts with.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import msgspec

from gitorch import events as ev
from gitorch.agent.index import code_words, definitions
from gitorch.context import Context
from gitorch.engine.checks import describe
from gitorch.engine.failures import failure_record
from gitorch.engine.setup import Loaded, load
from gitorch.errors import UsageError
from gitorch.gitcmd import git
from gitorch.plan.model import Check, CommandCheck, Contains, Matches, NotContains, Task

LIMIT = 16_000  # characters of `context --json`
MAX_FILES = 20
MAX_LIST = 30
MAX_TEXT = 3_000
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
# words that name no code of the project (keywords and shell words)
_STOP = frozenset({
    "enum", "impl", "for", "the", "and", "not", "def", "class", "struct", "fn", "pub", "use",
    "mod", "import", "from", "return", "test", "tests", "pass", "true", "false", "none", "null",
    "self", "let", "const", "var", "function", "type", "interface", "trait", "async", "await",
    "with", "cargo", "npm", "pytest", "python", "make", "run", "exit", "echo", "grep", "then",
    "else", "done",
})


def identifiers(checks: list[Check], text: str = "") -> list[str]:
    """Identifiers a task names: the code-like words of its title and description, the
    words of its Contains/Matches texts, then the code-like words of its check commands."""
    found: list[str] = code_words(text)
    for check in checks:
        if isinstance(check, Contains | NotContains):
            found += _WORD.findall(check.text)
        elif isinstance(check, Matches):
            found += _WORD.findall(re.sub(r"\\[A-Za-z]", " ", check.pattern))
    for check in checks:
        if isinstance(check, CommandCheck):
            found += [w for w in _WORD.findall(check.run) if "_" in w or any(c.isupper() for c in w[1:])]
    return [w for w in dict.fromkeys(found) if w.lower() not in _STOP]


def context(ctx: Context, task_id: str) -> dict[str, Any]:
    """The context pack of `task_id` in the plan the latest run used (or --file)."""
    loaded = load(ctx, run_plan=True)
    if task_id not in loaded.by_id:
        raise UsageError(f"unknown task {task_id}", hint=f"tasks: {', '.join(list(loaded.by_id)[:10])}")
    return pack(loaded, loaded.by_id[task_id], loaded.store.events())


def pack(loaded: Loaded, task: Task, history: list[ev.Event]) -> dict[str, Any]:
    """The pack of `task`, given the events on the state branch."""
    root = loaded.repo_root
    checks: list[Check] = list(task.acceptance) + [c for s in task.shards for c in s.acceptance]
    idents = identifiers(checks, f"{task.title}\n{task.description}")
    c = task.constraints
    doc: dict[str, Any] = {
        "id": task.id, "title": task.title, "type": task.type,
        "description": _cut(task.description, MAX_TEXT),
        "language": c.language or loaded.plan.project.language,
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
        "gates": loaded.plan.gates_for(task),
        "identifiers": idents,
        "definitions": [d.to_dict() for d in definitions(root, idents)],
        "relevant_files": _grep(root, idents) if idents else [],
        "dependency_changes": _dependency_changes(task, history),
        "latest_failure": failure_record(task.id, history),
        "omitted": {},
    }
    return _fit(doc)


def render(doc: dict[str, Any]) -> str:
    """The pack as text: what `git orch context TASK` prints and an agent's prompt begins with."""
    lines = [f"# {doc['id']}: {doc['title'] or doc['id']} ({doc['type']})"]
    if doc["description"]:
        lines += ["", doc["description"]]
    for key in ("paths", "commands", "acceptance", "forbidden", "constraints", "dependencies",
                "gates", "definitions", "relevant_files", "dependency_changes"):
        value = doc.get(key)
        if not value:
            continue
        lines += ["", f"{key.replace('_', ' ')}:"]
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for k, v in items:
            lines.append("  " + _line(k, v))
        if doc["omitted"].get(key):
            lines.append(f"  … and {doc['omitted'][key]} more")
    failure = doc.get("latest_failure")
    if failure:
        what = failure.get("command") or failure.get("check") or ""
        lines += ["", f"latest failure (run {failure['run']}): {failure['reason']}"
                  + (f" [{what}]" if what else "")]
        if failure.get("excerpt"):
            lines += ["  " + ln for ln in failure["excerpt"].splitlines()]
    return "\n".join(lines) + "\n"


def _line(key: Any, value: Any) -> str:
    if isinstance(value, dict) and "exists" in value:
        return value["path"] + ("" if value["exists"] else " (does not exist yet)")
    if isinstance(value, dict) and "at" in value:
        return f"{value['at']}  {value['kind']} {value['name']}".rstrip()
    if isinstance(value, dict) and "matches" in value:
        return f"{value['path']} ({value['matches']} matches)"
    if isinstance(value, dict) and "task" in value:
        return f"{value['path']} (changed by {value['task']})"
    if isinstance(key, str):
        return f"{key}: {value}"
    return str(value)


def _dependency_changes(task: Task, history: list[ev.Event]) -> list[dict[str, str]]:
    """Files the task's dependencies changed in their latest patches (agent edit steps)."""
    latest: dict[str, list[str]] = {}
    deps = set(task.dependencies)
    for e in history:
        if isinstance(e, ev.PatchApplied) and e.task in deps:
            latest[e.task] = list(e.paths)
    return [{"task": dep, "path": p} for dep in task.dependencies for p in latest.get(dep, [])]


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


def _fit(doc: dict[str, Any]) -> dict[str, Any]:
    """Bound every list, then halve the longest ones until the JSON is under LIMIT."""
    for key in ("paths", "forbidden", "acceptance", "shards", "dependencies", "identifiers",
                "definitions", "relevant_files", "dependency_changes"):
        _bound(doc, key, MAX_LIST)
    while len(msgspec.json.encode(doc)) > LIMIT:
        key = max(("paths", "forbidden", "acceptance", "shards", "identifiers", "definitions",
                   "relevant_files", "dependency_changes", "dependencies"), key=lambda k: len(doc[k]))
        if len(doc[key]) <= 1:
            doc["description"] = _cut(doc["description"], len(doc["description"]) // 2)
            doc["commands"] = {k: _cut(v, 200) for k, v in doc["commands"].items()}
            if not doc["description"]:
                break
            continue
        _bound(doc, key, len(doc[key]) // 2)
    return doc


def _bound(doc: dict[str, Any], key: str, limit: int) -> None:
    items = doc[key]
    if len(items) > limit:
        doc[key] = items[:limit]
        doc["omitted"][key] = doc["omitted"].get(key, 0) + len(items) - limit


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"
