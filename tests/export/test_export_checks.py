"""The export check fails what it must (vectors unlike torch's, a batch-dependent deterministic format, a NaN
limit), bad targets and outputs are exit 2, and an export folder is evaluated by running its graph."""

from __future__ import annotations

import json
import os
import shutil

import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


def export(cli, model, efaq_dir, output, fmt="onnx", *extra):
    args = ["export", str(model), "--format", fmt, "--dataset", str(efaq_dir), *extra]
    return cli([*args, "--output", str(output)] if output else args)


def _permute_hidden_dims(path):
    """Rewrite an ONNX graph so that last_hidden_state comes out with its hidden dimensions reversed."""
    import onnx
    from onnx import helper

    model = onnx.load(str(path))
    graph = model.graph
    width = 32  # the tiny BERT's hidden size
    for node in graph.node:
        node.output[:] = ["raw_hidden" if name == "last_hidden_state" else name for name in node.output]
    graph.initializer.append(helper.make_tensor("perm", onnx.TensorProto.INT64, [width], list(range(width))[::-1]))
    graph.node.append(helper.make_node("Gather", ["raw_hidden", "perm"], ["last_hidden_state"], axis=2))
    onnx.save(model, str(path))


def test_a_graph_with_permuted_dimensions_fails_the_check(cli, tiny_st, efaq_dir, tmp_path):
    """Same similarities among its own vectors (the metric is unchanged), unusable against a torch-built index."""
    from sentence_transformers import SentenceTransformer

    from embedding.config.eval_schema import TaskSpec
    from embedding.evaluation.tasks import load_task
    from embedding.export.check import check_export
    from embedding.export.runtime import load_exported

    output = tmp_path / "tiny-onnx"
    assert export(cli, tiny_st, efaq_dir, output) == 0
    _permute_hidden_dims(output / "onnx" / "model.onnx")
    data = load_task(TaskSpec(type="ir", dataset={"name": str(efaq_dir)}, split="test"), 0, seed=42)
    torch_model = SentenceTransformer(str(tiny_st), device="cpu")
    facts = dict(format="onnx", file_name="onnx/model.onnx", model="m", max_drop=0.01, max_cosine_limit=1e-4)
    check = check_export(torch_model, load_exported(output), data, batch_size=8, batch_limit=1e-6, **facts)
    assert check.drop == pytest.approx(0.0, abs=1e-6)  # the metric alone would pass it
    assert check.max_cosine_difference > 0.1 and not check.passed
    assert any("embeddings differ from torch's" in failure for failure in check.failures)


def test_a_deterministic_format_whose_vector_depends_on_the_batch_fails():
    from embedding.export.check import ExportCheck
    from embedding.export.speed import Speed

    speed = Speed(1, 8, 8, 3, 0.5, 2, 10.0, 9.0, 20.0, 18.0)
    facts = dict(format="onnx-int8", file_name="f", model="m", task="t", split="test", texts=8, batch_size=8)
    scores = dict(metric="ndcg@10", metric_torch=0.5, metric_export=0.5, speed=speed, max_drop=0.01)
    check = ExportCheck(
        **facts, **scores, max_cosine_difference=0.01, max_cosine_limit=0.05, batch_difference=1e-3, batch_limit=1e-6
    )
    assert check.failures == ["a text's vector depends on its batch: max (1 - cos) alone vs batched 1.00e-03 > 1e-06"]
    assert check.as_json()["speed"]["speedup"] == 2.0  # best against best
    undetermined = ExportCheck(
        **{**facts, "format": "onnx-int8-dynamic"},
        **scores,
        max_cosine_difference=0.01,
        max_cosine_limit=0.05,
        batch_difference=1e-3,
        batch_limit=None,
    )
    assert undetermined.passed  # dynamic int8 reports its batch dependence without a promise


@pytest.mark.parametrize("value", ["nan", "-0.1", "inf"])
def test_a_nan_or_negative_max_drop_is_refused_before_anything_is_written(cli, tiny_st, efaq_dir, tmp_path, value):
    with pytest.raises(SystemExit) as exit_info:
        export(cli, tiny_st, efaq_dir, tmp_path / "out", "onnx", "--max-drop", value)
    assert exit_info.value.code == 2 and not (tmp_path / "out").exists()


def test_a_run_dir_typo_is_no_such_folder(cli, tmp_path, capsys):
    (tmp_path / "runs").mkdir()
    assert cli(["export", str(tmp_path / "runs" / "quickstrat"), "--format", "onnx"]) == 2
    err = capsys.readouterr().err
    assert "no such folder" in err and "a model, not a run folder" not in err


def test_output_under_a_parent_that_cannot_be_written_is_exit_2(cli, tiny_st, efaq_dir, tmp_path, capsys, monkeypatch):
    from pathlib import Path

    parent = tmp_path / "locked"
    parent.mkdir()
    real = Path.mkdir

    def refuse(self, *args, **kwargs):  # root ignores chmod: the OS's refusal is simulated
        if self.parent == parent:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", refuse)
    assert export(cli, tiny_st, efaq_dir, parent / "out") == 2
    assert "cannot create a folder in" in capsys.readouterr().err and list(parent.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod 555")
def test_output_under_a_read_only_parent_is_exit_2(cli, tiny_st, efaq_dir, tmp_path, capsys):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        assert export(cli, tiny_st, efaq_dir, parent / "out") == 2
    finally:
        parent.chmod(0o755)
    assert "is not writable" in capsys.readouterr().err


def test_a_static_embedding_model_is_refused_naming_the_supported_modules(cli, tiny_bert, efaq_dir, tmp_path, capsys):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tiny_bert / "tokenizer.json"))
    static = SentenceTransformer(modules=[StaticEmbedding(tokenizer, embedding_dim=8)], device="cpu")
    static.save(str(tmp_path / "static"))
    assert export(cli, tmp_path / "static", efaq_dir, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert "starts with StaticEmbedding" in err and "Transformer (then Pooling, Dense, Normalize)" in err
    assert "library failed" not in err and not (tmp_path / "out").exists()


def test_a_model_folder_exports_beside_it_and_a_model_name_needs_output(
    cli, tiny_st, efaq_dir, tmp_path, capsys, monkeypatch
):
    model = tmp_path / "models" / "final"
    shutil.copytree(tiny_st, model)
    monkeypatch.chdir(tmp_path)
    assert export(cli, model, efaq_dir, None) == 0
    assert (tmp_path / "models" / "final-onnx" / "onnx" / "model.onnx").is_file()
    assert f"export: {tmp_path / 'models' / 'final-onnx'}" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["efaq", "models"]  # nothing in the current directory
    assert export(cli, "sentence-transformers/all-MiniLM-L6-v2", efaq_dir, None) == 2
    assert "pass --output DIR" in capsys.readouterr().err


def test_evaluating_an_export_folder_runs_its_graph(cli, tiny_st, efaq_dir, tmp_path, capsys):
    output = tmp_path / "tiny-int8"
    assert export(cli, tiny_st, efaq_dir, output, "onnx-int8", "--max-drop", "1", "--with-torch") == 0
    assert (output / "model.safetensors").is_file()  # torch weights beside the graph: still not what runs
    report = json.loads((output / "export_report.json").read_text())
    capsys.readouterr()
    args = ["--model", str(output), "--task", "ir", "--dataset", str(efaq_dir), "--split", "test", "--output-dir"]
    assert cli(["evaluate", *args, str(tmp_path / "eval")]) == 0
    err = capsys.readouterr().err
    assert "runs onnx/model_quantized.onnx with onnxruntime (not torch)" in err
    rows = json.loads((tmp_path / "eval" / "results.json").read_text())
    rows = rows if isinstance(rows, list) else rows.get("results", rows.get("rows", []))
    ndcg = [r["value"] for r in rows if r.get("metric") in ("ndcg@10", "cosine_ndcg@10")]
    assert ndcg and ndcg[0] == pytest.approx(report["metric_export"], abs=1e-6)


def test_align_max_length_makes_every_tokenizer_file_say_the_models_length(tmp_path):
    from embedding.models.folder import align_max_length

    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"max_length": 128, "model_max_length": 512}))
    fast = {"truncation": {"max_length": 128}, "padding": {"strategy": {"Fixed": 128}}, "model": {}}
    (tmp_path / "tokenizer.json").write_text(json.dumps(fast))
    (tmp_path / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 256}))
    assert align_max_length(tmp_path) == 256
    config = json.loads((tmp_path / "tokenizer_config.json").read_text())
    fast = json.loads((tmp_path / "tokenizer.json").read_text())
    assert config["max_length"] == config["model_max_length"] == 256
    assert fast["truncation"]["max_length"] == 256 and fast["padding"]["strategy"] == "BatchLongest"


def test_final_is_saved_with_one_max_length(tmp_path):
    """final/ is moved into place through the same alignment, so every saved model is consistent."""
    from embedding.training.rundir.outputs import _move_into_place

    tmp = tmp_path / ".final.tmp"
    tmp.mkdir()
    (tmp / "tokenizer_config.json").write_text(json.dumps({"max_length": 128, "model_max_length": 256}))
    _move_into_place(tmp, tmp_path / "final")
    config = json.loads((tmp_path / "final" / "tokenizer_config.json").read_text())
    assert config["max_length"] == config["model_max_length"] == 256


def test_static_format_distils_a_static_embedding_model(cli, tiny_st, efaq_dir, tmp_path, capsys):
    pytest.importorskip("model2vec")
    from sentence_transformers import SentenceTransformer

    output = tmp_path / "tiny-static"
    assert export(cli, tiny_st, efaq_dir, output, "static", "--max-drop", "1") == 0
    modules = json.loads((output / "modules.json").read_text())
    assert modules[0]["type"].endswith("StaticEmbedding") and not (output / "onnx").exists()
    static = SentenceTransformer(str(output), device="cpu")  # sentence-transformers alone loads it
    assert static.encode(["prazo"]).shape[-1] > 0
    report = json.loads((output / "export_report.json").read_text())
    assert report["max_cosine_limit"] is None  # another (distilled) model: its vectors are not held to torch's
    assert report["batch_difference"] <= 1e-6 and report["speed"]["export_best"] > 0
    assert f"SentenceTransformer({str(output)!r})" in capsys.readouterr().out
    from embedding.models.exported import exported_graph

    assert exported_graph(output) is None  # torch runs it: `evaluate` must not say onnxruntime does


@pytest.mark.parametrize("where", ["output", "staging"])
def test_a_planted_link_at_an_export_path_is_refused_and_nothing_outside_changes(
    cli, tiny_st, efaq_dir, tmp_path, capsys, where
):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    output = tmp_path / "exports" / "tiny-onnx"
    output.parent.mkdir()
    link = output if where == "output" else output.parent / f".{output.name}.partial-{os.getpid()}"
    link.symlink_to(outside, target_is_directory=True)
    assert export(cli, tiny_st, efaq_dir, output) == 2
    assert sorted(p.name for p in outside.iterdir()) == ["keep.txt"] and (outside / "keep.txt").read_text() == "mine"
    assert "internal error" not in capsys.readouterr().err
