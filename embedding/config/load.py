"""Read a YAML/JSON config and apply `--set key.path=value` overrides (validation: `embedding.validation`)."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import yaml

from ..errors import UserError
from .safe_yaml import Refused, check_json_depth, load_yaml

MAX_BYTES = 10 * 2**20  # a config is a few KB; more is the wrong file (a dataset, /dev/zero, a log)


def _reject_duplicate_json_keys(pairs):
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise ValueError(f"duplicate key `{key}`")
        seen.add(key)
    return dict(pairs)


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Parse a config file into a mapping. YAML (safe_load only) or JSON, chosen by content for unknown suffixes."""
    path = Path(path)
    where = f"config {path}"
    text = _read_text(path, where)
    if not text.strip():
        raise UserError(f"{where}: the file is empty; start from `embedding init`", source=str(path))
    try:
        if path.suffix.lower() == ".json":
            check_json_depth(text)
            data = json.loads(text, object_pairs_hook=_reject_duplicate_json_keys)
        else:
            data = load_yaml(text)
    except Refused as exc:
        raise UserError(f"{where}: line {exc.line}: {exc.problem}", source=str(path)) from None
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


def _read_text(path: Path, where: str) -> str:
    """The file's text, read only if it is a file (or a pipe) and at most MAX_BYTES long."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise UserError(f"{where}: file not found; check the path passed to --config") from None
    except OSError as exc:
        raise UserError(f"{where}: cannot be read ({exc.strerror})", source=str(path)) from None
    if stat.S_ISDIR(mode):
        raise UserError(f"{where}: is a folder; pass the YAML/JSON file inside it")
    # A pipe (`--config <(envsubst < cfg.yaml)`) is read like a file, bounded below; a device never ends.
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        raise UserError(f"{where}: not a regular file (a device or socket); pass the path of a YAML/JSON file")
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_BYTES + 1)
    except OSError as exc:
        raise UserError(f"{where}: cannot be read ({exc.strerror})", source=str(path)) from None
    if len(raw) > MAX_BYTES:
        raise UserError(
            f"{where}: larger than {MAX_BYTES // 2**20} MiB; a config is a few KB: is this the right file?",
            source=str(path),
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{where}: not UTF-8 text (byte {exc.start}); save the file as UTF-8", source=str(path)
        ) from None


def parse_override(text: str) -> tuple[list[str | int], Any]:
    """'objectives.0.loss=cosine' -> (['objectives', 0, 'loss'], 'cosine'). The value is a YAML scalar/flow."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise UserError(f"--set {text!r}: overrides must look like key.path=value, e.g. --set args.max_steps=10")
    path: list[str | int] = [int(p) if p.lstrip("-").isdigit() else p for p in key.strip().split(".")]
    if len(raw) > MAX_BYTES:
        raise UserError(f"--set {key.strip()}: the value is larger than {MAX_BYTES // 2**20} MiB; pass a short value")
    try:
        value = load_yaml(raw) if raw.strip() else ""
    except Refused as exc:
        raise UserError(f"--set {key.strip()}: the value {exc.problem}") from None
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
