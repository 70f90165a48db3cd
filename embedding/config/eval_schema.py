"""Schema of an evaluation config (`embedding evaluate --config eval.yaml`). Pydantic and stdlib only.

Example::

    models: [bm25, sentence-transformers/all-MiniLM-L6-v2, runs/my-run/final]
    tasks:
      - type: ir
        dataset: {name: ../shared/datasets/scifact/beir}
        split: test
      - type: sts
        dataset: {name: ../shared/datasets/stsbenchmark/pairs}
    dimensions: [64, 384]
    output_dir: eval-results
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .common import DatasetSpec, LocalPath, ModelSpec, Strict, check_sizes


class TaskSpec(Strict):
    """One evaluation task: a dataset split scored as retrieval (`ir`) or sentence similarity (`sts`)."""

    type: Literal["ir", "sts"] = Field(
        description="`ir`: retrieval metrics (accuracy/precision/recall/MRR/nDCG/MAP@k) over e-faq, labeled or "
        "BEIR data; `sts`: Spearman/Pearson of cosine similarity over scored pairs (sentence1, sentence2, score)."
    )
    dataset: DatasetSpec = Field(
        description="The data: a BEIR folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv), a folder/file/Hub "
        "id for datasets.load_dataset. preprocess_args: format, columns, limit, negative_samples (e-faq), "
        "queries_per_label (labeled), name_to_label (scored pairs)."
    )
    split: str = Field("test", min_length=1, description="Split to evaluate (a BEIR qrels file name for BEIR).")
    name: str | None = Field(None, min_length=1, description="Label in tables and results; default: dataset.name.")
    args: dict[str, Any] = Field(
        default_factory=dict,
        description="Evaluator arguments: InformationRetrievalEvaluator's for ir (mrr_at_k, ndcg_at_k, "
        "accuracy_at_k, precision_recall_at_k, map_at_k, batch_size, query_prompt...), "
        "EmbeddingSimilarityEvaluator's for sts (main_similarity, similarity_fn_names, batch_size...).",
    )
    max_queries: int | None = Field(None, gt=0, description="ir only: deterministic query subsample.")
    max_corpus: int | None = Field(None, gt=0, description="ir only: corpus subsample (relevant documents kept).")

    @model_validator(mode="after")
    def check_one_split(self) -> TaskSpec:
        given = self.dataset.args.get("split")
        if given is None:
            return self
        if "split" not in self.model_fields_set:
            self.split = str(given)  # a training DatasetSpec pasted as is: take its split
        elif str(given) != self.split:
            raise ValueError(f"dataset.args.split `{given}` and split `{self.split}` disagree; set only `split`")
        return self

    @model_validator(mode="after")
    def check_subsample_only_for_ir(self) -> TaskSpec:
        if self.type != "ir" and (self.max_queries or self.max_corpus):
            raise ValueError("max_queries / max_corpus apply to `ir` tasks only; remove them from this sts task")
        return self

    @property
    def label(self) -> str:
        return self.name or self.dataset.name


class EvalConfig(Strict):
    """An evaluation run: every model on every task, at every embedding size."""

    models: list[ModelSpec] = Field(
        min_length=1,
        description="Models to compare: Hub ids, local folders (e.g. a run's `final`), or `bm25` for the BM25 "
        "baseline (ir tasks only; its `args` go to bm25s: k1, b, method, stopwords). A plain string is "
        "short for {name: ...}.",
    )
    tasks: list[TaskSpec] = Field(min_length=1, description="What to evaluate on.")
    dimensions: list[int] | None = Field(
        None,
        description="Matryoshka embedding sizes. Default: the dims the model was trained with (a run's "
        "config.resolved.yaml) plus its full size, else its full size. Sizes above a model's size are skipped.",
    )
    output_dir: LocalPath = Field(
        "eval-results", min_length=1, description="Where results.json and results.csv go (`~` expanded)."
    )
    seed: int = Field(42, description="Seed of negative sampling (e-faq), query split (labeled) and subsamples.")
    batch_size: int = Field(32, gt=0, description="Encoding batch size (a task's args.batch_size wins).")

    @field_validator("models", mode="before")
    @classmethod
    def check_names_as_strings(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("dimensions")
    @classmethod
    def check_dimensions(cls, dims: list[int] | None) -> list[int] | None:
        if dims is None:
            return None
        if not dims:
            raise ValueError("give at least one size, or remove `dimensions` to use the model's full size")
        return sorted(check_sizes(dims, "sizes"))
