"""Length-sorted execution of one step (`merge_columns: sorted`): every distinct text once, in chunks of like length.

The loss gets one embedding tensor per column, exactly as with per-column calls; only how the texts reach the
encoder changes. All rows of all columns are stripped to their real tokens, texts with equal token ids are embedded
once (FAQ data repeats texts across a batch's columns), the distinct texts are sorted by length and cut into chunks
of `chunk_rows`, each chunk padded to its own widest text (one model call each), and the embeddings are scattered
back to every row that holds the text with `index_select`, so each use of a deduplicated text sends its gradient
back to the one forward. Smaller chunks pad less and call more (benchmarks/sorted_step.py measures both).

On an accelerator a chunk's width is rounded up to the next of a few fixed widths (`bucket_widths`), so that CUDA
graphs / torch.compile see a handful of shapes instead of one per step. Padding is masked out, so the embeddings
equal the per-column ones up to float rounding; with dropout the masks are drawn per call, hence differ.

Only plain right-padded token batches qualify (input_ids + attention_mask, token_type_ids optional, the same keys in
every column): prompts (`prompt_length`), router tasks, flattened FA2 batches (`cu_seq_lens_q`) and non-text inputs
return None and the caller uses its per-column grouping. With `packed` (the CPU default, `execution.packed`) the
distinct texts do not go through padded chunks at all but through `packed.py`: one unpadded sequence of
tokens, for the encoders it covers. transformers' own packed path (position_ids / `cu_seq_lens`) exists for BERT
only through flash_attention_2 (CUDA and the flash-attn kernels), where sentence-transformers' `unpad_inputs`
already flattens the batch; its SDPA / eager bidirectional mask ignores packed position_ids, so handing it packed
inputs would let texts attend to each other.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import torch
from torch import Tensor, nn

from .packed import embed_packed, packed_encoder

TOKEN_KEYS = ("input_ids", "attention_mask", "token_type_ids")
META_KEYS = ("modality",)  # batch metadata sentence-transformers' preprocess adds; passed on when equal everywhere
# What a sentence-transformers forward writes into the features it was given (an earlier pass over the same batch,
# e.g. a guide model): not inputs, so not a reason to fall back.
OUTPUT_KEYS = ("token_embeddings", "sentence_embedding", "all_layer_embeddings")
# Rows per encoder call by device type. CPU: fewer padded tokens beat fewer calls (see chunk_rows_for).
CHUNK_ROWS = {"cpu": 16}
CHUNK_ROWS_ACCELERATOR = 256  # GPU: launches dominate a small encoder; few large chunks
BUCKET_WIDTHS_ACCELERATOR = (16, 32, 48, 64, 96, 128, 192, 256, 384, 512)


def chunk_rows_for(device_type: str, configured: int | None = None) -> int:
    """Rows per encoder call: the configured number, else the device default."""
    return configured or CHUNK_ROWS.get(device_type, CHUNK_ROWS_ACCELERATOR)


def buckets_for(device_type: str, configured: list[int] | str | None = "auto") -> tuple[int, ...]:
    """The fixed chunk widths on this device: none on CPU under `auto` (a padded token costs arithmetic there)."""
    if configured == "auto":
        return () if device_type == "cpu" else BUCKET_WIDTHS_ACCELERATOR
    return tuple(sorted(configured or ()))


def bucket_width(width: int, buckets: tuple[int, ...]) -> int:
    """The smallest bucket that holds `width` tokens; `width` itself when no bucket is wide enough."""
    return next((b for b in buckets if b >= width), width)


def _token_batches(features_list: list[dict[str, Any]]) -> bool:
    first = features_list[0]
    keys = set(first) - set(OUTPUT_KEYS)
    tensors = keys - set(META_KEYS)
    if not {"input_ids", "attention_mask"} <= tensors <= set(TOKEN_KEYS):
        return False
    for features in features_list:
        if set(features) - set(OUTPUT_KEYS) != keys or any(features[k] != first[k] for k in keys - tensors):
            return False
        values = [features[k] for k in tensors]
        if any(not isinstance(v, Tensor) or v.ndim != 2 for v in values) or len({v.shape for v in values}) != 1:
            return False
    return True


def _lengths(mask: Tensor) -> Tensor | None:
    """Real tokens per row of a right-padded mask; None when a row is not `1...1 0...0` (left padding, holes)."""
    lengths = mask.sum(dim=1)
    right_padded = torch.arange(mask.shape[1], device=mask.device)[None, :] < lengths[:, None]
    return lengths if torch.equal(mask.bool(), right_padded) else None


class SortedStep:
    """The plan of one step: the rows of all columns stacked at one width (`flat`), the distinct texts in length
    order (`order`, indices into the stacked rows) and, per column, each row's place in that order (`where`)."""

    def __init__(self, features_list: list[dict[str, Any]], lengths: list[Tensor]) -> None:
        width = max(int(f["input_ids"].shape[1]) for f in features_list)
        keys = [k for k in TOKEN_KEYS if k in features_list[0]]
        self.meta = {k: features_list[0][k] for k in META_KEYS if k in features_list[0]}
        self.flat = {
            k: torch.cat([nn.functional.pad(f[k], (0, width - f[k].shape[1])) for f in features_list]) for k in keys
        }
        all_lengths = torch.cat(lengths).tolist()
        ids = self.flat["input_ids"].cpu().numpy()
        types = self.flat["token_type_ids"].cpu().numpy() if "token_type_ids" in self.flat else None
        first: dict[bytes, int] = {}
        source = []  # stacked row -> the stacked row of the first occurrence of its text
        for row, length in enumerate(all_lengths):
            key = ids[row, :length].tobytes() + (b"" if types is None else types[row, :length].tobytes())
            source.append(first.setdefault(key, row))
        distinct = sorted(first.values(), key=lambda row: all_lengths[row])
        rank = {row: i for i, row in enumerate(distinct)}
        device = self.flat["input_ids"].device
        self.order = torch.tensor(distinct, dtype=torch.long, device=device)
        self.lengths = [all_lengths[row] for row in distinct]
        places = torch.tensor([rank[s] for s in source], dtype=torch.long, device=device)
        self.where = list(places.split([len(f["input_ids"]) for f in features_list]))

    def chunks(self, chunk_rows: int, buckets: tuple[int, ...] = ()) -> list[dict[str, Tensor]]:
        """Model inputs per chunk of `chunk_rows` distinct texts, each at its own (bucketed) width."""
        out = []
        for begin in range(0, len(self.lengths), chunk_rows):
            rows = self.order[begin : begin + chunk_rows]
            width = bucket_width(max(1, *self.lengths[begin : begin + chunk_rows]), buckets)
            out.append({**{k: _at_width(v.index_select(0, rows), width) for k, v in self.flat.items()}, **self.meta})
        return out

    def sorted_rows(self) -> dict[str, Tensor]:
        """The distinct texts' token tensors in length order, at the step's width (for `embed_packed`)."""
        return {k: v.index_select(0, self.order) for k, v in self.flat.items()}

    def stacked(self) -> dict[str, Tensor]:
        """The distinct texts as ONE right-padded batch in length order, for GradCache: its mini-batches are row
        ranges of this batch, and sentence-transformers trims each to its own widest text (`_create_minibatch`)."""
        return {**{k: v.index_select(0, self.order) for k, v in self.flat.items()}, **self.meta}


def plan_sorted(features_list: list[dict[str, Any]]) -> SortedStep | None:
    """The sorted plan of one step, or None when the features are not plain right-padded token batches."""
    if not features_list or not _token_batches(features_list):
        return None
    lengths = [_lengths(features["attention_mask"]) for features in features_list]
    if any(length is None for length in lengths):
        return None
    return SortedStep(features_list, lengths)  # type: ignore[arg-type]


def _at_width(tensor: Tensor, width: int) -> Tensor:
    if tensor.shape[1] >= width:
        return tensor[:, :width]
    return nn.functional.pad(tensor, (0, width - tensor.shape[1]))


def embed_sorted(
    model: nn.Module,
    features_list: list[dict[str, Any]],
    chunk_rows: int,
    buckets: tuple[int, ...] = (),
    packed: bool = False,
    autocast: Callable[[], AbstractContextManager] = nullcontext,
) -> list[Tensor] | None:
    """One `sentence_embedding` tensor per column from length-sorted chunks of the distinct texts, or None when the
    features are not plain right-padded token batches (the caller then embeds per column). `packed`: run all the
    distinct texts as one unpadded sequence of tokens where the model allows it (`packed.py`), under `autocast()`:
    the padded chunks go through the model's `forward`, which the trainer wraps in its autocast; the packed layers
    do not, so they open the same one (`Execution.autocast`) and return float32 as that wrapper does."""
    step = plan_sorted(features_list)
    if step is None:
        return None
    text = step.meta.get("modality", "text") == "text" and min(step.lengths) > 0  # an all-padding row: chunks
    encoder = packed_encoder(model) if packed and text else None
    if encoder is not None:
        with autocast():
            embeddings = embed_packed(model, encoder, step.sorted_rows(), step.lengths).float()
    else:
        embeddings = torch.cat([model(chunk)["sentence_embedding"] for chunk in step.chunks(chunk_rows, buckets)])
    return [embeddings.index_select(0, where) for where in step.where]
