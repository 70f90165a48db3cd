"""A list of evaluators during training: both metric families logged, any of them selects the best model, and
the before/after results (evaluation.json, report.md, model card) cover all of them."""

from __future__ import annotations

import json

from embedding import train
from tests.conftest import base_config, write_jsonl

STS_ROWS = [
    {"sentence1": "pedir cartao", "sentence2": "como pedir cartao", "score": 0.9},
    {"sentence1": "prazo entrega", "sentence2": "cupom desconto", "score": 0.1},
    {"sentence1": "cancelar pedido", "sentence2": "como cancelar pedido", "score": 0.8},
    {"sentence1": "rastrear encomenda", "sentence2": "pagamento boleto pix", "score": 0.2},
    {"sentence1": "usar cupom", "sentence2": "desconto na loja", "score": 0.7},
    {"sentence1": "segunda via boleto", "sentence2": "cartao de credito", "score": 0.3},
]


def list_config(tmp_path, tiny_bert, efaq_dir, metric: str) -> dict:
    sts = write_jsonl(tmp_path / "sts" / "validation.jsonl", STS_ROWS)
    cfg = base_config(tiny_bert, efaq_dir, tmp_path / "out", early_stopping=None)
    cfg["objectives"] = cfg["objectives"][:1]
    cfg["objectives"][0]["datasets"].pop("validation")
    cfg["args"].update(max_steps=4, eval_steps=2, save_steps=2, metric_for_best_model=metric, save_total_limit=None)
    cfg["args"] = {k: v for k, v in cfg["args"].items() if v is not None}
    ir = cfg["evaluator"]
    cfg["evaluator"] = [ir, {"type": "sts", "dataset": {"name": str(sts.parent), "args": {"split": "validation"}}}]
    return cfg


def test_ir_and_sts_evaluators_train_and_select_the_best_model_by_the_sts_metric(tmp_path, tiny_bert, efaq_dir):
    result = train(list_config(tmp_path, tiny_bert, efaq_dir, "eval_sts_spearman_cosine"))
    run = result.run_dir
    evals = [r for r in map(json.loads, (run / "logs.jsonl").read_text().splitlines()) if "eval_runtime" in r]
    assert [r["step"] for r in evals] == [2, 4]
    for record in evals:  # both families at every evaluation, each under its evaluator's name
        assert {"eval_retrieval_cosine_map@1", "eval_retrieval_cosine_ndcg@10", "eval_sts_spearman_cosine"} <= set(
            record
        )
        assert "eval_sequential_score" not in record
    # load_best_model_at_end chose by the STS metric: its best value, at the first step reaching it
    scores = [r["eval_sts_spearman_cosine"] for r in evals]
    last = max(run.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    state = json.loads((last / "trainer_state.json").read_text())
    assert state["best_metric"] == max(scores)
    assert state["best_model_checkpoint"].endswith(f"checkpoint-{evals[scores.index(max(scores))]['step']}")

    evaluation = json.loads((run / "evaluation.json").read_text())
    assert evaluation["main_metric"] == "sts_spearman_cosine"
    for side in ("before", "after"):
        assert {"retrieval_cosine_map@1", "sts_spearman_cosine", "sts_pearson_cosine"} <= set(evaluation[side])
        assert "sequential_score" not in evaluation[side]
    report = (run / "report.md").read_text()
    card = (result.model_dir / "README.md").read_text()
    for text in (report, card):
        assert "**sts_spearman_cosine** (main)" in text and "retrieval_cosine_ndcg@10" in text


def test_one_sts_evaluator_keeps_its_plain_metric_names(tmp_path, tiny_bert, efaq_dir):
    cfg = list_config(tmp_path, tiny_bert, efaq_dir, "spearman_cosine")
    cfg["evaluator"] = cfg["evaluator"][1]
    cfg["args"].update(max_steps=2, load_best_model_at_end=False)
    result = train(cfg)
    evaluation = json.loads((result.run_dir / "evaluation.json").read_text())
    assert set(evaluation["after"]) == {"pearson_cosine", "spearman_cosine"}
    assert evaluation["main_metric"] == "spearman_cosine"


class Fixed:
    """A stand-in evaluator: fixed metrics under a prefix, ST's primary_metric convention."""

    def __init__(self, prefix: str, metrics: dict[str, float], primary: str):
        self.metrics = {f"{prefix}_{k}": v for k, v in metrics.items()}
        self.primary_metric = f"{prefix}_{primary}"

    def __call__(self, model, output_path=None, epoch=-1, steps=-1):
        return dict(self.metrics)


def test_sequence_main_metric_is_the_chosen_one_else_the_first_evaluators():
    from embedding.evaluation.sequence import EvaluatorSequence

    ir = Fixed("retrieval", {"cosine_ndcg@10": 0.5, "cosine_map@1": 0.4}, "cosine_ndcg@10")
    sts = Fixed("sts", {"spearman_cosine": 0.7}, "spearman_cosine")
    chosen = EvaluatorSequence([ir, sts], main="sts_spearman_cosine")
    assert chosen(None) == {"retrieval_cosine_ndcg@10": 0.5, "retrieval_cosine_map@1": 0.4, "sts_spearman_cosine": 0.7}
    assert chosen.primary_metric == "sts_spearman_cosine"
    for main in (None, "contrastive_loss"):  # no choice, or a metric no evaluator logs (an eval loss)
        default = EvaluatorSequence([ir, sts], main=main)
        default(None)
        assert default.primary_metric == "retrieval_cosine_ndcg@10"
