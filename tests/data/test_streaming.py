"""Streamed training rows (`datasets.train.streaming: true`) are the in-memory rows, read shard by shard."""

from __future__ import annotations

import json

import pytest

from embedding.config.schema import TrainDatasetSpec
from embedding.data import streaming
from embedding.data.preprocess import training_rows
from embedding.data.sources import load_split, stream_parts
from embedding.data.stream_rows import streamed_rows
from embedding.errors import DataError
from tests.conftest import EFAQ_ROWS, write_jsonl
from tests.data.test_pairs import TRIPLETS

# Rows that exercise every efaq rule: short of negatives (completed from the pool), without a positive, a blank.
EFAQ = [
    *EFAQ_ROWS,
    {"sentence": "nota fiscal", "similar": ["emitir nota", "  "], "almost_similar": [], "dissimilar": ["frete"]},
    {"sentence": "frete gratis", "similar": [], "almost_similar": ["frete"], "dissimilar": []},
    {"sentence": "trocar senha", "similar": ["mudar senha"], "almost_similar": None, "dissimilar": None},
]


def key(row: dict) -> str:
    return json.dumps(row, sort_keys=True, ensure_ascii=False)


def both(spec: TrainDatasetSpec, kind: str, seed: int = 5):
    """(streamed TrainingData, in-memory TrainingData) of the same spec."""
    streamed = streamed_rows(stream_parts(spec, "w"), kind, spec.preprocess_args, seed=seed, where="w")
    memory = training_rows(load_split(spec, "w"), kind, spec.preprocess_args, seed=seed, where="w")
    return streamed, memory


def drop_notes(memory) -> list[str]:
    """The in-memory notes a stream also gives: not the one on groups, which a stream does not keep."""
    return [note for note in memory.notes if not note.startswith("groups:")]


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    # Raw batches of 3 rows: per-row seeds must follow the raw row index across batch and file boundaries.
    monkeypatch.setattr(streaming, "BATCH_ROWS", 3)


@pytest.mark.parametrize(
    ("kind", "args"),
    [("contrastive", {"negative_samples": 2}), ("contrastive", {"negative_samples": 0}), ("similarity", {})],
)
def test_efaq_streams_the_in_memory_rows_across_files(tmp_path, kind, args):
    folder = tmp_path / "efaq"
    write_jsonl(folder / "train-00000-of-00002.jsonl", EFAQ[:5])
    write_jsonl(folder / "train-00001-of-00002.jsonl", EFAQ[5:])
    spec = TrainDatasetSpec(name=str(folder), args={"split": "train"}, preprocess_args=args, streaming=True)
    streamed, memory = both(spec, kind)
    assert len(stream_parts(spec, "w")) == 2
    rows = [key(r) for r in streamed.dataset]
    assert sorted(rows) == sorted(key(r) for r in memory.dataset)
    assert len(streamed.dataset) == len(rows) == len(memory.dataset)
    assert (streamed.format, streamed.raw_rows) == (memory.format, memory.raw_rows)
    assert streamed.notes == drop_notes(memory)
    assert streamed.stats == memory.stats


def test_pairs_stream_the_in_memory_rows_with_renames_and_limit(tmp_path):
    renamed = [{**{k: v for k, v in r.items() if k != "anchor"}, "query": r["anchor"]} for r in TRIPLETS * 3]
    path = write_jsonl(tmp_path / "pairs.jsonl", renamed)
    args = {"columns": {"anchor": "query"}, "limit": 7}
    spec = TrainDatasetSpec(name=str(path), preprocess_args=args, streaming=True)
    streamed, memory = both(spec, "contrastive")
    assert sorted(key(r) for r in streamed.dataset) == sorted(key(r) for r in memory.dataset)
    assert streamed.raw_rows == 7 and streamed.notes == drop_notes(memory) and streamed.notes  # self-negatives


def test_order_is_seeded_and_changes_per_epoch(tmp_path):
    path = write_jsonl(tmp_path / "efaq.jsonl", EFAQ * 4)
    spec = TrainDatasetSpec(name=str(path), preprocess_args={"negative_samples": 1}, streaming=True)

    def order(seed: int, epoch: int = 0) -> list[str]:
        data = streamed_rows(stream_parts(spec, "w"), "contrastive", spec.preprocess_args, seed=seed, where="w")
        data.dataset.set_epoch(epoch)
        return [key(r) for r in data.dataset]

    first = order(3)
    assert first == order(3)
    assert first != order(4)  # another seed: another shuffle (and other sampled negatives)
    assert first != order(3, epoch=1) and sorted(first) == sorted(order(3, epoch=1))


def test_two_processes_read_disjoint_shards(tmp_path):
    """accelerate gives each process `dataset.shard(2, rank)` when processes read their own data."""
    from accelerate.data_loader import prepare_data_loader
    from torch.utils.data import DataLoader

    folder = tmp_path / "efaq"
    for i in range(4):
        write_jsonl(folder / f"train-0000{i}-of-00004.jsonl", EFAQ[2 * i : 2 * i + 2] or EFAQ[:1])
    spec = TrainDatasetSpec(name=str(folder), args={"split": "train"}, preprocess_args={}, streaming=True)
    data = streamed_rows(stream_parts(spec, "w"), "contrastive", {}, seed=1, where="w")
    seen = []
    for rank in range(2):
        loader = DataLoader(data.dataset, batch_size=2, collate_fn=list)
        ranked = prepare_data_loader(loader, num_processes=2, process_index=rank, put_on_device=False)
        assert len(ranked.dataset) < len(data.dataset)
        rows = [key(r) for batch in ranked for r in batch]
        assert len(rows) == len(ranked.dataset)
        files = {p.file for p in ranked.dataset.parts}
        assert len(files) == 2
        seen.append((rows, files))
    (rows_0, files_0), (rows_1, files_1) = seen
    assert not files_0 & files_1
    assert sorted(rows_0 + rows_1) == sorted(key(r) for r in data.dataset)


def test_unequal_shards_give_every_process_the_same_number_of_rows(tmp_path):
    """Shards of 5, 2 and 3 raw rows on 2 processes: each reads only its own files and yields the smaller share,
    so both run the same number of batches (no process waits at an epoch's end for the other's gradients)."""
    from accelerate.data_loader import prepare_data_loader
    from torch.utils.data import DataLoader

    folder, start = tmp_path / "efaq", 0
    for i, size in enumerate((5, 2, 3)):
        write_jsonl(folder / f"train-0000{i}-of-00003.jsonl", (EFAQ * 2)[start : start + size])
        start += size
    spec = TrainDatasetSpec(name=str(folder), args={"split": "train"}, preprocess_args={}, streaming=True)
    data = streamed_rows(stream_parts(spec, "w"), "contrastive", {}, seed=1, where="w")
    own, left_out = data.dataset.process_split(2)
    shares = [sum(p.rows for p in streaming.split_parts(data.dataset.parts, 2, rank)) for rank in range(2)]
    assert own and shares[0] != shares[1] and left_out == abs(shares[0] - shares[1])
    everything = {key(r) for r in data.dataset}
    seen = []
    for rank in range(2):
        loader = DataLoader(data.dataset, batch_size=2, collate_fn=list)
        ranked = prepare_data_loader(
            loader, num_processes=2, process_index=rank, put_on_device=False, dispatch_batches=False
        )
        for epoch in (0, 1):
            ranked.set_epoch(epoch)
            rows = [key(r) for batch in ranked for r in batch]
            assert len(rows) == len(ranked.dataset) == min(shares)
            assert set(rows) <= everything
        seen.append({p.file for p in ranked.dataset.parts})
    assert not seen[0] & seen[1] and len(seen[0] | seen[1]) == 3
    assert data.dataset.process_split(4) == (False, 0)  # fewer files than processes: rank 0 reads for all


def test_dataloader_workers_split_the_shards(tmp_path):
    from torch.utils.data import DataLoader, get_worker_info

    folder = tmp_path / "efaq"
    for i in range(4):
        write_jsonl(folder / f"train-0000{i}-of-00004.jsonl", EFAQ[2 * i : 2 * i + 3])
    spec = TrainDatasetSpec(name=str(folder), args={"split": "train"}, preprocess_args={}, streaming=True)
    data = streamed_rows(stream_parts(spec, "w"), "contrastive", {}, seed=1, where="w")

    def by_worker(rows):
        return get_worker_info().id, [key(r) for r in rows]

    def read() -> list:
        return list(DataLoader(data.dataset, batch_size=2, num_workers=2, collate_fn=by_worker))

    batches = read()
    workers = {worker for worker, _ in batches}
    rows = [row for _, batch in batches for row in batch]
    assert workers == {0, 1} and len(rows) == len(data.dataset)
    assert sorted(rows) == sorted(key(r) for r in data.dataset)
    assert batches == read()  # the same batches from the same workers every time: a resume can replay them


@pytest.mark.parametrize(("parts", "world"), [(4, 2), (5, 2), (3, 4), (7, 3)])
def test_shards_split_like_datasets(parts, world):
    """Each shard goes to exactly one process, in order, as datasets' own contiguous split does."""
    from datasets.utils.sharding import _distribute_shards

    shards = list(range(parts))
    split = [streaming.split_parts(shards, world, rank) for rank in range(world)]
    assert sum(split, []) == shards
    expected = [list(r) for r in _distribute_shards(parts, world)]
    assert split[: len(expected)] == expected


def test_a_format_that_needs_all_rows_is_refused(tmp_path):
    rows = [{"text": f"t{i}", "label": i % 2} for i in range(6)]
    path = write_jsonl(tmp_path / "labeled.jsonl", rows)
    spec = TrainDatasetSpec(name=str(path), preprocess_args={}, streaming=True)
    with pytest.raises(DataError, match=r"w\.streaming: the `labeled` format needs the whole dataset"):
        streamed_rows(stream_parts(spec, "w"), "contrastive", {}, seed=1, where="w")


def test_a_missing_split_names_the_key(tmp_path):
    write_jsonl(tmp_path / "efaq" / "train.jsonl", EFAQ)
    spec = TrainDatasetSpec(name=str(tmp_path / "efaq"), args={"split": "dev"}, streaming=True)
    with pytest.raises(DataError, match=r"w\.args\.split: split `dev` not found .*available: train"):
        stream_parts(spec, "w")


def test_validate_lists_every_streaming_problem_at_once():
    from embedding.errors import ConfigError
    from embedding.validation import validate_mapping

    def check_streaming(config):
        config = {"run_name": "r", "base_model": {"name": "m"}, **config}
        try:
            validate_mapping(config)
        except ConfigError as error:
            return [p for p in error.problems if "streaming" in p.where]
        return []

    streamed = {"name": "x.jsonl", "streaming": True, "filter": {"score": {"min": 1}}}
    config = {
        "objectives": [
            {"type": "contrastive", "batch_sampler": "no_duplicates", "datasets": {"train": streamed}},
            {"type": "similarity", "datasets": {"train": {"name": "y.jsonl"}}},
        ],
        "args": {"num_train_epochs": 1},
    }
    problems = check_streaming(config)
    assert {p.where for p in problems} == {"objectives[0].datasets.train.streaming"}
    text = "\n".join(p.message for p in problems)
    expected = ("set args.max_steps", "one objective alone (2 configured)", "batch_sampler `no_duplicates`", "filter")
    assert all(part in text for part in expected), text
    config["objectives"].pop()
    config["args"], config["objectives"][0] = {"max_steps": 10}, {"type": "contrastive", "datasets": {"train": {}}}
    assert check_streaming(config) == []  # not streamed: nothing to say
    config["objectives"][0]["datasets"]["train"] = {"name": "x.jsonl", "streaming": True}
    assert check_streaming(config) == []  # streamed with max_steps and nothing a stream cannot do
