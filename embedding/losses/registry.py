"""Loss names per objective type, and torch-free checks of one objective's loss settings for `embedding validate`.

A `loss:` is one of: a project loss name of the objective's type (table `LOSSES`), a sentence-transformers loss
class name (arguments from the committed snapshot `st_losses.json`, compared with the live library by a test), or
`module:Class` when the config sets `allow_custom_code: true`. Nothing here imports torch.

Combinations refused here, and why (each would otherwise be silently ignored or crash mid-run):

* `margin` on a loss it cannot act on: the cross-entropy losses (a shift of the logits is a bias, not a margin),
  sentence-transformers / custom classes (they take no margin; several have their own `loss_args.margin`).
* `gather_across_devices` on a loss without cross-device negatives.
* `distillation` / `variation_penalty` with a loss that has no `compute_loss_from_embeddings`: the extra terms
  share the main loss's embeddings, and such a loss would force a second student forward pass.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from ..errors import Problem, did_you_mean, one_of

DEFAULT_LOSS = {"contrastive": "ranking", "similarity": "cosine"}
SIMILARITIES = ("cosine", "dot", "euclidean", "manhattan")
KL_REDUCTIONS = ("batchmean", "sum", "mean")
_RANKING = frozenset({"scale", "similarity"})
_CACHED = frozenset({"mini_batch_size", "mini_batch_num_tokens", "show_progress_bar"})

# name -> accepted loss_args; margin / gather_across_devices: whether the objective-level key can act on it.
LOSSES: dict[str, dict[str, dict[str, Any]]] = {
    "contrastive": {
        "ranking": {"args": _RANKING, "margin": True, "gather": True},
        "augmented-ranking": {"args": _RANKING, "margin": True, "gather": True},
        "cached-ranking": {"args": _RANKING | _CACHED, "margin": True, "gather": True},
    },
    "similarity": {
        "cosine": {"args": frozenset({"scale", "similarity"}), "margin": True, "gather": False},
        "augmented-cosine": {"args": frozenset({"scale", "similarity", "min_score"}), "margin": True, "gather": False},
        "cross-entropy": {"args": frozenset({"scale"}), "margin": False, "gather": False},
        "augmented-cross-entropy": {"args": frozenset({"scale", "min_score"}), "margin": False, "gather": False},
        "cosine-cross-entropy": {"args": frozenset({"scale"}), "margin": False, "gather": False},
    },
}
LOSS_NAMES = {kind: set(table) for kind, table in LOSSES.items()}  # kept for callers that only need the names
DISTILLATION_ARGS = {
    "contrastive": frozenset({"scale", "similarity", "reduction"}),
    "similarity": frozenset({"scale", "similarity"}),
}
PENALTY_ARGS = frozenset({"eps"})

# Deprecated sentence-transformers names -> (v6 class, fixed arguments). Both compute (forward + backward) / 2.
_SYMMETRIC = {"directions": ("query_to_doc", "doc_to_query"), "partition_mode": "per_direction"}
ST_ALIASES: dict[str, tuple[str, dict[str, Any]]] = {
    "MultipleNegativesSymmetricRankingLoss": ("MultipleNegativesRankingLoss", _SYMMETRIC),
    "CachedMultipleNegativesSymmetricRankingLoss": ("CachedMultipleNegativesRankingLoss", _SYMMETRIC),
}
ST_WRAPPERS = {
    "MatryoshkaLoss": "use the objective's `matryoshka:` block instead",
    "Matryoshka2dLoss": "use the objective's `matryoshka:` block instead",
    "AdaptiveLayerLoss": "it wraps another loss, which a config cannot build",
}
# String values a config may give to sentence-transformers callables (resolved in build.py).
ST_SIMILARITY_FCTS = (
    "cos_sim",
    "dot_score",
    "euclidean_sim",
    "manhattan_sim",
    "pairwise_cos_sim",
    "pairwise_dot_score",
    "pairwise_euclidean_sim",
    "pairwise_manhattan_sim",
    "pairwise_angle_sim",
)
ST_OBJECT_ARGS = frozenset({"loss_fct", "cos_score_transformation"})
NUMBER_ARGS = frozenset({"scale", "temperature", "min_score", "margin"})
INT_ARGS = frozenset({"mini_batch_size", "n_layers_per_step"})
# sentence-transformers losses that read a label column; the others treat every row as a positive pair.
ST_LABEL_LOSSES = frozenset(
    {
        "CoSENTLoss",
        "AnglELoss",
        "CosineSimilarityLoss",
        "ContrastiveLoss",
        "OnlineContrastiveLoss",
        "SoftmaxLoss",
        "MSELoss",
        "MarginMSELoss",
        "DistillKLDivLoss",
        "BatchAllTripletLoss",
        "BatchHardTripletLoss",
        "BatchHardSoftMarginTripletLoss",
        "BatchSemiHardTripletLoss",
        "EmbedDistillLoss",
    }
)
# Losses whose labels must be 0/1 (the e-faq similarity labels default to 1 / 0 / -1).
BINARY_LABEL_LOSSES = frozenset({"ContrastiveLoss", "OnlineContrastiveLoss"})


@functools.cache
def st_losses() -> dict[str, dict[str, Any]]:
    """The committed snapshot of sentence-transformers loss classes (see `_st_snapshot.py`)."""
    return json.loads(Path(__file__).with_name("st_losses.json").read_text(encoding="utf-8"))


def st_spec(name: str) -> dict[str, Any] | None:
    """Snapshot entry of a sentence-transformers class name (aliases resolved, their fixed arguments removed)."""
    if name in ST_ALIASES:
        target, fixed = ST_ALIASES[name]
        spec = st_losses()[target]
        return {**spec, "args": [a for a in spec["args"] if a not in fixed]}
    return st_losses().get(name)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _unknown_args(given: dict[str, Any], valid: set[str] | frozenset[str], where: str, what: str) -> list[Problem]:
    problems = []
    for key in given:
        if key not in valid:
            hint = " (set it with the objective's `margin:` key)" if key == "margin" and "margin" not in valid else ""
            problems.append(
                Problem(
                    f"{where}.{key}",
                    f"unknown argument of {what}{hint}{did_you_mean(key, valid)}; "
                    f"valid: {one_of(valid) if valid else '(none)'}",
                )
            )
    return problems


def _choice(args: dict[str, Any], key: str, choices: tuple[str, ...], where: str) -> list[Problem]:
    if key in args and args[key] not in choices:
        return [Problem(f"{where}.{key}", f"must be one of {one_of(choices)}, got {args[key]!r}")]
    return []


def _own_loss_problems(kind: str, name: str, args: dict[str, Any], where: str) -> list[Problem]:
    problems = _unknown_args(args, LOSSES[kind][name]["args"], f"{where}.loss_args", f"loss `{name}`")
    problems += _typed_arg_problems(args, f"{where}.loss_args")
    problems += _choice(args, "similarity", SIMILARITIES, f"{where}.loss_args")
    size = args.get("mini_batch_size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 1):
        problems.append(Problem(f"{where}.loss_args.mini_batch_size", f"must be a positive integer, got {size!r}"))
    return problems


def _typed_arg_problems(args: dict[str, Any], where: str) -> list[Problem]:
    problems = []
    for key, value in args.items():
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if key in NUMBER_ARGS and not is_number:
            problems.append(Problem(f"{where}.{key}", f"expected a number, got {value!r}"))
        elif key in INT_ARGS and not (isinstance(value, int) and not isinstance(value, bool)):
            problems.append(Problem(f"{where}.{key}", f"expected an integer, got {value!r}"))
    return problems


def _label_problems(kind: str, name: str, objective: dict[str, Any], where: str) -> list[Problem]:
    """A loss must fit the objective's data: labels or not, and the label values it can learn from."""
    if kind == "contrastive" and name in ST_LABEL_LOSSES:
        return [
            Problem(
                f"{where}.loss",
                f"`{name}` needs a label column, but contrastive data has none "
                "(anchor, positive, negatives); use it in a `similarity` objective",
            )
        ]
    if kind == "similarity" and name not in ST_LABEL_LOSSES:
        return [
            Problem(
                f"{where}.loss",
                f"`{name}` ignores the label column: every (anchor, candidate) row would "
                "count as a positive pair, dissimilar ones included; use it in a `contrastive` objective",
            )
        ]
    if name in BINARY_LABEL_LOSSES:
        train = _mapping(_mapping(objective.get("datasets")).get("train"))
        mapping = _mapping(train.get("preprocess_args")).get("name_to_label") or {
            "similar": 1,
            "almost_similar": 0,
            "dissimilar": -1,
        }
        bad = {k: v for k, v in _mapping(mapping).items() if v not in (0, 1)}
        if bad:
            shown = ", ".join(f"{k}: {v}" for k, v in bad.items())
            return [
                Problem(
                    f"{where}",
                    f"`{name}` learns from labels 0/1 only, but the labels include {shown}; "
                    "set datasets.train.preprocess_args.name_to_label, e.g. "
                    "{similar: 1, almost_similar: 0, dissimilar: 0}",
                )
            ]
    return []


def _st_loss_problems(name: str, spec: dict[str, Any], args: dict[str, Any], where: str) -> list[Problem]:
    valid = set(spec["args"])
    problems = _unknown_args(args, valid, f"{where}.loss_args", f"`{name}`")
    problems += [
        Problem(f"{where}.loss_args", f"`{name}` needs `{key}`") for key in spec["required"] if key not in args
    ]
    for key in sorted(set(args) & ST_OBJECT_ARGS):
        problems.append(Problem(f"{where}.loss_args.{key}", "takes a Python object and cannot be set from a config"))
    problems += _choice(args, "similarity_fct", ST_SIMILARITY_FCTS, f"{where}.loss_args")
    for key in ("guide", "distance_metric"):
        if key in args and not isinstance(args[key], str):
            what = "a model name or path" if key == "guide" else "a metric name, e.g. `COSINE`"
            problems.append(Problem(f"{where}.loss_args.{key}", f"must be {what}, got {args[key]!r}"))
    return problems


def _unknown_name(kind: str, name: str, where: str) -> Problem:
    own = LOSSES[kind]
    other = [k for k in LOSSES if k != kind and name in LOSSES[k]]
    if other:
        return Problem(
            f"{where}.loss", f"`{name}` is a {other[0]} loss, not a {kind} one; {kind} losses: {one_of(own)}"
        )
    st_names = sorted(st_losses()) + sorted(ST_ALIASES)
    return Problem(
        f"{where}.loss",
        f"unknown {kind} loss `{name}`{did_you_mean(name, [*own, *st_names])}; valid: "
        f"{one_of(own)}, a sentence-transformers loss class ({one_of(st_names)}), or `module:Class` "
        f"with `allow_custom_code: true`",
    )


def objective_loss_problems(objective: dict[str, Any], where: str, *, allow_custom_code: bool) -> list[Problem]:
    """Everything wrong with one objective's loss settings, from its raw config dict.

    Args:
        objective: the objective as written in the config (keys `type`, `loss`, `loss_args`, `margin`,
            `distillation`, `variation_penalty`, `matryoshka`, `gather_across_devices`).
        where: key path of the objective, e.g. ``"objectives[0]"``; problems point below it.
        allow_custom_code: the config's `allow_custom_code`; without it `module:Class` losses are refused.

    Returns:
        The problems, empty when the loss can be built.
    """
    kind = objective.get("type")
    if kind not in LOSSES:
        return []  # the schema already reports a bad type
    name = objective.get("loss") or DEFAULT_LOSS[kind]
    if not isinstance(name, str):
        return []  # the schema reports the type
    args = _mapping(objective.get("loss_args"))
    margin = objective.get("margin")
    has_extra_terms = [key for key in ("distillation", "variation_penalty") if objective.get(key)]
    problems: list[Problem] = []
    if name in LOSSES[kind]:
        problems += _own_loss_problems(kind, name, args, where)
        entry = LOSSES[kind][name]
        can_margin, can_gather, from_embeddings = entry["margin"], entry["gather"], True
    elif ":" in name:
        if not allow_custom_code:
            return [
                Problem(
                    f"{where}.loss",
                    f"`{name}` is a custom loss class; loading it runs code from the "
                    "config, so set `allow_custom_code: true` at the top level of the config to allow it",
                )
            ]
        module, _, cls = name.partition(":")
        if not module or not cls.isidentifier():
            return [Problem(f"{where}.loss", f"`{name}` is not `module.path:ClassName`")]
        can_margin, can_gather, from_embeddings = False, False, True  # checked when built (build.py)
    elif name in ST_WRAPPERS:
        return [Problem(f"{where}.loss", f"`{name}` cannot be used as a loss: {ST_WRAPPERS[name]}")]
    elif (spec := st_spec(name)) is not None:
        problems += _st_loss_problems(name, spec, args, where)
        problems += _typed_arg_problems({k: v for k, v in args.items() if k in spec["args"]}, f"{where}.loss_args")
        problems += _label_problems(kind, ST_ALIASES.get(name, (name,))[0], objective, where)
        can_margin, can_gather = False, "gather_across_devices" in spec["args"]
        from_embeddings = spec["from_embeddings"]
    else:
        return [_unknown_name(kind, name, where)]

    if margin is not None and not can_margin:
        ok = sorted(n for n, e in LOSSES[kind].items() if e["margin"])
        problems.append(
            Problem(f"{where}.margin", f"loss `{name}` cannot use a margin; losses that can: {one_of(ok)}")
        )
    if objective.get("gather_across_devices") and not can_gather:
        problems.append(
            Problem(
                f"{where}.gather_across_devices",
                f"loss `{name}` has no cross-device negatives; remove `gather_across_devices`",
            )
        )
    for key in has_extra_terms:
        if not from_embeddings:
            problems.append(
                Problem(
                    f"{where}.{key}",
                    f"loss `{name}` embeds the batch itself (no "
                    f"compute_loss_from_embeddings), so it cannot share its embeddings with a "
                    f"`{key}` term; pick another loss or drop `{key}`",
                )
            )
    problems += _extra_term_problems(kind, objective, where)
    return problems


def _extra_term_problems(kind: str, objective: dict[str, Any], where: str) -> list[Problem]:
    problems: list[Problem] = []
    distillation = _mapping(objective.get("distillation"))
    d_args = _mapping(distillation.get("loss_args"))
    problems += _unknown_args(
        d_args, DISTILLATION_ARGS[kind], f"{where}.distillation.loss_args", f"{kind} distillation"
    )
    problems += _choice(d_args, "similarity", SIMILARITIES, f"{where}.distillation.loss_args")
    problems += _choice(d_args, "reduction", KL_REDUCTIONS, f"{where}.distillation.loss_args")
    p_args = _mapping(_mapping(objective.get("variation_penalty")).get("loss_args"))
    problems += _unknown_args(p_args, PENALTY_ARGS, f"{where}.variation_penalty.loss_args", "the variation penalty")
    eps = p_args.get("eps", "auto")
    if eps != "auto" and (isinstance(eps, bool) or not isinstance(eps, (int, float)) or eps <= 0):
        problems.append(
            Problem(f"{where}.variation_penalty.loss_args.eps", f"must be a positive number or `auto`, got {eps!r}")
        )
    return problems
