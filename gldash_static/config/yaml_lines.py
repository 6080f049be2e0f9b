"""Load YAML into plain values while remembering the line of every key and item."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

ConfigPath = tuple[str | int, ...]


@dataclass
class LoadedYaml:
    """Plain values plus the 1-based line where each path was written."""

    value: Any
    lines: dict[ConfigPath, int] = field(default_factory=dict)
    duplicates: list[tuple[ConfigPath, int]] = field(default_factory=list)

    def line_of(self, path: ConfigPath) -> int:
        """The line of `path`, or of its nearest written ancestor."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


class YamlSyntaxError(Exception):
    """The file is not valid YAML; carries the line of the problem."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(message)


def load(text: str) -> LoadedYaml:
    """Parse `text` (one YAML document) and record the line of every mapping key and item."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        result = LoadedYaml(value=None)
        if node is not None:
            result.lines[()] = node.start_mark.line + 1
            result.value = _convert(loader, node, (), result)
        return result
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlSyntaxError(line, f"invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(1, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()


def _convert(loader: yaml.SafeLoader, node: yaml.Node, path: ConfigPath, out: LoadedYaml) -> Any:
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves YAML merge keys (<<)
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            key = str(key) if not isinstance(key, str) else key
            child = (*path, key)
            if key in mapping:
                out.duplicates.append((child, key_node.start_mark.line + 1))
            out.lines[child] = key_node.start_mark.line + 1
            mapping[key] = _convert(loader, value_node, child, out)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item_node in enumerate(node.value):
            child = (*path, index)
            out.lines[child] = item_node.start_mark.line + 1
            items.append(_convert(loader, item_node, child, out))
        return items
    return loader.construct_object(node, deep=True)
