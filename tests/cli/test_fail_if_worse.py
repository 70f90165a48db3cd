from __future__ import annotations

from pathlib import Path

import yaml

from embedding.cli import main
from embedding.training.run import RunResult
from tests.conftest import base_config


def test_fail_if_worse_exits_3_and_keeps_the_model(tmp_path, monkeypatch, capsys):
    import embedding.training.run as run

    (tmp_path / "d").mkdir()
    cfg = base_config("m", tmp_path / "d", tmp_path / "out", evaluation={"fail_if_worse": True})
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    worse = RunResult(
        Path("r"),
        Path("r/final"),
        before={"cosine_ndcg@10": 0.9},
        after={"cosine_ndcg@10": 0.8},
        main_metric="cosine_ndcg@10",
    )
    monkeypatch.setattr(run, "train", lambda *a, **k: worse)
    monkeypatch.setattr("embedding.training.display.summary.print_result", lambda result: None)
    assert main(["train", "-c", str(path)]) == 3
    assert "cosine_ndcg@10 dropped after training (model kept in r/final)" in capsys.readouterr().out
    better = RunResult(
        Path("r"),
        Path("r/final"),
        before={"cosine_ndcg@10": 0.8},
        after={"cosine_ndcg@10": 0.9},
        main_metric="cosine_ndcg@10",
    )
    monkeypatch.setattr(run, "train", lambda *a, **k: better)
    assert main(["train", "-c", str(path)]) == 0
