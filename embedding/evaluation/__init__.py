"""Evaluation: IR and STS evaluators, the BM25 baseline, and the `evaluate` command's task runner."""
