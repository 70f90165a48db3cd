"""Evaluation: IR and STS evaluators, the BM25 baseline, and the `evaluate` command's task runner.

Modules (import them directly; this package imports nothing heavy):

- `schema`: the evaluation config (`EvalConfig`, `TaskSpec`); pydantic only.
- `tasks`: a task's data (BEIR folder, e-faq / labeled / pairs as IR data, scored pairs) + its fingerprint.
- `encode`: token-length-sorted, de-duplicated encoding.
- `sweep`: one full-size encoding reused for every Matryoshka size.
- `retrieval`, `sts`, `bm25`: sentence-transformers evaluators with that encoding, and the BM25 baseline.
- `sequence`: several evaluators as one (the training config's `evaluator` list).
- `runconfig`: a run's config.resolved.yaml read back typed.
- `models`: `bm25` or a model that exists with its tokenizer, checked before any data or model loads.
- `run`: models x tasks x sizes -> result rows; `results`: results.json / results.csv; `table`: the terminal table.
"""
