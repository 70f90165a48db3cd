"""Labeled texts (`text`, `label`) as retrieval data: find the other texts of a query's label.

Per label, a seeded sample of texts becomes queries and the rest of that label's texts are its relevant
documents; every non-query text is in the corpus, so other labels' texts are the distractors. A query text is
never in the corpus (it would be its own, non-relevant, first hit).
"""

from __future__ import annotations

from ...errors import DataError
from .common import IRData, clean_text, row_rng
from .labeled_index import label_problem

COLUMNS = ("text", "label")
QUERY_FRACTION = 0.2


def labeled_retrieval(
    dataset, *, queries_per_label: int | None = None, seed: int = 42, where: str = "dataset"
) -> IRData:
    """Build IR data from labeled rows.

    Args:
        dataset: Rows with `text` and `label` (any hashable label: intent name, class id).
        queries_per_label: Queries drawn per label; default 20 % of its texts (at least 1). A label needs one
            text more than its queries, or it only contributes distractors.
        seed: Seed of the per-label draw (same seed, same split into queries and corpus).
        where: Config key path for error messages.

    Returns:
        IRData with one id per distinct text.

    Raises:
        DataError: A missing column, an empty text, or data where no label has two texts.
    """
    missing = [c for c in COLUMNS if c not in dataset.column_names]
    if missing:
        raise DataError(
            f"{where}: column(s) {', '.join(missing)} missing for the labeled format; the dataset has "
            f"{', '.join(dataset.column_names)}. Map yours with preprocess_args.columns "
            "(e.g. columns: {text: utterance, label: intent})"
        )
    if queries_per_label is not None and queries_per_label < 1:
        raise DataError(f"{where}.preprocess_args.queries_per_label: must be at least 1, got {queries_per_label}")
    by_label: dict[str, list[str]] = {}
    seen: set[str] = set()
    for row, item in enumerate(dataset):
        text = clean_text(item.get("text"), row, "text", where)
        problem = label_problem(item.get("label"))
        if problem:
            raise DataError(
                f"{where}: row {row}, column `label`: expected a label (a string or an integer), got {problem}; "
                "give every text a label"
            )
        if text not in seen:  # a text under two labels keeps its first one
            seen.add(text)
            by_label.setdefault(str(item["label"]), []).append(text)
    ir = IRData()
    for index, label in enumerate(sorted(by_label)):
        texts = sorted(by_label[label])
        if len(texts) < 2:
            ir.stats["labels_with_one_text"] += 1
            continue
        n = queries_per_label or max(1, round(len(texts) * QUERY_FRACTION))
        n = min(n, len(texts) - 1)
        queries = set(row_rng(seed, index).sample(texts, n))
        docs = [ir.doc_id(t) for t in texts if t not in queries]
        for text in sorted(queries):
            ir.relevant_docs[ir.query_id(text)] = set(docs)
    for _label, texts in sorted(by_label.items()):
        if len(texts) < 2:
            ir.doc_id(texts[0])  # a lone text is still a distractor for every other label
    if not ir.queries:
        raise DataError(
            f"{where}: no label has two or more distinct texts; retrieval needs a query and a relevant text per label"
        )
    return ir
