"""Generate docs/configuration.md from the declared schema (run: make docs)."""

from __future__ import annotations

import sys
from typing import Any

from gldash_static.config.kinds import Key, Section, SectionList
from gldash_static.config.schema import ROOT

HEADER = """\
# Configuration reference

<!-- Generated from gldash_static/config/schema.py by `make docs`; do not edit by hand. -->

gldash reads `config.yml` (or the file named with `-c`). Check it without touching the
network with `gldash validate -c config.yml`. Every problem is reported at once, one line
each, as `file:line: key: what was expected, what was found`, and the command exits with
status 2.

Relative paths are resolved against the folder of the config file. Tokens never belong in
this file: each source names the environment variable that holds its token (`token_env`);
a `token:` key or a value that looks like a GitLab token is refused.
"""


def _default(key: Key) -> str:
    if key.default_doc is not None:
        return key.default_doc
    if key.required:
        return "required"
    value: Any = key.default
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple):
        return "`[" + ", ".join(str(v) for v in value) + "]`"
    return f"`{value}`"


def _table(section: Section, prefix: str) -> list[str]:
    rows = ["| key | type | default | description |", "|---|---|---|---|"]
    nested: list[tuple[str, Section]] = []
    for key in section.keys:
        name = f"{prefix}{key.name}"
        kind = key.kind
        if isinstance(kind, SectionList):
            nested.append((f"{name}[]", kind.section))
            type_doc = "list of mappings"
        elif isinstance(kind, Section):
            nested.append((name, kind))
            type_doc = "mapping"
        else:
            type_doc = kind.doc
        rows.append(f"| `{name}` | {type_doc} | {_default(key)} | {key.help} |")
    lines = [*rows, ""]
    for name, child in nested:
        lines += [f"## `{name}`", "", child.help, "", *_table(child, f"{name}.")]
    return lines


def all_keys(section: Section = ROOT, prefix: str = "") -> list[str]:
    """Every declared key as a dotted path (lists shown as `[]`)."""
    names = []
    for key in section.keys:
        name = f"{prefix}{key.name}"
        names.append(name)
        if isinstance(key.kind, SectionList):
            names += all_keys(key.kind.section, f"{name}[].")
        elif isinstance(key.kind, Section):
            names += all_keys(key.kind, f"{name}.")
    return names


def generate() -> str:
    """The whole Markdown reference."""
    return "\n".join([HEADER, "## Top level", "", *_table(ROOT, "")]).rstrip() + "\n"


if __name__ == "__main__":
    sys.stdout.write(generate())
