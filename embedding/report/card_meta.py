"""What sentence-transformers' model card says about a run, told through its `model_card_data` before it renders.

The trainer sees one `ObjectiveLoss` per objective, so on its own the card would say `loss:ObjectiveLoss`, cite
only the Sentence-BERT paper and name no base model. `describe_run` hands the card data what the run knows, with
sentence-transformers' own API (`set_losses` with the real loss modules: tags and BibTeX; `set_base_model`), and
`ObjectiveLossesInCard` adds each objective's loss to the training-log rows it keeps. The card is then generated
by sentence-transformers as usual, at every save: nothing rewrites its text afterwards.

Left as sentence-transformers makes it: the evaluator's dataset is named by the evaluator's `name` (give
`evaluator.args.name` to have the card name it), and a base model that is a local folder is named in the title
only (the Hub's `base_model` metadata takes Hub ids).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from .objective_losses import SmoothedLosses

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def real_losses(loss: Any) -> list[Any]:
    """The loss modules one objective's `ObjectiveLoss` combines: main, distillation, penalty, and Matryoshka
    (sentence-transformers' MatryoshkaLoss around the main loss: the formula the objective applies)."""
    main = getattr(loss, "main", loss)
    found = [part for part in (main, getattr(loss, "distillation", None), getattr(loss, "penalty", None)) if part]
    dims = getattr(loss, "matryoshka_dims", None)
    if dims:
        from sentence_transformers.sentence_transformer.losses import MatryoshkaLoss

        found.append(MatryoshkaLoss(loss.model, main, list(dims), list(loss.matryoshka_weights)))
    return found


def is_hub_id(name: str) -> bool:
    """`org/name` that is not a local folder: the only form the Hub's `base_model` metadata accepts."""
    return bool(HUB_ID.match(name)) and not Path(name).expanduser().exists()


def describe_run(model: Any, losses: list[Any], base_model: str) -> None:
    """Tell the model's card data the real losses (tags and citations) and the base model.

    Args:
        model: the SentenceTransformer being trained (its `model_card_data` renders the card at each save).
        losses: the objectives' losses, in objective order.
        base_model: the config's `base_model.name`.
    """
    data = model.model_card_data
    data.tags = [tag for tag in data.tags if not str(tag).startswith("loss:")]  # the trainer's loss:ObjectiveLoss
    data.set_losses([part for loss in losses for part in real_losses(loss)])
    if not base_model:
        return
    if is_hub_id(base_model):
        from ..hub import hub_status

        # set_base_model asks the Hub for the id's revision; offline (or no answer) the id goes in as configured
        if not (hub_status().reachable and data.set_base_model(base_model)):
            data.base_model = base_model
    data.model_name = f"{type(model).__name__} based on {base_model}"


class ObjectiveLossesInCard(TrainerCallback):
    """With several objectives, each training-log row of the card also shows each objective's loss (the sum of its
    terms, smoothed over log events as in the terminal), next to sentence-transformers' combined `Training Loss`.
    Added after sentence-transformers' card callback, which writes the row this one completes."""

    def __init__(self, objectives: list[str]) -> None:
        self.objectives = list(objectives)
        self.smoothed = SmoothedLosses()

    def on_log(self, args, state, control, model=None, logs=None, **kwargs):
        if logs is None or "loss" not in logs or len(self.objectives) < 2 or model is None:
            return
        values = self.smoothed.update(logs)
        rows = model.model_card_data.training_logs
        if rows and rows[-1].get("Step") == state.global_step:
            rows[-1].update({f"{name} training loss (smoothed)": round(values[name], 4) for name in values})
