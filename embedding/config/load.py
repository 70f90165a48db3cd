"""Read a YAML/JSON config and apply `--set key.path=value` overrides (validation: `embedding.validation`)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import UserError


class _UniqueKeyLoader(yaml.SafeLoader):
    """safe_load that refuses duplicate keys: YAML keeps the last one silently, losing the first block."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, Any] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key `{key}` (first at line {seen[key] + 1}); merge the two blocks",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# YAML 1.1 (PyYAML) reads `5e-5` as a string; users mean a number, as in YAML 1.2 and JSON.
_UniqueKeyLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506  (a SafeLoader subclass)


def _reject_duplicate_json_keys(pairs):
    keys = [k for k, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise ValueError(f"duplicate key `{key}`")
    return dict(pairs)


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Parse a config file into a mapping. YAML (safe_load only) or JSON, chosen by content for unknown suffixes."""
    path = Path(path)
    where = f"config {path}"
    if not path.exists():
        raise UserError(f"{where}: file not found; check the path passed to --config")
    if path.is_dir():
        raise UserError(f"{where}: is a folder; pass the YAML/JSON file inside it")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{where}: not UTF-8 text (byte {exc.start}); save the file as UTF-8", source=str(path)
        ) from None
    except OSError as exc:
        raise UserError(f"{where}: cannot be read ({exc.strerror})", source=str(path)) from None
    if not text.strip():
        raise UserError(f"{where}: the file is empty; start from `embedding init`", source=str(path))
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text, object_pairs_hook=_reject_duplicate_json_keys)
        else:
            data = load_yaml(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{where}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except ValueError as exc:  # duplicate JSON key
        raise UserError(f"{where}: {exc}; merge the two blocks") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UserError(f"{where}: invalid YAML{at}: {reason}") from None
    if data is None:
        raise UserError(
            f"{where}: the file has no keys (only comments?); start from `embedding init`", source=str(path)
        )
    if not isinstance(data, dict):
        raise UserError(
            f"{where}: the top level must be a mapping of keys (run_name, base_model, ...), got {type(data).__name__}"
        )
    return data


def parse_override(text: str) -> tuple[list[str | int], Any]:
    """'objectives.0.loss=cosine' -> (['objectives', 0, 'loss'], 'cosine'). The value is a YAML scalar/flow."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise UserError(f"--set {text!r}: overrides must look like key.path=value, e.g. --set args.max_steps=10")
    path: list[str | int] = [int(p) if p.lstrip("-").isdigit() else p for p in key.strip().split(".")]
    try:
        value = load_yaml(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return path, value


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    for text in overrides:
        path, value = parse_override(text)
        node: Any = data
        for i, part in enumerate(path[:-1]):
            nxt = path[i + 1]
            if isinstance(part, int):
                if not isinstance(node, list) or not -len(node) <= part < len(node):
                    raise UserError(f"--set {text!r}: index {part} does not exist at `{'.'.join(map(str, path[:i]))}`")
                node = node[part]
            else:
                if not isinstance(node, dict):
                    raise UserError(f"--set {text!r}: `{'.'.join(map(str, path[:i]))}` is not a mapping")
                node = node.setdefault(part, [] if isinstance(nxt, int) else {})
        last = path[-1]
        if isinstance(last, int):
            if not isinstance(node, list) or not -len(node) <= last < len(node):
                raise UserError(f"--set {text!r}: index {last} does not exist")
            node[last] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise UserError(f"--set {text!r}: cannot set `{last}` on a {type(node).__name__}")
    return data
