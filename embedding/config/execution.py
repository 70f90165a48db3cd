"""The `execution` block: how each training step is executed (encoder calls, batch order, chunk shapes, collation).

None of these keys changes what the loss sees: the same rows, the same batch, the same columns.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .strict import Strict


class ExecutionSpec(Strict):
    merge_columns: Literal["auto", "always", "never", "stock", "sorted"] = Field(
        "auto",
        description="How a batch's text columns go through the encoder: `always` ONE forward for all columns "
        "(padded to the widest), `never` one per column, `sorted` = every distinct text of the step once, in "
        "length-sorted chunks of `chunk_rows`, whatever its column (least padding, duplicates embedded once), "
        "`auto` = `sorted` on a CPU, on a GPU columns merged unless that adds over 50 % padded tokens, `stock` = as "
        "sentence-transformers' own losses (anchor alone, the other columns in one call; Matryoshka by its "
        "MatryoshkaLoss). Calls run in column order, except `sorted`. The loss is the same either way; only dropout "
        "masks differ. `stock` with group_by_length: false gives the weights of a stock script bit for bit. "
        "(Was a top-level key; the old place still loads, with a warning.)",
    )
    group_by_length: bool = Field(
        True,
        description="Training batches of rows of similar token length: the shuffled rows are cut into groups of "
        "32 batches, each sorted by length and cut into batches, and the batch order is shuffled (seeded per "
        "epoch, so resuming replays them). Less padding, the same rows per epoch; `no_duplicates` keeps its "
        "guarantee. Applies with batch_sampler `batch_sampler`, `no_duplicates` or `no_duplicates_hashed`; false: "
        "sentence-transformers' samplers as they are. (Was a top-level key; the old place still loads.)",
    )
    chunk_rows: int | None = Field(
        None,
        ge=1,
        description="merge_columns `sorted` (and `auto` on CPU): distinct texts per encoder call, in length order. "
        "null = the device's default (16 on CPU, 256 on accelerators). Smaller = less padding, more calls.",
    )
    bucket_widths: list[Annotated[int, Field(ge=1)]] | Literal["auto"] | None = Field(
        "auto",
        description="Token widths each sorted chunk is padded up to (its smallest one that fits), so the encoder "
        "sees a few fixed shapes (CUDA graphs, torch.compile without recompiles). `auto` = 16 ... 512 on "
        "accelerators, none on CPU (a padded token costs arithmetic there); null or [] = each chunk at its own width.",
    )
    packed: bool | Literal["auto"] = Field(
        "auto",
        description="merge_columns `sorted`: run a step's distinct texts as one unpadded sequence of tokens "
        "(attention per run of equal-length texts), so no padded token is computed. `auto` = on CPU, for models "
        "that allow it (BERT, RoBERTa, XLM-R encoders with Pooling / Normalize / Dense); others run in padded "
        "chunks.",
    )
    token_ids: bool = Field(
        True,
        description="Collate training batches from the token ids computed once per text for length grouping, "
        "instead of running the tokenizer every step. Falls back to the tokenizer per column whenever the result "
        "could differ (prompts, router tasks, a max_length override, texts not seen, a non-fast tokenizer); the "
        "first columns collated are checked against the tokenizer's output.",
    )
