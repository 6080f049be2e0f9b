"""Load YAML into plain values while remembering the line of every key and item."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

ConfigPath = tuple[str | int, ...]

# libyaml's parser is ~20x faster and stops runaway nesting itself; the pure-Python one is
# the fallback where PyYAML was built without it. Both give the same nodes and marks.
if TYPE_CHECKING:  # CSafeLoader exists only when PyYAML was built with libyaml
    Loader = yaml.SafeLoader | yaml.CSafeLoader
_LOADER: type[Loader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Bounds that no honest config comes near, and that keep `gldash validate` of any file to
# a fraction of a second: the longest real configs list a few thousand groups or projects.
MAX_DEPTH = 50
MAX_VALUES = 100_000


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
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        result = LoadedYaml(value=None)
        if node is not None:
            _check_expansion(node)
            result.lines[()] = node.start_mark.line + 1
            result.value = _convert(loader, node, (), result)
        return result
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlSyntaxError(line, f"invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(1, f"invalid YAML: {exc}") from None
    except RecursionError:
        # Only the pure-Python parser recurses per level; libyaml stops at its own depth.
        raise YamlSyntaxError(1, f"nested more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()


def _check_expansion(root: yaml.Node) -> None:
    """Refuse alias cycles, deep nesting, and aliases expanding to more than MAX_VALUES values.

    Aliases share nodes, so a few lines can stand for billions of values ("billion
    laughs"); walking the graph with each node's expanded size remembered costs one visit
    per node, whatever it expands to.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        line = node.start_mark.line + 1
        if key in open_nodes:
            raise YamlSyntaxError(line, "an alias refers to the value that contains it")
        if depth > MAX_DEPTH:
            raise YamlSyntaxError(line, f"nested more than {MAX_DEPTH} levels deep")
        open_nodes.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                total += size(key_node, depth + 1) + size(value_node, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item, depth + 1)
        if total > MAX_VALUES:
            raise YamlSyntaxError(
                line,
                f"more than {MAX_VALUES:,} values here once YAML aliases are expanded; "
                "a config needs far fewer (an alias bomb?)",
            )
        open_nodes.discard(key)
        sizes[key] = total
        return total

    size(root, 0)


def _convert(loader: Loader, node: yaml.Node, path: ConfigPath, out: LoadedYaml) -> Any:
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
