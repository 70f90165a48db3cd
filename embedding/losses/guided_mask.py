"""The guided false-negative mask of the ranking losses (`loss_args: {guide: base | <model>, guide_margin: 0.0}`).

GISTEmbed's rule (Solatorio 2024): an in-batch candidate c of anchor a is a likely false negative when a frozen
guide scores it above a's own positive, less a margin::

    masked(a_i, c_j)  iff  j ≠ own(i)  and  cos_g(a_i, c_j) > cos_g(a_i, p_i) − guide_margin

and masked candidates leave the softmax (their logit is −inf). The same rule masks the positive → anchor
direction. The guide is the frozen base model (`base`: a copy of the student taken when the loss is built, i.e.
before training) or any model name. It embeds the batch's columns under `no_grad`, from the same tokenized features
when it shares the student's tokenizer (each distinct text once, as the student's step: sorted, packed on CPU),
else from the texts decoded from them (as sentence-transformers'
GISTEmbedLoss does); the student is embedded once, as always. Each training step adds its masked candidates to
`masked` / `candidates`, which the training log reads (`training/display/false_negatives.py`).
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from ..forward.execution import Execution

BASE = "base"
CITATION = """
@misc{solatorio2024gistembed,
      title={GISTEmbed: Guided In-sample Selection of Training Negatives for Text Embedding Fine-tuning},
      author={Aivin V. Solatorio},
      year={2024},
      eprint={2402.16829},
      archivePrefix={arXiv},
      url={https://arxiv.org/abs/2402.16829},
}
"""


class Guide:
    """A frozen model that embeds a batch's columns for the mask; not an nn.Module attribute of the loss, so it is
    never trained, saved with the student or handed to the optimizer."""

    def __init__(
        self, student: nn.Module, name: str, margin: float = 0.0, where: str = "objective.loss_args.guide"
    ) -> None:
        if name == BASE:
            model, shared = copy.deepcopy(student), True
        else:
            from ..errors import UserError
            from ..models import load_sentence_transformer, resolve

            try:  # a guide is a plain name, with no switch to run a folder's custom code
                model = load_sentence_transformer(resolve(name, where).location, "guide", name, opt_in="", key="guide")
            except UserError as refusal:  # raised as the loss's own error: the builder names the objective's key
                raise ValueError(str(refusal)) from None
            shared = _same_tokenizer(student, model)
        model.eval()
        model.requires_grad_(False)
        self.name, self.margin, self.model, self.shared = name, float(margin), model, shared
        self.student_tokenizer = getattr(student, "tokenizer", None)
        self.masked = self.candidates = 0

    @torch.no_grad()
    def embed(self, features: list[dict[str, Tensor]], execution: Execution | None = None) -> list[Tensor]:
        """One (rows, guide dim) tensor per column, without gradients, executed as the run's steps are
        (`execution`: the objective loss's decided `Execution`, so `execution.packed: false` reaches the guide;
        None, for a ranking loss used on its own: distinct texts in padded chunks, never packed)."""
        execution = execution or Execution()
        from sentence_transformers.util import batch_to_device

        device = features[0]["input_ids"].device
        if next(self.model.parameters()).device != device:
            self.model.to(device)
        if self.shared:  # the same token ids: each distinct text once, packed where the run packs
            from ..forward.sorted_step import embed_sorted

            inputs = [{k: v for k, v in column.items() if torch.is_tensor(v)} for column in features]
            # no autocast: the trainer wraps only the student's forward in it, so the guide runs fp32 either way
            together = embed_sorted(
                self.model, inputs, execution.chunk_rows, execution.bucket_widths, execution.packed
            )
            if together is not None:
                return [embedding.float() for embedding in together]
        out = []
        for column in features:
            if self.shared:
                inputs = {k: v for k, v in column.items() if torch.is_tensor(v)}  # a copy: the model writes to it
            else:
                texts = self.student_tokenizer.batch_decode(column["input_ids"], skip_special_tokens=True)
                inputs = batch_to_device(self.model.tokenize(texts), device)
            out.append(self.model(inputs)["sentence_embedding"].float())
        return out

    def mask(self, anchors: Tensor, candidates: Tensor, own: Tensor) -> Tensor:
        """(rows, candidates) bool: the candidates the rule removes for each anchor row (never its own pair)."""
        scores = _cosine(anchors, candidates)
        rows = torch.arange(len(own), device=scores.device)
        masked = scores > (scores[rows, own] - self.margin).unsqueeze(1)
        masked[rows, own] = False
        if torch.is_grad_enabled():  # training steps only: evaluation losses run under no_grad
            self.masked += int(masked.sum())
            self.candidates += masked.numel() - len(own)
        return masked

    def take_fraction(self) -> float | None:
        """The masked share of the candidates since the last call (None: no step since), and reset."""
        if not self.candidates:
            return None
        share = self.masked / self.candidates
        self.masked = self.candidates = 0
        return share


def _cosine(a: Tensor, b: Tensor) -> Tensor:
    return torch.nn.functional.normalize(a, dim=-1) @ torch.nn.functional.normalize(b, dim=-1).T


def _same_tokenizer(student: nn.Module, guide: nn.Module) -> bool:
    """Whether the guide can read the student's input ids (same vocabulary, no shorter max length)."""
    ours, theirs = getattr(student, "tokenizer", None), getattr(guide, "tokenizer", None)
    if ours is None or theirs is None:
        return False
    same_length = (guide.max_seq_length or 0) >= (student.max_seq_length or 0)
    return same_length and ours.get_vocab() == theirs.get_vocab()


def masked_logits(logits: Tensor, masked: Tensor | None) -> Tensor:
    """The logits with the masked candidates removed from the softmax (−inf)."""
    return logits if masked is None else logits.masked_fill(masked, float("-inf"))
