"""12: `--nproc` below 1 is refused before the config is loaded or the run dir looked at."""

from __future__ import annotations

import pytest
import yaml

from embedding.cli import main
from tests.conftest import base_config


@pytest.mark.parametrize("nproc", ["0", "-2"])
def test_nproc_below_one_is_refused_before_the_run_dir_is_touched(tmp_path, tiny_bert, efaq_dir, capsys, nproc):
    run_dir = tmp_path / "runs" / "test-run"
    run_dir.mkdir(parents=True)
    (run_dir / "evaluation.json").write_text("{}")  # an earlier run: the old code said "already holds a run"
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(base_config(tiny_bert, efaq_dir, tmp_path / "runs")))

    assert main(["train", "-c", str(config), "--nproc", nproc]) == 2

    err = capsys.readouterr().err
    assert f"--nproc {nproc}: give the number of processes" in err and "already holds" not in err
    assert sorted(p.name for p in run_dir.iterdir()) == ["evaluation.json"]
    assert not (tmp_path / "runs" / ".test-run.lock").exists()
