"""Reading the text of Elixir's mix.exs: comments blanked out, the `deps` function's body found.

Shared by the dependency reader (deps.parse_mix) and the editor of mix.exs (mix_edit)."""

import re


def strip_elixir_comments(text: str) -> str:
    """Blank out `#` comments (outside strings), keeping every offset where it was."""
    out: list[str] = []
    in_str = False
    i = 0
    while i < len(text):
        ch = text[i]
        if in_str:
            if ch == "\\":
                out.append(text[i:i + 2])
                i += 2
                continue
            in_str = ch != '"'
        elif ch == '"':
            in_str = True
        elif ch == "#":
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            out.append(" " * (end - i))
            i = end
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def mix_deps_span(text: str) -> tuple[int, int] | None:
    """Where the body of `defp deps do … end` (or `def deps`) is, in comment-free text."""
    m = re.search(r"\bdefp?\s+deps\s*(?:\(\s*\))?\s*do\b(?!:)", text)
    if m is None:
        return None
    depth, pos = 1, m.end()
    for tok in re.finditer(r"\bdo\b(?!:)|\bend\b|\bfn\b", text[pos:]):
        if tok.group() in ("do", "fn"):
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return m.end(), pos + tok.start()
    return None
