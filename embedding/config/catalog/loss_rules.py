"""The rules of one objective's loss settings, as the objective's validator (`LossRules`, a mixin of ObjectiveSpec).

Combinations refused, and why (each would otherwise be silently ignored or crash mid-run):

* `margin` on a loss it cannot act on: the cross-entropy losses (a shift of the logits is a bias, not a margin),
  sentence-transformers / custom classes (they take no margin; several have their own `loss_args.margin`).
* `gather_across_devices` on a loss without cross-device negatives.
* `batch_sampler: one_per_group` on a loss without in-batch negatives (nothing for it to keep clean).
* `distillation` / `variation_penalty` with a loss that has no `compute_loss_from_embeddings`: the extra terms
  share the main loss's embeddings, and such a loss would force a second student forward pass. For a custom
  class this is only known once it is imported: `ObjectiveLoss` says it with `shares_embeddings_problem`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, model_validator

from ...errors import did_you_mean, one_of
from ..problems import Found, fail, mapping_problems
from .losses import DISTILLATION, LOSSES, VARIATION_PENALTY, default_loss, entry, loss_names, losses_for
from .st_losses import ST_ALIASES, ST_WRAPPERS, st_args_problems, st_label_problems, st_names, st_spec

EXTRA_TERMS = ("distillation", "variation_penalty")


def shares_embeddings_problem(name: str, term: str) -> str:
    """The one message for an extra term on a loss that cannot share its embeddings."""
    return (
        f"loss `{name}` embeds the batch itself (no compute_loss_from_embeddings), so it cannot share its "
        f"embeddings with a `{term}` term; pick another loss or drop `{term}`"
    )


def custom_code_problem(name: str) -> str:
    return (
        f"`{name}` is a custom loss class; loading it runs code from the config, so set `allow_custom_code: true` "
        "at the top level of the config to allow it"
    )


def _margin_note(key: str, valid: Any) -> str:
    return " (set it with the objective's `margin:` key)" if key == "margin" and "margin" not in valid else ""


def _typed(model: type[BaseModel], args: Any, at: tuple[str, ...], what: str) -> Found:
    """Typed `loss_args`: unknown arguments named with the valid ones, each value against its type."""
    note = lambda key: _margin_note(key, model.model_fields)  # noqa: E731
    return mapping_problems(model, args, f"argument of {what}", at, note=note)


def _name_problems(kind: str, name: str, objective: Any) -> tuple[Found, tuple[bool, bool, bool | None] | None]:
    """The loss name and its `loss_args`; and what the loss can act on: (a margin, gathering, shared embeddings),
    None when the name itself is wrong."""
    own = entry(name)
    if own is not None and own.kind == kind:
        return _typed(own.args, objective.loss_args, ("loss_args",), f"loss `{name}`"), (own.margin, own.gather, True)
    if ":" in name:
        module, _, cls = name.partition(":")
        if not module or not cls.isidentifier():
            return [(("loss",), f"`{name}` is not `module.path:ClassName`")], None
        return [], (False, False, None)  # a custom class is known once imported
    if name in ST_WRAPPERS:
        return [(("loss",), f"`{name}` cannot be used as a loss: {ST_WRAPPERS[name]}")], None
    spec = st_spec(name)
    if spec is None and own is not None:
        return [
            (("loss",), f"`{name}` is a {own.kind} loss, not a {kind} one; {kind} losses: {one_of(loss_names(kind))}")
        ], None
    if spec is None:
        own_names, st = loss_names(kind), st_names()
        text = (
            f"unknown {kind} loss `{name}`{did_you_mean(name, [*own_names, *st])}; valid: {one_of(own_names)}, a "
            f"sentence-transformers loss class ({one_of(st)}), or `module:Class` with `allow_custom_code: true`"
        )
        return [(("loss",), text)], None
    found = st_args_problems(name, objective.loss_args, lambda key: _margin_note(key, spec["args"]))
    found += st_label_problems(kind, ST_ALIASES.get(name, (name,))[0], objective.datasets.train.preprocess_args)
    return found, (False, "gather_across_devices" in spec["args"], spec["from_embeddings"])


def _combination_problems(kind: str, name: str, objective: Any, abilities: tuple[bool, bool, bool | None]) -> Found:
    can_margin, can_gather, from_embeddings = abilities
    found: Found = []
    if objective.margin is not None and not can_margin:
        ok = [n for n, e in losses_for(kind).items() if e.margin]
        found.append((("margin",), f"loss `{name}` cannot use a margin; losses that can: {one_of(ok)}"))
    if objective.batch_sampler == "one_per_group" and (own := entry(name)) is not None and not own.in_batch:
        ok = [n for n, e in LOSSES.items() if e.in_batch]
        found.append(
            (
                ("batch_sampler",),
                f"one_per_group keeps rows of one group out of each other's in-batch negatives, but loss `{name}` "
                f"scores each pair against its own label only (no in-batch negatives); use it with {one_of(ok)}, "
                "or remove `batch_sampler`",
            )
        )
    if objective.gather_across_devices and not can_gather:
        found.append(
            (
                ("gather_across_devices",),
                f"loss `{name}` has no cross-device negatives; remove `gather_across_devices`",
            )
        )
    found += [
        ((t,), shares_embeddings_problem(name, t))
        for t in EXTRA_TERMS
        if getattr(objective, t) and from_embeddings is False
    ]
    return found


class LossRules(BaseModel):
    """ObjectiveSpec's loss rules: its loss exists for its type, its `loss_args` (and the extra terms') are the
    loss's own, typed, and the objective's keys act on it."""

    @model_validator(mode="after")
    def check_loss(self) -> Any:
        kind = self.type
        name = self.loss or default_loss(kind)
        found, abilities = _name_problems(kind, name, self)
        if abilities is None:  # a wrong name: its combinations mean nothing
            fail(found)
        found += _combination_problems(kind, name, self, abilities)
        for term, table in (("distillation", DISTILLATION), ("variation_penalty", VARIATION_PENALTY)):
            if getattr(self, term) is not None:
                what = f"{kind} distillation" if term == "distillation" else "the variation penalty"
                found += _typed(table[kind].args, getattr(self, term).loss_args, (term, "loss_args"), what)
        fail(found)
        return self
