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

from gitorch.errors import Location, WorkspaceError
from gitorch.workspace.deps import (
    MANIFEST_FILES,
    NPM_SECTIONS,
    PARSERS,
    ManifestSyntaxError,
    file_url_path,
    normalise,
    parse_go_mod,
    split_requirement,
)
from gitorch.workspace.model import Link, LinkHashes, sha256

MANIFEST_OF = {eco: file for file, eco in MANIFEST_FILES.items()}


def relpath(target: Path, start: Path) -> str:
    """`target` relative to `start`, with forward slashes (what every manifest format expects)."""
    return Path(os.path.relpath(target, start)).as_posix()


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _fail(file: Path, msg: str, hint: str | None = None) -> WorkspaceError:
    return WorkspaceError(msg, where=Location(file=str(file)), hint=hint)


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
        raise _fail(where, f"not UTF-8: {exc}") from None
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
            raise _fail(where, f"link {link.key} ({link.dep}) was edited by hand; cannot find its text "
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
    raise _fail(where, f"unknown ecosystem {ecosystem!r}")


def _check(ecosystem: str, new: str, dep: str, path: str, where: Path) -> None:
    """Parse the edited text: `dep` must now be a path dependency on `path`."""
    try:
        _, found = PARSERS[ecosystem]("check", new)
    except ManifestSyntaxError as exc:
        raise _fail(where, f"edit would not parse ({exc}); left unchanged") from None
    want = normalise(ecosystem, dep)
    if not any(d.source == "path" and d.path == path and normalise(ecosystem, d.name) == want
               for d in found):
        raise _fail(where, f"cannot link {dep!r}: the edited manifest would not point at {path}")


# --- Python ------------------------------------------------------------------------------

_UV_SOURCES = re.compile(r"^[ \t]*\[[ \t]*tool[ \t]*\.[ \t]*uv[ \t]*\.[ \t]*sources[ \t]*\][^\n]*$", re.M)
_TABLE = re.compile(r"^[ \t]*\[", re.M)
_KEY = re.compile(r"^[ \t]*[\"']?([A-Za-z0-9._-]+)[\"']?[ \t]*=[^\n]*$", re.M)


def _uv_style(text: str, consumer_dir: Path) -> bool:
    """uv manages the project: a uv.lock beside it, or any [tool.uv] settings."""
    if (consumer_dir / "uv.lock").exists():
        return True
    try:
        return "uv" in tomllib.loads(text).get("tool", {})
    except tomllib.TOMLDecodeError:
        return False


def _set_entry(text: str, header: re.Match[str] | None, key: str, entry: str, eco: str,
               table: str, nl: str) -> str:
    """Set `key` in the table starting at `header` (replace its line or add one after the
    header), or append the table at the end of the file."""
    if header is None:
        sep = "" if not text or text.endswith(nl) else nl
        return f"{text}{sep}{nl}[{table}]{nl}{entry}{nl}"
    start = header.end()
    nxt = _TABLE.search(text, start + 1)
    end = nxt.start() if nxt else len(text)
    for m in _KEY.finditer(text, start, end):
        if normalise(eco, m.group(1)) == normalise(eco, key):
            line_end = m.end() - (1 if text[m.end() - 1:m.end()] == "\r" else 0)
            return text[:m.start()] + entry + text[line_end:]
    return text[:start] + nl + entry + text[start:]


def _edit_uv(text: str, dep: str, rel: str, where: Path) -> str:
    entry = f'{dep} = {{ path = "{rel}", editable = true }}'
    header = _UV_SOURCES.search(text)
    if header is None and "sources" in tomllib.loads(text).get("tool", {}).get("uv", {}):
        raise _fail(where, "[tool.uv.sources] is written inline; gitorch edits only a "
                           "[tool.uv.sources] table", hint="move the sources into a table")
    new = _set_entry(text, header, dep, entry, "python", "tool.uv.sources", _newline(text))
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
        nxt = _TABLE.search(text, header.end() + 1)
        end = nxt.start() if nxt else len(text)
        key = re.escape(only) if only else r"[\"']?[A-Za-z0-9._-]+[\"']?"
        starts += [m.end() - 1 for m in re.finditer(r"^[ \t]*" + key + r"[ \t]*=[ \t]*\[", text[:end], re.M)
                   if m.start() > header.end()]
    return starts


def _edit_pep508(text: str, dep: str, uri: str, where: Path) -> str:
    if re.search(r"^[ \t]*\[[ \t]*project[ \t]*\][^\n]*$", text, re.M) is None \
            and "dependency-groups" not in text:
        raise _fail(where, "no [project] table")
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
    raise _fail(where, f"does not declare the dependency {dep!r} in project.dependencies, "
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
    raise _fail(where, f"does not declare the dependency {dep!r}",
                hint="add it to dependencies first, or set `dep` in the [[links]] entry")


# --- Cargo -------------------------------------------------------------------------------

_PATCH = re.compile(r"^[ \t]*\[[ \t]*patch[ \t]*\.[ \t]*(?:crates-io|\"crates-io\")[ \t]*\][^\n]*$", re.M)


_CARGO_SECTIONS = ("dependencies", "dev-dependencies", "build-dependencies")


def _cargo_declared(text: str, dep: str, where: Path) -> None:
    """`dep` is a registry dependency of the manifest (or the manifest is a workspace root)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(where, f"does not parse: {exc}") from None
    sections = [data.get(s) or {} for s in _CARGO_SECTIONS]
    sections += [t.get(s) or {} for t in (data.get("target") or {}).values() if isinstance(t, dict)
                 for s in _CARGO_SECTIONS]
    sections.append((data.get("workspace") or {}).get("dependencies") or {})
    declared = [spec for table in sections for key, spec in table.items()
                if normalise("cargo", spec.get("package", key) if isinstance(spec, dict) else key)
                == normalise("cargo", dep)]
    # A workspace root's members declare their own dependencies: [patch] belongs in the root.
    if not declared and "workspace" not in data:
        raise _fail(where, f"does not declare the dependency {dep!r}")
    if any(isinstance(s, dict) and "git" in s for s in declared):
        raise _fail(where, f"{dep!r} comes from git; gitorch links registry dependencies with "
                           "[patch.crates-io]")


def _edit_cargo(text: str, dep: str, rel: str, where: Path) -> str:
    _cargo_declared(text, dep, where)
    entry = f'{dep} = {{ path = "{rel}" }}'
    new = _set_entry(text, _PATCH.search(text), dep, entry, "cargo", "patch.crates-io", _newline(text))
    _check("cargo", new, dep, rel, where)
    return new


# --- Go ------------------------------------------------------------------------------------

def _go_requires(text: str, dep: str, where: Path) -> None:
    try:
        _, found = parse_go_mod("check", text)
    except ManifestSyntaxError as exc:
        raise _fail(where, f"does not parse: {exc}") from None
    if not any(d.name == dep and d.section == "require" for d in found):
        raise _fail(where, f"does not require {dep!r}")


def _go_replace(text: str, dep: str, rel: str) -> str:
    """`text` (go.mod or go.work) with `replace dep => rel` (an existing replace rewritten)."""
    nl = _newline(text)
    q = re.escape(dep)
    single = re.compile(r"^([ \t]*replace[ \t]+)" + q + r"(?:[ \t]+\S+)?[ \t]*=>[^\n\r]*", re.M)
    m = single.search(text)
    if m is None:
        for block in re.finditer(r"^[ \t]*replace[ \t]*\([^\n]*\n(.*?)^[ \t]*\)", text, re.M | re.S):
            inner = re.compile(r"^([ \t]*)" + q + r"(?:[ \t]+\S+)?[ \t]*=>[^\n\r]*", re.M)
            m = inner.search(text, block.start(1), block.end(1))
            if m:
                break
    if m is not None:
        return text[:m.start()] + m.group(1) + f"{dep} => {rel}" + text[m.end():]
    sep = "" if text.endswith(nl) else nl
    return f"{text}{sep}{nl}replace {dep} => {rel}{nl}"


def _edit_go(text: str, dep: str, rel: str, where: Path) -> str:
    _go_requires(text, dep, where)
    new = _go_replace(text, dep, rel)
    _check("go", new, dep, rel, where)
    return new
