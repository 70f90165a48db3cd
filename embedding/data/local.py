"""Local dataset paths before `datasets` sees them: `~`, whether a folder holds data, and the files' encoding.

`datasets` takes `~/shop` for a Hub id, guesses the `text` builder for a folder of .txt notes, and reads invalid
UTF-8 into Arrow strings that only fail when a row is turned into Python (deep inside training). These checks
name the file and line instead, for every command that loads data.
"""

from __future__ import annotations

import codecs
import os
from pathlib import Path
from typing import Any

from ..errors import DataError

# Suffixes `datasets` reads as data (also inside a compressed name: train.jsonl.gz).
DATA_SUFFIXES = {".jsonl", ".json", ".csv", ".tsv", ".parquet", ".arrow"}
# Plain text files whose bytes are decoded: checked for UTF-8 before loading.
TEXT_SUFFIXES = {".jsonl", ".json", ".csv", ".tsv", ".txt"}
CHUNK = 1 << 24  # bytes per read of the encoding check: bounded memory on files of any size
BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),  # before UTF-16 LE, whose mark is its prefix
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def expand(name: str) -> str:
    """`name` with a leading `~` expanded (unchanged when there is no such home folder)."""
    if not name.startswith("~"):
        return name
    try:
        return str(Path(name).expanduser())
    except RuntimeError:  # `~user` of an unknown user: leave it for the not-found message
        return name


def expand_data_files(value: Any) -> Any:
    """`data_files` (a path, a list of them, or {split: paths}) with `~` expanded in every path."""
    if isinstance(value, str):
        return expand(value)
    if isinstance(value, (list, tuple)):
        return [expand_data_files(v) for v in value]
    if isinstance(value, dict):
        return {k: expand_data_files(v) for k, v in value.items()}
    return value


def _visible_files(folder: Path):
    for path in folder.rglob("*"):
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts):
            yield path


def _is_data(path: Path) -> bool:
    return any(suffix.lower() in DATA_SUFFIXES for suffix in path.suffixes)


def check_has_data(folder: Path, where: str) -> None:
    """A folder given as a dataset must hold data files; otherwise `datasets` would guess (a .txt = text rows)."""
    if any(_is_data(path) for path in _visible_files(folder)):
        return
    found = sorted(str(p.relative_to(folder)) for p in _visible_files(folder))
    listed = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
    raise DataError(
        f"{where}.name: no data files (.jsonl, .json, .csv, .parquet) in {folder}; it holds "
        f"{listed or 'nothing'}. Put the split files there (e.g. train.jsonl) or point `name` at a data file"
    )


def data_files(name: str, args: dict[str, Any]) -> list[Path]:
    """The local files `load_dataset(name, **args)` reads for `args['split']` (every split if it cannot tell).

    Resolved with datasets' own patterns (Hub layout, `data_dir`, `data_files`); [] for Hub ids, remote files,
    or when the patterns do not resolve (datasets then reports that itself).
    """
    try:
        from datasets.data_files import DataFilesDict, get_data_patterns, sanitize_patterns

        folder = Path(name)
        if folder.is_dir():
            base = folder / args["data_dir"] if args.get("data_dir") else folder
        elif args.get("data_files"):  # a builder (json, csv, ...): paths are relative to the working folder
            base = Path(args.get("data_dir") or os.getcwd())
        else:
            return []
        given = args.get("data_files")
        patterns = sanitize_patterns(given) if given else get_data_patterns(str(base))
        files = DataFilesDict.from_patterns(patterns, str(base))
        split = str(args.get("split") or "").split("[")[0]
        chosen = files[split] if split in files else [f for found in files.values() for f in found]
        return [Path(f) for f in chosen if Path(f).is_file()]
    except Exception:  # patterns that match nothing, remote files: datasets says what is wrong
        return []


def check_utf8(path: Path, where: str = "") -> None:
    """Raise a DataError naming the file and line of the first byte that is not UTF-8 (a UTF-8 BOM is fine)."""
    if path.suffix.lower() not in TEXT_SUFFIXES:
        return
    at = f"{where}: " if where else ""
    with path.open("rb") as handle:
        head = handle.read(4)
        for bom, encoding in BOMS:
            if head.startswith(bom):
                raise DataError(
                    f"{at}{path} is {encoding}; save as UTF-8 (e.g. `iconv -f {encoding} -t UTF-8 "
                    f"{path.name} > {path.stem}.utf8{path.suffix}`)"
                )
        handle.seek(0)
        bad = _first_invalid(handle)
    if bad is not None:
        line, column, byte = bad
        raise DataError(
            f"{at}{path} line {line}: not UTF-8 text (byte 0x{byte:02x} at column {column}); save the file "
            "as UTF-8, or fix or remove that line"
        )


def _first_invalid(handle) -> tuple[int, int, int] | None:
    """(line, byte column, byte) of the first invalid UTF-8 sequence of a binary file, read in chunks."""
    line, carry, offset, line_start = 1, b"", 0, 0  # offset: file position of data[0]
    while True:
        chunk = handle.read(CHUNK)
        data = carry + chunk
        try:  # final=False keeps a character cut at the chunk's end for the next round
            _, used = codecs.utf_8_decode(data, "strict", not chunk)
        except UnicodeDecodeError as exc:
            newline = data.rfind(b"\n", 0, exc.start)
            start = offset + newline + 1 if newline >= 0 else line_start
            return line + data.count(b"\n", 0, exc.start), offset + exc.start - start + 1, data[exc.start]
        if not chunk:
            return None
        line += data.count(b"\n", 0, used)
        newline = data.rfind(b"\n", 0, used)
        line_start = offset + newline + 1 if newline >= 0 else line_start
        offset, carry = offset + used, data[used:]


OPENERS = {".gz": "gzip", ".bz2": "bz2", ".xz": "lzma"}  # compressed JSON lines datasets reads (train.jsonl.gz)


def is_json_lines(path: Path) -> bool:
    return ".jsonl" in [suffix.lower() for suffix in path.suffixes]


def json_lines_problem(path: Path) -> str | None:
    """The first line of a JSON-lines file (plain or compressed) that is no JSON object, or a compressed file cut
    short: "line N: what is wrong; the fix". None when every line is an object (or the file is no JSON lines).

    Read only after the loader failed (a second parse of large data at every start would double its cost), to
    name the line the libraries do not (Arrow says "in row 0" of a block; gzip says nothing of where).
    """
    if not is_json_lines(path):
        return None
    import importlib
    import json

    module = OPENERS.get(path.suffix.lower())
    opener = importlib.import_module(module).open if module else open
    number = 0
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as err:
                    return f"line {number}: invalid JSON ({err.msg}, column {err.colno}); fix or remove that line"
                if not isinstance(row, dict):
                    kind = "an array" if isinstance(row, list) else f"a {type(row).__name__}"
                    return (
                        f"line {number}: {kind} where a JSON object is expected (one row per line: "
                        '{"column": value, ...}); fix or remove that line'
                    )
    except (EOFError, OSError) as err:  # gzip: "Compressed file ended before the end-of-stream marker"
        return f"the compressed file is cut short or damaged after line {number} ({err}); copy or compress it again"
    return None


def first_line_problem(path: Path) -> str | None:
    """`json_lines_problem` of the first non-blank line only (cheap, at every load): a file that is one JSON array
    on one line is read by the json loader as rows of bare values, and then fails far from its cause."""
    if not is_json_lines(path) or path.suffix.lower() in OPENERS:
        return None
    import json

    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    return None  # the loader names it (with json_lines_problem)
                return None if isinstance(row, dict) else json_lines_problem(path)
    return None
