from __future__ import annotations

import pytest

import embedding.sweep.report as report
import embedding.training.run as run
from tests.sweep.fake import FakeTrain


@pytest.fixture
def fake_train(monkeypatch):
    """Install a FakeTrain as `training.run.train` (what the sweep's trials call); returns a setter.

    `plots=False` (the default) leaves sweep.md's matplotlib plots out: seconds per test on 2 shared cores, and
    only the test about sweep.md looks at them."""

    def install(plots: bool = False, **kwargs) -> FakeTrain:
        fake = FakeTrain(**kwargs)
        monkeypatch.setattr(run, "train", fake)
        if not plots:
            monkeypatch.setattr(report, "_plots", lambda study, run_dir: [])
        return fake

    return install
