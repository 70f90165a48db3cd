"""Mining statistics travel from the prepared rows into the run dir (mining/<objective>.json) and report.md."""

from __future__ import annotations

import json
from types import SimpleNamespace

from embedding.data.args import MiningArgs
from embedding.data.mining_rules import select
from embedding.report.mining import mining_section
from embedding.training.steps.mining import write_mining_stats
from tests.data.test_mining_rules import FORBIDDEN, FOUND


def _stats() -> dict:
    options = MiningArgs(model="m", num_negatives=2, max_score=0.5)
    _, stats = select(["a", "a"], ["p", "q"], FOUND, FORBIDDEN, options, seed=0)
    return stats.as_dict(options, "bi-encoder (cosine)")


def test_stats_are_copied_per_mined_split_and_shown_in_the_report(tmp_path):
    stats = _stats()
    plan = SimpleNamespace(
        run_dir=tmp_path,
        objectives=[
            SimpleNamespace(name="faq", train=SimpleNamespace(mining=stats), validation=SimpleNamespace(mining=stats)),
            SimpleNamespace(name="sts", train=SimpleNamespace(), validation=None),  # not mined: no file
        ],
    )
    written = write_mining_stats(plan)
    assert sorted(p.name for p in written) == ["faq.json", "faq.validation.json"]
    assert sorted(p.name for p in (tmp_path / "mining").iterdir()) == ["faq.json", "faq.validation.json"]
    assert json.loads((tmp_path / "mining" / "faq.json").read_text())["kept"] == stats["kept"]
    lines = mining_section(tmp_path)
    text = "\n".join(lines)
    assert "## Hard-negative mining" in text
    row = next(line for line in lines if line.startswith("| faq |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[5:7] == [str(stats["candidates"]), str(stats["kept"])]
    assert "relative margin 2" in cells[7] and "max score 2" in cells[7] and "false negative 2" in cells[7]
    assert (tmp_path / "mining-faq.png").stat().st_size > 0 and "(mining-faq.png)" in text


def test_no_mining_no_section(tmp_path):
    assert mining_section(tmp_path) == []
