"""What reaches the console besides the project's own lines: the libraries' log records and progress bars.

`embedding --verbose` shows them as the libraries print them; otherwise the terminal keeps one voice (the banner,
one training bar, one line per evaluation) and the run's train.log keeps the libraries' full text.
"""

from __future__ import annotations

import contextlib
import functools
import sys

LIBRARY_OUTPUT = {"shown": False}  # set by the CLI's --verbose


def library_output_shown() -> bool:
    return LIBRARY_OUTPUT["shown"]


def interactive() -> bool:
    """Whether progress bars help: a terminal on stdout or a Jupyter kernel (which renders bars itself); a pipe or
    a file gets one line per event."""
    return bool(getattr(sys.stdout, "isatty", lambda: False)()) or "ipykernel" in sys.modules


def quiet_library_bars() -> bool:
    """Turn off the libraries' own bars unless --verbose: off a terminal all of them (model loading, `datasets.map`,
    downloads); on a terminal only transformers' quick "Loading weights" / "Writing model shards" bars, which cut
    through the log lines (downloads and the training bar stay).

    Returns:
        Whether all the bars were turned off.
    """
    if library_output_shown():
        return False
    import logging

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    if interactive():
        return False
    import datasets
    from huggingface_hub.utils import disable_progress_bars

    datasets.disable_progress_bars()
    disable_progress_bars()
    # The evaluators log a block of every metric at each evaluation; ProgressLines prints the main one and
    # logs.jsonl keeps them all.
    logging.getLogger("sentence_transformers.sentence_transformer.evaluation").setLevel(logging.WARNING)
    return True


def quiet_widget_examples(model) -> None:
    """sentence-transformers picks the model card's widget examples under a bar of its own ("Computing widget
    examples") that cuts through the training bar. The same pick, at the same moment (so the random draws are
    unchanged), with that bar off unless --verbose."""
    card = getattr(model, "model_card_data", None)
    if card is None or library_output_shown():
        return
    pick = card.set_widget_examples

    def quietly(dataset) -> None:
        from sentence_transformers.base import model_card

        with _bars_off(model_card):
            pick(dataset)

    card.set_widget_examples = quietly


@contextlib.contextmanager
def _bars_off(module):
    """`module.tqdm` draws nothing while inside (the module's own global, swapped and put back)."""
    original = module.tqdm
    module.tqdm = functools.partial(original, disable=True)
    try:
        yield
    finally:
        module.tqdm = original
