"""`gather_across_devices: true`, proven: 2 processes x B rows = 1 process x 2B rows, value and gradients.

Two gloo processes each hold B rows (anchor, positive, k hard negatives) of a 2B-row batch: rank r holds rows
r·B .. r·B+B-1 of it. A tiny linear "model" (wrapped in DistributedDataParallel, as the trainer wraps the real
one) embeds them; `ranking` / `cached-ranking` inside `ObjectiveLoss` (optionally Matryoshka) computes the loss
with gathered candidates. The reference is ONE process computing the same loss on all 2B rows, i.e. on the global
similarity matrix (every anchor against every positive and every hard negative of both ranks). What is tested:

* loss:   (L_0 + L_1) / 2 = L_ref  (each rank's loss is the mean over its own anchors);
* embedding gradients: rank r's gradient for its rows = W · (L_ref's gradient for those rows), W = 2 processes:
  the all_gather backward sums every rank's loss gradient into the rows' owner, and Σ_r L_r = W · L_ref;
* parameter gradients after DDP's averaging (what each rank's optimizer steps with) = L_ref's, on every rank.

For `cached-ranking` the gradient w.r.t. the embeddings is the GradCache one (`calculate_loss(with_backward=
True)` over row chunks of 2 < B rows), pushed into the DDP model as `Σ <embedding, cached gradient>`, as
sentence-transformers' GradCache backward hook does. Each case also runs one direction of the symmetric loss
alone (anchor -> candidates, positive -> anchors; the other direction's term weighted 0) and both.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import torch

from embedding.losses.cached_ranking import CachedRankingLoss
from embedding.losses.objective import ObjectiveLoss
from embedding.losses.ranking import RankingLoss

WORLD, B, D_IN, DIM = 2, 3, 8, 16
DIRECTIONS = {"forward": (1.0, 0.0), "backward": (0.0, 1.0), "both": (1.0, 1.0)}
CASES = list(
    itertools.product(["ranking", "cached-ranking"], [0, 1, 3], list(DIRECTIONS), [None, (4, 16)])
)  # loss, hard negatives per row, direction(s), Matryoshka dims


def case_id(case) -> str:
    loss, k, direction, dims = case
    return f"{loss}-{k}neg-{direction}-{'matryoshka' if dims else 'full'}"


def make_model() -> torch.nn.Linear:
    torch.manual_seed(0)
    return torch.nn.Linear(D_IN, DIM, dtype=torch.float64)


def inputs(k: int) -> torch.Tensor:
    """The global batch: (2B rows, 2 + k columns, D_IN), the same on every process."""
    generator = torch.Generator().manual_seed(100 + k)
    return torch.randn(WORLD * B, 2 + k, D_IN, generator=generator, dtype=torch.float64)


def build_loss(model, name: str, direction: str, dims) -> ObjectiveLoss:
    if name == "cached-ranking":
        main = CachedRankingLoss(model, gather_across_devices=True, mini_batch_size=2)
    else:
        main = RankingLoss(model, gather_across_devices=True)
    weights, calls = DIRECTIONS[direction], itertools.count()
    nll = main._nll
    # compute_loss_from_embeddings scores the anchor -> candidates direction, then positive -> anchors
    main._nll = lambda scores, *rest: weights[next(calls) % 2] * nll(scores, *rest)
    weights_per_dim = (1.0, 0.5) if dims else None
    return ObjectiveLoss(
        model, main, objective_type="contrastive", matryoshka_dims=dims, matryoshka_weights=weights_per_dim
    )


def run_case(model, rows: torch.Tensor, case) -> dict[str, torch.Tensor]:
    """Loss, gradient w.r.t. the embeddings of `rows` and the parameter gradients, for one case."""
    name, k, direction, dims = case
    model.zero_grad()
    loss_fn = build_loss(model, name, direction, dims)
    flat = rows.reshape(-1, D_IN)
    if name == "cached-ranking":
        with torch.no_grad():
            cached = model(flat).view(len(rows), 2 + k, DIM)
        reps = [[cached[:, c].clone().requires_grad_()] for c in range(2 + k)]
        loss = loss_fn.calculate_loss(reps, None, with_backward=True).detach()
        grad = torch.stack([column[0].grad for column in reps], dim=1)
        (model(flat).view(len(rows), 2 + k, DIM) * grad).sum().backward()  # GradCache's surrogate
    else:
        embeddings = model(flat)
        embeddings.retain_grad()
        columns = embeddings.view(len(rows), 2 + k, DIM)
        loss = sum(loss_fn.compute_loss_from_embeddings([columns[:, c] for c in range(2 + k)]).values())
        loss.backward()
        grad = embeddings.grad.view(len(rows), 2 + k, DIM)
        loss = loss.detach()
    params = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
    return {"loss": loss, "embedding_grad": grad.detach().clone(), **params}


def worker(rank: int, init_file: str, out: str) -> None:
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD)
    model = DistributedDataParallel(make_model())
    results = {}
    for case in CASES:
        rows = inputs(case[1])[rank * B : (rank + 1) * B]
        results[case_id(case)] = {
            key.removeprefix("module."): value for key, value in run_case(model, rows, case).items()
        }
    torch.save(results, Path(out) / f"rank{rank}.pt")
    dist.destroy_process_group()


@pytest.fixture(scope="module")
def gathered(tmp_path_factory) -> list[dict]:
    """Every case's results from 2 gloo processes, one dict per rank."""
    import torch.multiprocessing as mp

    out = tmp_path_factory.mktemp("gathered")
    mp.spawn(worker, args=(str(out / "init"), str(out)), nprocs=WORLD, join=True)
    return [torch.load(out / f"rank{rank}.pt") for rank in range(WORLD)]


@pytest.mark.slow  # two spawned processes import torch and sentence-transformers: over 20 s on the CI machine
@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_two_processes_equal_one_process_on_the_global_batch(gathered, case):
    reference = run_case(make_model(), inputs(case[1]), case)  # one process, all 2B rows, no process group
    ranks = [result[case_id(case)] for result in gathered]

    assert float(sum(r["loss"] for r in ranks) / WORLD) == pytest.approx(float(reference["loss"]), abs=1e-5)
    for rank, result in enumerate(ranks):
        own = reference["embedding_grad"][rank * B : (rank + 1) * B]
        assert torch.allclose(result["embedding_grad"], WORLD * own, atol=1e-5, rtol=0), f"rank {rank}"
        for name in ("weight", "bias"):
            assert torch.allclose(result[name], reference[name], atol=1e-5, rtol=0), f"rank {rank} {name}"
    assert reference["weight"].abs().max() > 1e-3  # the comparison is not between zeros
