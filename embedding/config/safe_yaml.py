"""The YAML loader for configs: safe tags only, unique keys, YAML 1.2 floats, and bounds on what it builds.

A config is a few KB of nested keys. The bounds refuse, while loading, what would otherwise hang or crash later:
aliases of aliases that expand to billions of values (a "billion laughs" YAML bomb: PyYAML shares the nodes, but
every later walk over the config, such as validation or writing config.resolved.yaml, expands them), nesting deep
enough to exhaust Python's recursion limit, recursive aliases, and lists or mappings used as keys.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import Any

import yaml

MAX_DEPTH = 100  # nesting levels, aliases expanded
MAX_VALUES = 100_000  # values (scalars, lists, mappings), aliases expanded
MERGE_TAG = "tag:yaml.org,2002:merge"


class Refused(Exception):
    """YAML the loader will not build. `problem` says what and how to fix it; `line` is 1-based (None: unknown)."""

    def __init__(self, problem: str, line: int | None = None):
        super().__init__(problem)
        self.problem, self.line = problem, line


def too_deep() -> str:
    return (
        f"nested more than {MAX_DEPTH} levels deep; a config needs a few levels: look for unclosed brackets "
        "or a generated structure"
    )


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that counts the values and depth of the document as composed, each alias as its full expansion."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0  # nesting level of the node being composed
        self._reach = 0  # deepest level reached inside the node being composed, aliases expanded
        self._values = 0  # values composed so far, aliases expanded
        self._anchored: dict[int, tuple[int, int]] = {}  # id(anchored node) -> (values, height), once complete

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            return self._compose_alias(parent, index, event)
        self._depth += 1
        outer, self._reach, before = self._reach, self._depth, self._values
        self._count(1, self._depth, event.start_mark)
        node = super().compose_node(parent, index)
        if event.anchor is not None:
            self._anchored[id(node)] = (self._values - before, self._reach - self._depth + 1)
        self._depth -= 1
        self._reach = max(outer, self._reach)
        return node

    def _compose_alias(self, parent, index, event: yaml.AliasEvent):
        node = super().compose_node(parent, index)  # raises the usual error for an undefined alias
        size = self._anchored.get(id(node))
        if size is None:  # the anchored node is still being composed: the alias is inside it
            raise Refused(
                f"alias `*{event.anchor}` is used inside its own anchor (a recursive structure); write the value out",
                event.start_mark.line + 1,
            )
        values, height = size
        self._count(values, self._depth + height, event.start_mark)
        return node

    def _count(self, values: int, depth: int, mark: yaml.Mark) -> None:
        self._values += values
        self._reach = max(self._reach, depth)
        if depth > MAX_DEPTH:
            raise Refused(too_deep(), mark.line + 1)
        if self._values > MAX_VALUES:
            raise Refused(
                f"holds more than {MAX_VALUES:,} values once aliases are expanded; a config has far fewer: look "
                "for aliases of aliases (a YAML bomb) or data pasted into the config",
                mark.line + 1,
            )


def _construct_mapping(loader: _BoundedLoader, node: yaml.MappingNode, deep: bool = False):
    """Refuse duplicate keys (YAML keeps the last one silently, losing the first block) and unhashable keys."""
    seen: dict[Any, Any] = {}
    for key_node, _ in node.value:
        if key_node.tag == MERGE_TAG:
            continue  # `<<: *base` merges a mapping; keys written beside it override the merged ones on purpose
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, Hashable):
            raise Refused(
                f"a {type(key).__name__} is used as a mapping key; keys must be plain names: "
                "quote the key to make it a string",
                key_node.start_mark.line + 1,
            )
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key `{key}` (first at line {seen[key] + 1}); merge the two blocks",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_BoundedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# YAML 1.1 (PyYAML) reads `5e-5` as a string; users mean a number, as in YAML 1.2 and JSON.
_BoundedLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def load_yaml(text: str) -> Any:
    """Parse one YAML document. Raises yaml.YAMLError for invalid YAML, Refused beyond the bounds above."""
    return yaml.load(text, Loader=_BoundedLoader)  # noqa: S506  (a SafeLoader subclass)


# A JSON string (skipped whole, so brackets inside it do not count) or a bracket.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def check_json_depth(text: str) -> None:
    """Refuse JSON nested deeper than MAX_DEPTH before `json.loads` recurses into it (RecursionError)."""
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                raise Refused(too_deep(), text.count("\n", 0, match.start()) + 1)
        elif token in ("]", "}"):
            depth -= 1
