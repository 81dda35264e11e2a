"""Text edits that links (tracked manifests) and overlays (go.work, .cargo/config.toml)
share: a path as manifests write it, a TOML table entry set in place, a go `replace`, and the
checks that the consumer declares the dependency it links. Below both modules, so neither
imports the other for these.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from gitorch.errors import Location, WorkspaceError
from gitorch.workspace.deps import ManifestSyntaxError, normalise, parse_go_mod

TABLE = re.compile(r"^[ \t]*\[", re.M)
_KEY = re.compile(r"^[ \t]*[\"']?([A-Za-z0-9._-]+)[\"']?[ \t]*=[^\n]*$", re.M)


def relpath(target: Path, start: Path) -> str:
    """`target` relative to `start`, with forward slashes (what every manifest format expects)."""
    return Path(os.path.relpath(target, start)).as_posix()


def newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def fail(file: Path, msg: str, hint: str | None = None) -> WorkspaceError:
    return WorkspaceError(msg, where=Location(file=str(file)), hint=hint)


def set_entry(text: str, header: re.Match[str] | None, key: str, entry: str, eco: str,
              table: str, nl: str) -> str:
    """Set `key` in the table starting at `header` (replace its line or add one after the
    header), or append the table at the end of the file."""
    if header is None:
        sep = "" if not text or text.endswith(nl) else nl
        return f"{text}{sep}{nl}[{table}]{nl}{entry}{nl}"
    start = header.end()
    nxt = TABLE.search(text, start + 1)
    end = nxt.start() if nxt else len(text)
    for m in _KEY.finditer(text, start, end):
        if normalise(eco, m.group(1)) == normalise(eco, key):
            line_end = m.end() - (1 if text[m.end() - 1:m.end()] == "\r" else 0)
            return text[:m.start()] + entry + text[line_end:]
    return text[:start] + nl + entry + text[start:]


PATCH = re.compile(r"^[ \t]*\[[ \t]*patch[ \t]*\.[ \t]*(?:crates-io|\"crates-io\")[ \t]*\][^\n]*$", re.M)
_CARGO_SECTIONS = ("dependencies", "dev-dependencies", "build-dependencies")


def cargo_declared(text: str, dep: str, where: Path) -> None:
    """`dep` is a registry dependency of the manifest (or the manifest is a workspace root)."""
    import tomllib  # here: a snapshot without Cargo files reads no TOML

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise fail(where, f"does not parse: {exc}") from None
    sections = [data.get(s) or {} for s in _CARGO_SECTIONS]
    sections += [t.get(s) or {} for t in (data.get("target") or {}).values() if isinstance(t, dict)
                 for s in _CARGO_SECTIONS]
    sections.append((data.get("workspace") or {}).get("dependencies") or {})
    declared = [spec for table in sections for key, spec in table.items()
                if normalise("cargo", spec.get("package", key) if isinstance(spec, dict) else key)
                == normalise("cargo", dep)]
    # A workspace root's members declare their own dependencies: [patch] belongs in the root.
    if not declared and "workspace" not in data:
        raise fail(where, f"does not declare the dependency {dep!r}")
    if any(isinstance(s, dict) and "git" in s for s in declared):
        raise fail(where, f"{dep!r} comes from git; gitorch links registry dependencies with "
                          "[patch.crates-io]")


def go_requires(text: str, dep: str, where: Path) -> None:
    try:
        _, found = parse_go_mod("check", text)
    except ManifestSyntaxError as exc:
        raise fail(where, f"does not parse: {exc}") from None
    if not any(d.name == dep and d.section == "require" for d in found):
        raise fail(where, f"does not require {dep!r}")


def go_replace(text: str, dep: str, rel: str) -> str:
    """`text` (go.mod or go.work) with `replace dep => rel` (an existing replace rewritten)."""
    nl = newline(text)
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
