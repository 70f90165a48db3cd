"""What a run was started from, recorded in the run dir (inputs.json) and checked where it is used again.

Two inputs are read again long after the start: the base model's weights by `merge_with_base` (after training),
and a streamed dataset's files by `--resume` (the trainer skips the batches it consumed, which only means the same
rows if the stream is the same). Each is recorded at the run's first start as the files' names, sizes, mtimes and
BLAKE2b digests, and compared by names, sizes and digests: a file put back byte for byte (a new mtime) passes, a
file added, removed or changed is refused with its name.

Not recorded: Hub datasets streamed from remote files (no local bytes to hash; named in the record as such), and
a base model that is only on the Hub (the merge then loads whatever the Hub serves, as it did before).
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from ...errors import UserError
from ...safe_files import write_json
from ..distributed.coordination import is_main

logger = logging.getLogger(__name__)

RECORD = "inputs.json"
WEIGHT_SUFFIXES = {".safetensors", ".bin", ".pt", ".pth", ".h5", ".msgpack", ".gguf"}
CHUNK = 1 << 20


def file_fingerprint(path: Path) -> dict[str, Any]:
    """{file, size, mtime, blake2b} of a local file (read in chunks: bounded memory on files of any size)."""
    stat = path.stat()
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return {"file": str(path), "size": stat.st_size, "mtime": stat.st_mtime, "blake2b": digest.hexdigest()}


def files_fingerprint(files: list[str]) -> list[dict[str, Any]]:
    """The fingerprints of `files`; a remote file (hf://, https://) only by name."""
    return [file_fingerprint(Path(f)) if Path(f).is_file() else {"file": str(f), "remote": True} for f in files]


def weight_files(folder: Path) -> list[str]:
    """The weights files of a model folder (sub-folders included: a Dense module's weights), sorted."""
    found = [p for p in folder.rglob("*") if p.suffix.lower() in WEIGHT_SUFFIXES and p.is_file()]
    return sorted(str(p) for p in found if not any(part.startswith(".") for part in p.relative_to(folder).parts))


def read_record(run_dir: Path) -> dict[str, Any]:
    """The run dir's inputs.json ({} when missing or unreadable: nothing to compare with, said by the caller)."""
    try:
        record = json.loads((run_dir / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def remember(run_dir: Path, key: str, value: Any, *, fresh: bool) -> None:
    """Set `key` in the record: at a fresh start always (an earlier start that stopped on bad input recorded the
    inputs before they were fixed); on a resume only when missing (the run keeps what it started from)."""
    record = read_record(run_dir)
    if (key in record and not fresh) or not is_main():
        return
    write_json(run_dir / RECORD, {**record, key: value})


def differences(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    """ "added: f", "removed: f", "changed: f (size a -> b)" lines between two fingerprint lists."""
    before, after = {e["file"]: e for e in old}, {e["file"]: e for e in new}
    lines = [f"removed: {f}" for f in before if f not in after] + [f"added: {f}" for f in after if f not in before]
    for name in [f for f in before if f in after]:
        a, b = before[name], after[name]
        if (a.get("size"), a.get("blake2b")) != (b.get("size"), b.get("blake2b")):
            size = f"size {a.get('size')} -> {b.get('size')}" if a.get("size") != b.get("size") else "same size"
            lines.append(f"changed: {name} ({size}, other content)")
    return lines


def base_model_record(location: str, source: str) -> dict[str, Any]:
    """The base model's weights as found at the run's start (a Hub-only model: its name, no files)."""
    folder = Path(location)
    files = files_fingerprint(weight_files(folder)) if source != "hub" and folder.is_dir() else []
    return {"location": location, "source": source, "files": files}


def check_base_unchanged(run_dir: Path, location: str, source: str) -> None:
    """UserError (exit 2) when the base model's weights on disk are not those the run started from.

    Called before `merge_with_base` loads the base: interpolating with other weights than the run trained from
    would give a model nobody asked for, recorded under the base's name.
    """
    recorded = read_record(run_dir).get("base_model")
    if not recorded:
        logger.warning("merge_with_base: %s has no record of the base model's weights; merging unchecked", run_dir)
        return
    now = base_model_record(location, source)
    changed = differences(recorded.get("files") or [], now["files"])
    if recorded.get("location") != location:
        changed.insert(0, f"base model found at {location}, the run started from {recorded.get('location')}")
    if changed:
        raise UserError(
            f"merge_with_base: the base model changed on disk since the run started ({'; '.join(changed[:5])}"
            f"{' ...' if len(changed) > 5 else ''}); merging would interpolate weights the run never trained "
            f"from. The trained model is kept in {run_dir / 'final'} (not merged). Put the base model back as it "
            "was and run again with --resume to merge, or remove merge_with_base"
        )


def check_streams(run_dir: Path, streams: dict[str, list[str]], resumed: bool) -> None:
    """Record the streamed files at the run's first start; on a resume, refuse a stream whose files differ.

    `streams`: "objectives[i].datasets.train" -> the stream's data files, in order.
    """
    if not streams:
        return
    now = {where: files_fingerprint(files) for where, files in streams.items()}
    recorded = read_record(run_dir).get("streams")
    if resumed and recorded is None:
        logger.warning("--resume: %s has no record of the streamed files; continuing unchecked", run_dir)
    elif resumed:
        problems = [f"{where}: {line}" for where in now for line in differences(recorded.get(where) or [], now[where])]
        if problems:
            raise UserError(
                "--resume: the streamed data changed since the run started, so the batches it skips as consumed "
                "would be other rows:\n  " + "\n  ".join(problems[:10]) + "\nPut the files back as they were "
                "to resume, or start over with --overwrite (or another run_name) to train on the new data"
            )
    remember(run_dir, "streams", now, fresh=not resumed)


def streamed_files(plan) -> dict[str, list[str]]:
    """The plan's streamed training sets: "objectives[i].datasets.train" -> their data files (RowStream parts)."""
    streams = {}
    for i, objective in enumerate(plan.objectives):
        parts = getattr(getattr(objective.train, "dataset", None), "parts", None)
        if parts:
            streams[f"objectives[{i}].datasets.train"] = [part.file for part in parts]
    return streams
