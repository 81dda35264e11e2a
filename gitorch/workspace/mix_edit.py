"""Linking a Mix dependency: the `{:dep, …}` tuple in `deps` rewritten to `path:`, checked
to still be valid Elixir (keywords last; the compiler's parser too when `elixir` is installed).
"""

from __future__ import annotations

import re
from pathlib import Path

from gitorch.errors import Location, WorkspaceError
from gitorch.workspace.elixirtext import mix_deps_span, strip_elixir_comments

_DROP = re.compile(r"^(git|github|branch|tag|ref|hex|path|repo|sparse|submodules|in_umbrella):")


def _split_top(inner: str) -> list[str]:
    parts, depth, cur, in_str = [], 0, "", False
    for ch in inner:
        if in_str:
            in_str = ch != '"'
        elif ch == '"':
            in_str = True
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


_KEYWORD = re.compile(r"^[a-z_][a-zA-Z0-9_]*:\s")


def edit_mix(text: str, dep: str, rel: str, where: Path) -> str:
    body = strip_elixir_comments(text)
    span = mix_deps_span(body) or (0, len(body))
    pattern = re.compile(r"\{\s*:" + re.escape(dep) + r"\s*,((?:[^{}]|\{[^{}]*\})*)\}")
    m = pattern.search(body, span[0], span[1])
    if m is None:
        raise WorkspaceError(f"does not declare the dependency :{dep} in deps",
                             where=Location(file=str(where)))
    # Only keyword options stay: the requirement (a literal, `@req` or `version()`) is positional
    # and would have to come before the keywords; a path dependency needs none.
    keep = [p for p in _split_top(m.group(1)) if _KEYWORD.match(p) and not _DROP.match(p)]
    new_tuple = "{:" + dep + ", " + ", ".join([f'path: "{rel}"', *keep]) + "}"
    new = text[:m.start()] + new_tuple + text[m.end():]
    _check_elixir(new, where, text.count("\n", 0, m.start()) + 1)
    return new


def _check_elixir(new: str, where: Path, line: int) -> None:
    """Refuse an edit that is not valid Elixir: each deps tuple keeps its keywords last, and,
    when `elixir` is installed, the compiler's own parser reads the whole file."""
    body = strip_elixir_comments(new)
    span = mix_deps_span(body) or (0, len(body))
    for m in re.finditer(r"\{\s*:\w+\s*,((?:[^{}]|\{[^{}]*\})*)\}", body[span[0]:span[1]]):
        parts = _split_top(m.group(1))
        first_kw = next((i for i, p in enumerate(parts) if _KEYWORD.match(p)), len(parts))
        if any(not _KEYWORD.match(p) for p in parts[first_kw:]):
            at = body.count("\n", 0, span[0] + m.start()) + 1
            raise WorkspaceError(f"the edit would not be valid Elixir (a value after keyword options in "
                                 f"{m.group(0).strip()}); left unchanged",
                                 where=Location(file=str(where), line=at))
    from gitorch.workspace.toolrun import installed, run_tool

    if not installed("elixir"):
        return
    res = run_tool(["elixir", "-e", "Code.string_to_quoted!(IO.read(:stdio, :eof))"], where.parent,
                   stdin=new, timeout=60)
    if res.returncode != 0 and not res.missing:
        said = re.search(r"nofile:(\d+)", res.stderr)
        raise WorkspaceError(f"the edit would not be valid Elixir ({res.first_error()}); left unchanged",
                             where=Location(file=str(where), line=int(said.group(1)) if said else line))
