"""Plain numpy (float64) versions of the loss formulas, written from their docstrings, to check the modules."""

from __future__ import annotations

from itertools import product

import numpy as np


def cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    return a @ b.T


def lse(x: np.ndarray, axis=None) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)
    return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(x - m), axis=axis))


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def ranking(cols: list[np.ndarray], scale=20.0, margin=0.0, augmented=False) -> float:
    a, p, negs = cols[0], cols[1], cols[2:]
    n = len(a)
    total = 0.0
    for i in range(n):
        cands = np.concatenate([p, *negs])
        s = scale * (cos(a[i : i + 1], cands)[0] - margin * (np.arange(len(cands)) == i))
        total += lse(s) - s[i]
        back = np.concatenate([a, *negs]) if augmented else a
        s = scale * (cos(p[i : i + 1], back)[0] - margin * (np.arange(len(back)) == i))
        total += lse(s) - s[i]
    return total / (2 * n)


def cosent_bruteforce(scores: np.ndarray, labels: np.ndarray, margin=0.0) -> float:
    """log(1 + sum over every ordered pair with labels[p] < labels[q] of exp(s_p - s_q + margin)): O(P^2) pairs."""
    terms = [0.0] + [
        scores[p] - scores[q] + margin for p, q in product(range(len(scores)), repeat=2) if labels[p] < labels[q]
    ]
    return float(lse(np.array(terms)))


def augmented_cosent_bruteforce(u, v, y, scale=20.0, min_score=-1.0, margin=0.0) -> float:
    """The direct O(n^4) formulation: every pair of the n^2 cross pairs, one by one."""
    s = (scale * cos(u, v)).reshape(-1)
    labels = np.full((len(u), len(v)), min_score)
    np.fill_diagonal(labels, y)
    return cosent_bruteforce(s, labels.reshape(-1), scale * margin)


def bce(p: np.ndarray, t: np.ndarray) -> float:
    return float(np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p))))


def kl_distillation(student: list[np.ndarray], teacher: list[np.ndarray], scale=20.0) -> float:
    def log_softmax(x):
        return x - lse(x, axis=1)[:, None]

    log_q = log_softmax(scale * cos(student[0], np.concatenate(student[1:])))
    log_p = log_softmax(scale * cos(teacher[0], np.concatenate(teacher[1:])))
    return float(np.sum(np.exp(log_p) * (log_p - log_q)) / len(student[0]))


def in_batch_penalty(cols: list[np.ndarray], eps: float) -> float:
    s = cos(cols[0], np.concatenate(cols[1:]))
    n, m = s.shape
    values = [(s[i, j] + eps) ** 2 for i in range(n) for j in range(m) if i != j]
    return float(np.sum(values) / (n * m - n + 1e-8))
