"""YAML for CI files: insertion order kept, no line wrapping, multi-line scripts as blocks.

The same data always gives the same bytes (no timestamps, no sorting by the dumper), which
is what `ci export --check` compares.
"""

from __future__ import annotations

from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # a repeated list is written out again
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(doc: dict[str, Any], header: list[str], comments: dict[str, str] | None = None) -> str:
    """`doc` as YAML after `header` comment lines; `comments` appends `# text` to each line
    that ends with its key (a pinned action's tag, a lint suppression)."""
    text = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, width=1 << 20, allow_unicode=True,
                     default_flow_style=False, indent=2)
    lines = [f"# {h}".rstrip() for h in header]
    for line in text.splitlines():
        for end, note in (comments or {}).items():
            if line.endswith(end):
                line += f"  # {note}"
                break
        lines.append(line)
    return "\n".join(lines) + "\n"
