"""Hard-negative mining that uses every process of a torchrun / accelerate launch, with 1-process negatives.

Rank 0 preprocesses (and caches) the data as before; when an objective mines and its cache misses, the other
processes load the same mining model and encode their share of its corpus and queries, then load the rows from
the cache. sentence-transformers' `distributed_evaluation` splits each encode call into N slices that every rank
sorts and batches on its own, so a text gets other batch mates, padding and matrix shapes than in one process and
its embedding moves in the last float bits (MiniLM, 160 SciFact documents in 2 slices: 10 embeddings off by up to
1.4e-7), enough to swap two near-tied candidates. Here rank 0 cuts the call into exactly the batches one process
makes (same length order, same batch size) and deals whole batches round robin to the ranks, so every embedding,
and so every chosen negative, is the one a 1-process run computes (0 differences on the same documents).
"""

from __future__ import annotations

import pickle
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from .coordination import is_distributed, is_main
from .served_models import follow, lead, shared

T = TypeVar("T")


def one_process_batches(model, inputs: list, batch_size: int) -> list[list[int]]:
    """The input indices of each batch `model._inference` makes of `inputs` in one process, in its order."""
    import numpy as np

    order = np.argsort([-model._input_length(x) for x in inputs])  # the very call _inference makes
    if model._can_flatten_inputs():
        order = model._interleave_sorted_indices(order)
    order = order.tolist()
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def _batch_aligned_class():
    from sentence_transformers.util.distributed import _DistributedInference
    from sentence_transformers.util.tensor import _move_tensors_to_cpu, _move_tensors_to_device

    class BatchAligned(_DistributedInference):
        """Whole 1-process batches dealt round robin to the ranks (balanced), reassembled in input order."""

        def __call__(self, inputs: list, **kwargs) -> Any:
            kwargs["show_progress_bar"] = False
            if not inputs:
                return self.model._inference(inputs, **kwargs)
            batches = one_process_batches(self.model, inputs, kwargs["batch_size"])
            dealt = [batches[rank :: self.world_size] for rank in range(self.world_size)]
            shards = [("infer", ([[inputs[i] for i in b] for b in mine], kwargs)) for mine in dealt]
            try:
                pickle.dumps(shards)
            except Exception:  # inputs that cannot travel (e.g. open files): encoded here, as ST does
                return self.model._inference(inputs, **kwargs)
            _, payload = self._scatter(shards)
            results = self._infer_and_gather(payload)
            errors = [f"Rank {rank}:\n{error}" for rank, (_, error) in enumerate(results) if error is not None]
            if errors:
                raise RuntimeError("Distributed mining inference failed:\n" + "\n".join(errors))
            rows: list[Any] = [None] * len(inputs)
            for mine, (outputs, _) in zip(dealt, results, strict=True):
                for batch, output in zip(mine, outputs, strict=True):
                    for index, row in zip(batch, output, strict=True):
                        rows[index] = row
            return self._assemble(rows, kwargs)

        def _assemble(self, rows: list, kwargs: dict[str, Any]) -> Any:
            import torch

            output = torch.stack(rows) if kwargs.get("output_value") == "sentence_embedding" else rows
            if self.model.device.type != "cpu" and not kwargs.get("save_to_cpu"):
                output = _move_tensors_to_device(output, self.model.device)
            return output

        def _infer_and_gather(self, payload: tuple[list, dict[str, Any]]) -> list | None:
            import torch
            import torch.distributed as dist

            batches, kwargs = payload
            try:  # one _inference per batch: it may reorder within a batch, never change a batch's texts
                result = ([_move_tensors_to_cpu(self.model._inference(b, **kwargs)) for b in batches], None)
                pickle.dumps(result)
            except Exception:
                result = (None, traceback.format_exc())
            results = [None] * self.world_size if self.rank == 0 else None
            with torch.inference_mode(False):
                dist.gather_object(result, results, dst=0)
            return results

    return BatchAligned


@contextmanager
def batch_aligned_encoding(model) -> Iterator[bool]:
    """`distributed_evaluation` with 1-process batches: rank 0 runs the body (True), the others serve (False)."""
    from sentence_transformers.util.distributed import get_rank

    inference = _batch_aligned_class()(model)
    if get_rank() != 0:
        inference.serve()
        yield False
        return
    previous = model._distributed_inference
    model._distributed_inference = inference
    error = None
    try:
        yield True
    except BaseException:
        error = traceback.format_exc()
        raise
    finally:
        model._distributed_inference = previous
        inference.stop(error)


def mine_on_every_rank(step: Callable[..., T], *args: Any) -> T:
    """`step(*args)` on rank 0, every process encoding a share of any mining it does; its value on every rank."""
    if not is_distributed():
        return step(*args)
    if not is_main():
        return follow(batch_aligned_encoding, "preprocessing")
    from ...data.mining import ENCODING

    token = ENCODING.set(lambda model, spec, where: shared(model, spec, where, batch_aligned_encoding))
    try:
        return lead(step, *args)
    finally:
        ENCODING.reset(token)


def load_data_on_every_rank(load: Callable[..., None], *args: Any) -> None:
    """`load(*args)` on rank 0 first, every process encoding a share of any mining; then on the others (cached)."""
    mine_on_every_rank(load, *args)
    if not is_main():
        load(*args)
