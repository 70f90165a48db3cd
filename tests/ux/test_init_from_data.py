"""`embedding init --from-data`: the format and columns proven from the rows, a config that trains as written."""

from __future__ import annotations

import csv
import json

import pyarrow as pa
import pytest
import yaml

from embedding.cli.init_data import carve, holdout_share
from embedding.data.formats.guess import propose
from embedding.data.groups import shared_positives

ANSWERS = [
    "Go to Settings, then Security, and choose Reset password. We email you a link.",
    "Open Orders in your account to see the tracking link and the expected delivery date.",
    "We accept Visa, Mastercard and American Express, in up to 10 instalments.",
    "Returns are free within 30 days: print the label from Orders, Return item.",
    "Shipping is free on orders over 50 euros; below that it costs 4.90.",
]
QUESTIONS = [
    ["How do I reset my password?", "I forgot my password", "Can't log in anymore", "password reset link"],
    ["Where is my order?", "Track my package", "When will my parcel arrive?", "order status"],
    ["Can I pay with a credit card?", "Do you take Amex?", "Pay in instalments?", "card payment"],
    ["How do I return an item?", "I want to send something back", "refund please", "return label"],
    ["Is shipping free?", "How much is delivery?", "delivery cost", "free shipping threshold"],
]


def qa_rows() -> list[dict]:
    """A hand-written FAQ: every answer repeated for four questions (in-batch false negatives)."""
    return [{"question": q, "answer": a} for a, qs in zip(ANSWERS, QUESTIONS, strict=True) for q in qs]


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_question_answer_is_pairs_with_the_question_as_anchor():
    proposal = propose(pa.Table.from_pylist(qa_rows()))
    assert proposal.format == "pairs"
    assert proposal.preprocess_args() == {"format": "pairs", "columns": {"anchor": "question", "positive": "answer"}}
    assert proposal.shared == (5, 4)  # five answers, each shared by four questions


def test_an_id_column_is_no_score():
    rows = [{"id": i, **row} for i, row in enumerate(qa_rows())]
    proposal = propose(pa.Table.from_pylist(rows))
    assert (proposal.format, proposal.columns) == ("pairs", {"anchor": "question", "positive": "answer"})


def test_unnamed_text_columns_take_the_shorter_as_anchor():
    rows = [{"b": a, "a": q} for a, qs in zip(ANSWERS, QUESTIONS, strict=True) for q in qs]
    proposal = propose(pa.Table.from_pylist(rows))
    assert proposal.columns == {"anchor": "a", "positive": "b"} and "shorter" in proposal.reasons[0]


def test_a_short_repeating_column_is_a_label():
    rows = [{"utterance": q, "intent": f"intent_{i}"} for i, qs in enumerate(QUESTIONS) for q in qs]
    proposal = propose(pa.Table.from_pylist(rows))
    assert (proposal.format, proposal.columns) == ("labeled", {"text": "utterance", "label": "intent"})
    assert proposal.labels == 5 and "5 distinct values over 20 rows" in proposal.reasons[0]


def test_a_number_beside_two_texts_is_a_score():
    rows = [
        {"left": q, "right": a, "sim": float(i % 6)}
        for i, (q, a) in enumerate(zip(ANSWERS, ANSWERS[1:], strict=False))
    ]
    proposal = propose(pa.Table.from_pylist(rows))
    assert proposal.format == "scored-pairs" and proposal.objective == "similarity"
    assert proposal.columns == {"sentence1": "left", "sentence2": "right", "score": "sim"}


def test_a_list_of_texts_is_the_efaq_shape():
    rows = [{"question": qs[0], "paraphrases": qs[1:], "dissimilar": [ANSWERS[0]]} for qs in QUESTIONS]
    proposal = propose(pa.Table.from_pylist(rows))
    assert proposal.format == "efaq"
    assert proposal.columns == {"sentence": "question", "similar": "paraphrases", "dissimilar": "dissimilar"}


def test_efaq_columns_as_named_keep_their_hard_negatives(tmp_path):
    from embedding.cli.init_data import config_text

    rows = [{"sentence": qs[0], "similar": qs[1:], "dissimilar": [ANSWERS[0]]} for qs in QUESTIONS]
    proposal = propose(pa.Table.from_pylist(rows))
    assert proposal.columns == {"sentence": "sentence", "similar": "similar", "dissimilar": "dissimilar"}
    text, _ = config_text(proposal, {"name": "faq.jsonl"}, None, len(rows), "m", "faq")
    assert "preprocess_args: {format: efaq, negative_samples: 1}" in text  # the listed negatives are used


def test_nothing_is_proposed_that_the_rows_cannot_prove():
    assert propose(pa.Table.from_pylist([{"text": q} for qs in QUESTIONS for q in qs])) is None
    assert shared_positives(["a", "b"], ["x", "y"]) is None


def test_the_format_hint_names_the_mapping_that_loads(tmp_path):
    from datasets import Dataset

    from embedding.data.preprocess import training_rows
    from embedding.errors import DataError

    with pytest.raises(DataError) as caught:
        training_rows(Dataset.from_list(qa_rows()), "contrastive", {}, seed=1, where="objectives[0].datasets.train")
    text = str(caught.value)
    assert (
        "load as `pairs` with preprocess_args {format: pairs, columns: {anchor: question, positive: answer}}" in text
    )
    assert "efaq" not in text


def test_init_from_data_writes_a_config_that_trains(cli, tiny_bert, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "my.csv", qa_rows())
    assert cli(["init", "--from-data", "my.csv", "--model", str(tiny_bert)]) == 0
    out = capsys.readouterr().out
    assert (
        "format pairs" in out
        and "anchor: question" in out
        and "no_duplicates" in out
        and "the same rows every run" in out
    )
    config = yaml.safe_load((tmp_path / "config.yaml").read_text())
    assert config["output_dir"] == "runs" and config["args"]["batch_sampler"] == "no_duplicates"
    assert config["objectives"][0]["datasets"]["train"]["args"] == {"split": "train[0:16]"}
    assert config["evaluator"]["dataset"]["args"] == {"split": "train[16:20]"}
    assert cli(["train", "--config", "config.yaml"]) == 0
    result = json.loads((tmp_path / "runs" / "my" / "evaluation.json").read_text())
    assert result["after"] and (tmp_path / "runs" / "my" / "final" / "modules.json").exists()


def test_init_from_data_labeled_and_scored_train(cli, tiny_bert, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    labeled = [{"text": q, "intent": f"intent_{i}"} for i, qs in enumerate(QUESTIONS) for q in qs]
    (tmp_path / "intents.jsonl").write_text("".join(json.dumps(r) + "\n" for r in labeled))
    scored = [
        {"s1": q, "s2": a, "score": float((i + j) % 5)}
        for i, (qs, a) in enumerate(zip(QUESTIONS, ANSWERS, strict=True))
        for j, q in enumerate(qs)
    ]
    write_csv(tmp_path / "sts.csv", scored)
    for name in ("intents.jsonl", "sts.csv"):
        out = f"{name.split('.')[0]}.yaml"
        assert cli(["init", "--from-data", name, "--model", str(tiny_bert), "-o", out]) == 0
        assert cli(["train", "--config", out, "--set", "args.max_steps=2"]) == 0, name  # 2 steps: quick
    assert yaml.safe_load((tmp_path / "sts.yaml").read_text())["evaluator"]["type"] == "sts"


def test_init_from_data_bad_input_is_one_message(cli, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli(["init", "--from-data", "missing.csv"]) == 2
    assert "--from-data missing.csv: no such file" in capsys.readouterr().err
    write_csv(tmp_path / "one.csv", [{"text": q} for qs in QUESTIONS for q in qs])
    assert cli(["init", "--from-data", "one.csv"]) == 2
    err = capsys.readouterr().err
    assert "cannot tell from the columns text (string)" in err and "Traceback" not in err
    (tmp_path / "bad.jsonl").write_text('{"text": "a", "label": "x"}\nnot json\n')
    (tmp_path / "nums.json").write_text("[1, 2]")
    (tmp_path / "latin1.csv").write_bytes("question,answer\nol\xe1,adeus\n".encode("latin-1"))
    (tmp_path / "empty.csv").write_text("question,answer\n")
    for name, message in (
        ("bad.jsonl", "bad.jsonl: line 2: invalid JSON"),
        ("nums.json", "nums.json: line 1: expected a JSON object per row"),
        ("latin1.csv", "latin1.csv: not UTF-8 text (byte 18); save it as UTF-8"),
        ("empty.csv", "empty.csv: the file has no rows"),
    ):
        assert cli(["init", "--from-data", name]) == 2, name
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, err
    assert not (tmp_path / "config.yaml").exists()


def test_the_validation_split_is_spread_over_the_file_and_partitions_it():
    assert holdout_share(20) == 20 and holdout_share(5000) == 10
    train, held = carve(5000, 10)
    spans = [range(int(a), int(b)) for a, b in (p[6:-1].split(":") for p in f"{train}+{held}".split("+"))]
    rows = [r for span in spans for r in span]
    assert sorted(rows) == list(range(5000))  # every row once, in train or validation
    assert held.count("+") == 9 and held.startswith("train[450:500]") and held.endswith("train[4950:5000]")


@pytest.mark.slow
def test_own_csv_to_trained_model_with_the_packaged_model(cli, tmp_path, monkeypatch):
    """The issue's path: a hand-written question/answer CSV, `init --from-data`, `train` as written."""
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "my.csv", qa_rows())
    assert cli(["init", "--from-data", "my.csv"]) == 0
    assert cli(["train", "--config", "config.yaml"]) == 0
    result = json.loads((tmp_path / "runs" / "my" / "evaluation.json").read_text())
    assert result["after"]["cosine_ndcg@10"] >= result["before"]["cosine_ndcg@10"] - 0.05
