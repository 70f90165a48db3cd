"""The guided mask with `gather_across_devices`: 2 gloo processes x B rows mask and score exactly like 1 process on
the 2B-row global batch (every rank gathers the guide's embeddings of the other rank's candidates too)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from embedding.losses.ranking import RankingLoss

WORLD, B, K, D_IN, DIM = 2, 3, 1, 6, 8


def batch() -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """(student columns, guide columns) of the global batch: anchor, positive, one negative; 2B rows each."""
    generator = torch.Generator().manual_seed(11)
    student = [torch.randn(WORLD * B, DIM, generator=generator, dtype=torch.float64) for _ in range(2 + K)]
    guide = [s[:, :4] + 0.3 * torch.randn(WORLD * B, 4, generator=generator, dtype=torch.float64) for s in student]
    return student, guide


def run(rows: slice, gather: bool) -> tuple[float, int, int]:
    """(loss, masked, candidates) of the rows `rows` of the global batch."""
    loss = RankingLoss(torch.nn.Linear(1, 1), gather_across_devices=gather, guide="base", guide_margin=0.05)
    student, guide = batch()
    value = loss.compute_loss_from_embeddings([s[rows] for s in student], guided=[g[rows] for g in guide])
    return float(value), loss.guide.masked, loss.guide.candidates


def worker(rank: int, init_file: str, out: str) -> None:
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD)
    torch.save(run(slice(rank * B, (rank + 1) * B), gather=True), Path(out) / f"rank{rank}.pt")
    dist.destroy_process_group()


@pytest.mark.slow
def test_two_processes_mask_like_one_process_on_the_global_batch(tmp_path):
    import torch.multiprocessing as mp

    mp.spawn(worker, args=(str(tmp_path / "init"), str(tmp_path)), nprocs=WORLD, join=True)
    ranks = [torch.load(tmp_path / f"rank{rank}.pt") for rank in range(WORLD)]
    loss, masked, candidates = run(slice(None), gather=False)
    assert sum(r[0] for r in ranks) / WORLD == pytest.approx(loss, abs=1e-9)
    assert sum(r[1] for r in ranks) == masked > 0  # the same candidates masked, and some are
    assert sum(r[2] for r in ranks) == candidates == WORLD * B * ((2 + K - 1) * WORLD * B - 1 + WORLD * B - 1)
