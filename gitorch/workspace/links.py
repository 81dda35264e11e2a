"""Links: edits of a consumer's manifest so a dependency points at a local checkout.

Each edit changes only the text it must (one entry, one value, or one appended table) and
is recorded as the seed's Link: at `offset` the `preimage` became `replacement`, with the
file's sha256 before and after, so removing it restores the original byte for byte.
Every edit is checked by parsing the result again: the dependency must now resolve to the
provider's path, or the edit is refused.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path

from gitorch.workspace.deps import (
    MANIFEST_FILES,
    NPM_SECTIONS,
    PARSERS,
    ManifestSyntaxError,
    file_url_path,
    normalise,
    split_requirement,
)
from gitorch.workspace.model import Link, LinkHashes, sha256
from gitorch.workspace.textedit import (
    PATCH,
    TABLE,
    cargo_declared,
    fail,
    go_replace,
    go_requires,
    newline,
    relpath,
    set_entry,
)

MANIFEST_OF = {eco: file for file, eco in MANIFEST_FILES.items()}


def minimal_span(old: str, new: str) -> tuple[int, str, str]:
    """The smallest (offset, preimage, replacement) turning `old` into `new`."""
    prefix = len(os.path.commonprefix([old, new]))
    limit = min(len(old), len(new)) - prefix
    suffix = 0
    while suffix < limit and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    return prefix, old[prefix:len(old) - suffix], new[prefix:len(new) - suffix]


def link_file(ecosystem: str) -> str:
    """The file a link in `ecosystem` edits: the uncommitted overlay where there is one."""
    from gitorch.workspace.overlay import OVERLAYS

    return OVERLAYS.get(ecosystem) or MANIFEST_OF[ecosystem]


def make_link(
    *, consumer: str, consumer_dir: Path, provider: str, provider_dir: Path, ecosystem: str, dep: str,
    data: bytes | None,
) -> tuple[Link, bytes]:
    """The link (with its recorded edit) and the new bytes of the file it edits (`data`: that
    file's bytes, None when it does not exist yet; the link's `before` hash is then '')."""
    file = link_file(ecosystem)
    where = consumer_dir / file
    try:
        text = (data or b"").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(where, f"not UTF-8: {exc}") from None
    if file != MANIFEST_OF[ecosystem]:
        from gitorch.workspace.overlay import edit_overlay

        new, path = edit_overlay(ecosystem, None if data is None else text, dep, consumer_dir,
                                 provider_dir, where)
    else:
        new, path = edit(ecosystem, text, dep, consumer_dir, provider_dir, where)
    offset, pre, rep = minimal_span(text, new)
    new_bytes = new.encode("utf-8")
    link = Link(repo=consumer, dep=dep, provider=provider, ecosystem=ecosystem, file=file, path=path,
                hashes=LinkHashes(before="" if data is None else sha256(data), after=sha256(new_bytes)),
                preimage=pre, replacement=rep, offset=offset)
    return link, new_bytes


def restore(link: Link, data: bytes, where: Path) -> bytes:
    """The manifest with `link`'s edit undone; exact when the file is as the link left it."""
    text = data.decode("utf-8", errors="strict")
    at = link.offset
    if sha256(data) != link.hashes.after or text[at:at + len(link.replacement)] != link.replacement:
        hits = [m.start() for m in re.finditer(re.escape(link.replacement), text)] if link.replacement else []
        if len(hits) != 1:
            raise fail(where, f"link {link.key} ({link.dep}) was edited by hand; cannot find its text "
                              "to restore", hint="restore the dependency by hand, then run "
                              "`git orch ws teardown --force`")
        at = hits[0]
    return (text[:at] + link.preimage + text[at + len(link.replacement):]).encode("utf-8")


def redo(link: Link, data: bytes) -> bytes | None:
    """The manifest with `link`'s edit made again, when the text before it is still there."""
    text = data.decode("utf-8", errors="replace")
    at = link.offset
    if text[at:at + len(link.preimage)] != link.preimage:
        return None
    return (text[:at] + link.replacement + text[at + len(link.preimage):]).encode("utf-8")


def edit(ecosystem: str, text: str, dep: str, consumer_dir: Path, provider_dir: Path,
         where: Path) -> tuple[str, str]:
    """(new text, path as written) making `dep` point at `provider_dir`."""
    rel = relpath(provider_dir, consumer_dir)
    if ecosystem == "python":
        if _uv_style(text, consumer_dir):
            return _edit_uv(text, dep, rel, where), rel
        uri = provider_dir.resolve().as_uri()
        return _edit_pep508(text, dep, uri, where), uri
    if ecosystem == "npm":
        return _edit_npm(text, dep, "file:" + rel, where), "file:" + rel
    if ecosystem == "cargo":
        return _edit_cargo(text, dep, rel, where), rel
    if ecosystem == "go":
        rel = rel if rel.startswith(("./", "../")) else "./" + rel
        return _edit_go(text, dep, rel, where), rel
    if ecosystem == "mix":
        from gitorch.workspace.mix_edit import edit_mix

        new = edit_mix(text, dep, rel, where)
        _check("mix", new, dep, rel, where)
        return new, rel
    raise fail(where, f"unknown ecosystem {ecosystem!r}")


def _check(ecosystem: str, new: str, dep: str, path: str, where: Path) -> None:
    """Parse the edited text: `dep` must now be a path dependency on `path`."""
    try:
        _, found = PARSERS[ecosystem]("check", new)
    except ManifestSyntaxError as exc:
        raise fail(where, f"edit would not parse ({exc}); left unchanged") from None
    want = normalise(ecosystem, dep)
    if not any(d.source == "path" and d.path == path and normalise(ecosystem, d.name) == want
               for d in found):
        raise fail(where, f"cannot link {dep!r}: the edited manifest would not point at {path}")


# --- Python ------------------------------------------------------------------------------

_UV_SOURCES = re.compile(r"^[ \t]*\[[ \t]*tool[ \t]*\.[ \t]*uv[ \t]*\.[ \t]*sources[ \t]*\][^\n]*$", re.M)



def _uv_style(text: str, consumer_dir: Path) -> bool:
    """uv manages the project: a uv.lock beside it, or any [tool.uv] settings."""
    if (consumer_dir / "uv.lock").exists():
        return True
    try:
        return "uv" in tomllib.loads(text).get("tool", {})
    except tomllib.TOMLDecodeError:
        return False


def _edit_uv(text: str, dep: str, rel: str, where: Path) -> str:
    entry = f'{dep} = {{ path = "{rel}", editable = true }}'
    header = _UV_SOURCES.search(text)
    if header is None and "sources" in tomllib.loads(text).get("tool", {}).get("uv", {}):
        raise fail(where, "[tool.uv.sources] is written inline; gitorch edits only a "
                          "[tool.uv.sources] table", hint="move the sources into a table")
    new = set_entry(text, header, dep, entry, "python", "tool.uv.sources", newline(text))
    _check("python", new, dep, rel, where)
    return new


def _toml_array_strings(text: str, start: int) -> list[tuple[int, int]]:
    """Spans of the string literals (contents, without quotes) in the array opening at `start`."""
    spans: list[tuple[int, int]] = []
    i, depth = start, 0
    while i < len(text):
        ch = text[i]
        if ch == "#":
            i = text.find("\n", i)
            if i < 0:
                break
        elif ch in "\"'":
            triple = text[i:i + 3] == ch * 3
            quote = ch * 3 if triple else ch
            j = i + len(quote)
            while j < len(text) and text[j:j + len(quote)] != quote:
                j += 2 if (ch == '"' and text[j] == "\\") else 1
            spans.append((i + len(quote), j))
            i = j + len(quote)
            continue
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                break
        i += 1
    return spans


def _requirement_arrays(text: str) -> list[int]:
    """Where each array of PEP 508 strings opens: project.dependencies, then every array of
    [project.optional-dependencies] and of [dependency-groups] (PEP 735)."""
    starts: list[int] = []
    for table, only in (("project", "dependencies"), ("project.optional-dependencies", None),
                        ("dependency-groups", None)):
        header = re.search(r"^[ \t]*\[[ \t]*" + re.escape(table).replace(r"\.", r"[ \t]*\.[ \t]*")
                           + r"[ \t]*\][^\n]*$", text, re.M)
        if header is None:
            continue
        nxt = TABLE.search(text, header.end() + 1)
        end = nxt.start() if nxt else len(text)
        key = re.escape(only) if only else r"[\"']?[A-Za-z0-9._-]+[\"']?"
        starts += [m.end() - 1 for m in re.finditer(r"^[ \t]*" + key + r"[ \t]*=[ \t]*\[", text[:end], re.M)
                   if m.start() > header.end()]
    return starts


def _edit_pep508(text: str, dep: str, uri: str, where: Path) -> str:
    if re.search(r"^[ \t]*\[[ \t]*project[ \t]*\][^\n]*$", text, re.M) is None \
            and "dependency-groups" not in text:
        raise fail(where, "no [project] table")
    for start in _requirement_arrays(text):
        for a, b in _toml_array_strings(text, start):
            parts = split_requirement(text[a:b])
            if parts and normalise("python", parts["name"]) == normalise("python", dep):
                req = f"{parts['name']}{parts['extras']} @ {uri}"
                if parts["marker"]:
                    req += f" ; {parts['marker']}"
                new = text[:a] + req + text[b:]
                path = file_url_path(uri)
                assert path is not None
                _check("python", new, dep, path, where)
                return new
    raise fail(where, f"does not declare the dependency {dep!r} in project.dependencies, "
                      "optional-dependencies or [dependency-groups]")


# --- npm -----------------------------------------------------------------------------------

def _json_object_end(text: str, start: int) -> int:
    """Index of the `}` closing the object whose `{` is at `start` (string-aware)."""
    depth, i, in_str = 0, start, False
    while i < len(text):
        ch = text[i]
        if in_str:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return len(text)


def _edit_npm(text: str, dep: str, spec: str, where: Path) -> str:
    data = json.loads(text)
    for section in NPM_SECTIONS:
        if dep not in (data.get(section) or {}):
            continue
        for head in re.finditer(r'"' + section + r'"\s*:\s*\{', text):
            end = _json_object_end(text, head.end() - 1)
            m = re.compile(r'"' + re.escape(dep) + r'"\s*:\s*"((?:[^"\\]|\\.)*)"').search(
                text, head.end(), end)
            if m is None:
                continue
            new = text[:m.start(1)] + spec + text[m.end(1):]
            expect = json.loads(text)
            expect[section][dep] = spec
            if json.loads(new) != expect:
                continue  # that match was not the top-level section
            return new
    raise fail(where, f"does not declare the dependency {dep!r}",
                hint="add it to dependencies first, or set `dep` in the [[links]] entry")


# --- Cargo -------------------------------------------------------------------------------

def _edit_cargo(text: str, dep: str, rel: str, where: Path) -> str:
    cargo_declared(text, dep, where)
    entry = f'{dep} = {{ path = "{rel}" }}'
    new = set_entry(text, PATCH.search(text), dep, entry, "cargo", "patch.crates-io", newline(text))
    _check("cargo", new, dep, rel, where)
    return new


# --- Go ------------------------------------------------------------------------------------

def _edit_go(text: str, dep: str, rel: str, where: Path) -> str:
    go_requires(text, dep, where)
    new = go_replace(text, dep, rel)
    _check("go", new, dep, rel, where)
    return new
