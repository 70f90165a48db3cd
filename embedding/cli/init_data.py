"""`embedding init --from-data FILE`: a config that trains on someone's own file, decided from its rows.

The file is read with pyarrow (CSV, TSV, JSONL, JSON, parquet; or a folder with train.* and validation.*),
`data.formats.guess.propose` says which format and column mapping the rows prove, and the config is written with
a validation split carved from the data when none is given (datasets' split slicing: `train[:90%]` trains,
`train[90%:]` is held out, the same rows every run), a retrieval (or STS) evaluator on it, and `output_dir: runs`.
Every decision is printed with its evidence, and repeated in the config's comments.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import UserError

PACKAGED = "sentence-transformers/all-MiniLM-L6-v2"
READERS = (".csv", ".tsv", ".jsonl", ".json", ".parquet")


def data_files(path: Path) -> tuple[Path, Path | None]:
    """(train file, validation file or None): `path` itself, or a folder's train.* / validation.* files."""
    if not path.exists():
        raise UserError(f"--from-data {path}: no such file or folder; give a CSV, JSONL or parquet file")
    if path.is_file():
        if path.suffix.lower() not in READERS:
            raise UserError(
                f"--from-data {path}: unsupported file type `{path.suffix}`; use one of {', '.join(READERS)}"
            )
        return path, None
    found = {p.stem.split("-")[0]: p for p in sorted(path.iterdir()) if p.suffix.lower() in READERS}
    if "train" not in found:
        raise UserError(
            f"--from-data {path}: a folder needs a train file (train.csv, train.jsonl, ...); it has "
            f"{', '.join(p.name for p in found.values()) or 'no data files'}"
        )
    return found["train"], found.get("validation")


def read_table(path: Path):
    """The file's rows as a pyarrow Table; a file that cannot be read is named with the line and the reason."""
    import pyarrow as pa

    suffix = path.suffix.lower()
    kind = suffix[1:].upper()
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return pq.read_table(path)
        text = path.read_bytes().decode("utf-8")  # the formats read UTF-8: say so before a parser guesses
        if suffix in (".csv", ".tsv"):
            from pyarrow import csv

            options = csv.ParseOptions(delimiter="\t" if suffix == ".tsv" else ",", newlines_in_values=True)
            return csv.read_csv(path, parse_options=options)
        return pa.Table.from_pylist(_json_rows(text, suffix, path))
    except UnicodeDecodeError as exc:
        raise UserError(f"--from-data {path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except (pa.ArrowException, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"--from-data {path}: cannot read it as {kind}: {reason}") from None


def _json_rows(text: str, suffix: str, path: Path) -> list[dict]:
    """JSON objects, one a line (or one JSON array of them in a .json file), each checked."""
    if suffix == ".json" and text.lstrip().startswith("["):
        lines = [(1, text)]
    else:
        lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    rows = []
    for number, line in lines:
        try:
            value = json.loads(line)
        except json.JSONDecodeError as err:
            raise UserError(f"--from-data {path}: line {number}: invalid JSON ({err.msg}); fix or remove it") from None
        for row in value if isinstance(value, list) else [value]:
            if not isinstance(row, dict):
                raise UserError(
                    f"--from-data {path}: line {number}: expected a JSON object per row ({{column: value}}), "
                    f"got {type(row).__name__}"
                )
            rows.append(row)
    return rows


def unprovable(path: Path, table) -> UserError:
    types = ", ".join(f"{name} ({table.schema.field(name).type})" for name in table.column_names)
    return UserError(
        f"--from-data {path}: cannot tell from the columns {types} what to train on. Pairs need two text columns "
        "(e.g. question, answer), labeled data a text and a short label column, scored pairs two texts and a "
        "number, e-faq a text and a list of texts. Rename or add a column, or start from "
        "`embedding init --template faq|sts|labeled` and map your columns with preprocess_args.columns"
    )


def holdout_share(rows: int) -> int:
    """Percent of the rows held out for validation: more of a small file, so the evaluation means something."""
    return 20 if rows < 100 else 10


def batch_size(train_rows: int, groups: int | None) -> int:
    """32, halved while a batch would take more than half the training rows (or, per group, all the groups)."""
    size = 32
    while size > 4 and (size * 2 > train_rows or (groups is not None and size > groups)):
        size //= 2
    return size


def _q(value) -> str:
    """`value` as a YAML scalar: plain when YAML reads it back as the same string, else JSON-quoted."""
    import yaml

    text = str(value)
    plain = text and not any(c in text for c in ":#{}[],&*!|>'\"%@`") and text == text.strip()
    return text if plain and yaml.safe_load(text) == text else json.dumps(text, ensure_ascii=False)


def _flow(args: dict) -> str:
    parts = []
    for key, value in args.items():
        inner = _flow(value) if isinstance(value, dict) else _q(value) if isinstance(value, str) else value
        parts.append(f"{key}: {inner}")
    return "{" + ", ".join(parts) + "}"


def carve(rows: int, share: int, blocks: int = 10) -> tuple[str, str]:
    """(train split, validation split) as datasets split strings: the file cut into `blocks` equal parts, the
    last `share`% of each part held out. Spread over the whole file, so data sorted by label, score or topic
    still gets a validation split like its training rows; by row index, so the same rows every run."""
    blocks = max(1, min(blocks, rows * share // 400))  # 4+ held-out rows a part: a label's texts stay together
    train, held = [], []
    for b in range(blocks):
        start, end = b * rows // blocks, (b + 1) * rows // blocks
        cut = end - max(1, (end - start) * share // 100)
        train += [f"train[{start}:{cut}]"] if cut > start else []
        held.append(f"train[{cut}:{end}]")
    return "+".join(train), "+".join(held)


def splits(train: Path, validation: Path | None, rows: int) -> tuple[dict, dict | None, str]:
    """(train dataset, validation dataset or None, the decision in words)."""
    if validation is not None:
        return {"name": str(train)}, {"name": str(validation)}, f"validation: {validation} (given)"
    if rows < 10:
        return {"name": str(train)}, None, f"validation: none ({rows} rows are too few to hold any out)"
    share = holdout_share(rows)
    train_split, held_split = carve(rows, share)
    parts = held_split.count("+") + 1
    return (
        {"name": str(train), "args": {"split": train_split}},
        {"name": str(train), "args": {"split": held_split}},
        f"validation: {share}% of the rows ({held_split}), "
        + (
            f"the end of each of {parts} equal parts of the file, so sorted data is still represented"
            if parts > 1
            else "the end of the file (a small file: its last rows)"
        )
        + "; by row index, the same rows every run; the rest trains. Rows added later are in neither: run init again",
    )


def _count(split: str) -> int:
    """Rows in a `train[a:b]+train[c:d]` split string."""
    return sum(int(b) - int(a) for a, b in (p[6:-1].split(":") for p in split.split("+")))


def _dataset(spec: dict, preprocess: dict, indent: int) -> list[str]:
    """A dataset spec in block style, one key a line."""
    pad = " " * indent
    lines = [f"{pad}name: {_q(spec['name'])}"]
    if "args" in spec:
        lines.append(f"{pad}args: {_flow(spec['args'])}")
    return lines + ([f"{pad}preprocess_args: {_flow(preprocess)}"] if preprocess else [])


def sampler(proposal, size: int) -> tuple[str, str]:
    """(batch_sampler, why): no text twice in a batch, or one row per label where there are labels enough."""
    if proposal.labels is not None and proposal.labels >= 2 * size:
        return "one_per_group", (
            f"batch_sampler one_per_group: {proposal.labels} labels, so each batch of {size} holds one text per "
            "label and no same-label text is ever another's in-batch negative"
        )
    if proposal.shared:
        count, most = proposal.shared
        return "no_duplicates", (
            f"batch_sampler no_duplicates: {count} {proposal.columns['positive']} text(s) belong to several "
            f"{proposal.columns['anchor']} texts (up to {most}); in one batch each would be a false negative for "
            "the others, and no_duplicates keeps a text out of a batch twice"
        )
    return "no_duplicates", "batch_sampler no_duplicates: no text twice in a batch, so in-batch negatives are real"


def config_text(proposal, train: dict, held: dict | None, rows: int, model: str, run_name: str) -> tuple[str, list]:
    """The config (YAML with comments) and the decisions to print, one line each."""
    preprocess = proposal.preprocess_args()
    train_rows = rows if held is None or "args" not in held else rows - _count(held["args"]["split"])
    size = batch_size(train_rows, proposal.labels if proposal.format == "labeled" else None)
    if proposal.format == "efaq" and ({"almost_similar", "dissimilar"} & set(proposal.columns)):
        preprocess["negative_samples"] = 1
    similarity = proposal.objective == "similarity"
    decisions = [f"format {proposal.format} {_flow(preprocess)}: " + "; ".join(proposal.reasons)]
    lines = [
        f"run_name: {_q(run_name)}",
        "output_dir: runs                 # the run lives in runs/<run_name>; a new run never overwrites it",
        "base_model:",
        f"  name: {_q(model)}",
        "objectives:",
        f"  - type: {proposal.objective}",
        "    datasets:",
        "      train:",
        *_dataset(train, preprocess, 8),
    ]
    if similarity and held is not None:
        lines += [
            "      validation:                # its loss is logged at each evaluation",
            *_dataset(held, preprocess, 8),
        ]
    epochs = 3 if train_rows < 1000 else 1
    args = [f"num_train_epochs: {epochs}", f"per_device_train_batch_size: {size}", "per_device_eval_batch_size: 64"]
    if not similarity:
        choice, why = sampler(proposal, size)
        args.append(f"batch_sampler: {choice}")
        decisions.append(why)
    args += [f"learning_rate: {'0.00002' if similarity else '0.00005'}", "warmup_steps: 0.1"]
    metric = "spearman_cosine" if similarity else "cosine_ndcg@10"
    if held is not None:
        args += [
            "eval_strategy: epoch",
            "save_strategy: epoch",
            "save_total_limit: 1",
            f"metric_for_best_model: {metric}",
            "load_best_model_at_end: true",
        ]
    args += [f"logging_steps: {max(1, -(-train_rows // size) * epochs // 10)}", "report_to: none", "seed: 42"]
    lines += ["args:", *(f"  {a}" for a in args)]
    if held is not None:
        lines += _evaluator(proposal, held, preprocess, similarity)
        decisions.append(
            f"evaluator {'sts' if similarity else 'retrieval'} on the validation rows, main metric {metric}"
        )
    decisions.append(f"training: {train_rows} rows, batch {size}, {epochs} epoch(s), model {model}")
    return "\n".join(lines) + "\n", decisions


def _evaluator(proposal, held: dict, preprocess: dict, similarity: bool) -> list[str]:
    if similarity:  # the STS evaluator reads sentence1, sentence2, score: only the renames
        renames = {k: v for k, v in preprocess.items() if k == "columns"}
        return ["evaluator:", "  type: sts", "  dataset:", *_dataset(held, renames, 4)]
    retrieval = {k: v for k, v in preprocess.items() if k in ("format", "columns")}
    return [
        "evaluator:",
        "  type: retrieval                # each validation query must find its own texts among all of them",
        "  dataset:",
        *_dataset(held, retrieval, 4),
        "  args: {ndcg_at_k: [10], mrr_at_k: [10], accuracy_at_k: [1, 5]}",
    ]


def run_from_data(source: str, output: Path, model: str | None) -> tuple[str, list[str]]:
    """(config text, decisions) for the data at `source`; a UserError when its rows prove no format."""
    import re

    from ..data.formats.guess import propose

    train, validation = data_files(Path(source).expanduser())
    table = read_table(train)
    if table.num_rows == 0:
        raise UserError(f"--from-data {train}: the file has no rows")
    proposal = propose(table)
    if proposal is None:
        raise unprovable(train, table)
    train_spec, held, split_decision = splits(train, validation, table.num_rows)
    run_name = re.sub(r"[^A-Za-z0-9._-]+", "-", (Path(source).stem if train == Path(source) else Path(source).name))
    body, decisions = config_text(proposal, train_spec, held, table.num_rows, model or PACKAGED, run_name or "run")
    decisions.insert(1, split_decision)
    header = [
        f"# Written by `embedding init --from-data {source}` from the data's {table.num_rows:,} rows.",
        "# What it decided and why:",
        *(f"#   - {d}" for d in decisions),
        "#",
        f"# Train it: embedding train --config {output}",
        "# Every key with its default: docs/config.md, or `embedding schema`.",
        "",
    ]
    return "\n".join(header) + body, decisions
