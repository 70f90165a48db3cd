"""Secret trainer arguments (`hub_token`) kept out of training_args.bin, the trainer's pickle of its arguments."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

from ..rundir.outputs import SECRET_KEYS


class _Secret(str):
    """A secret argument's value that pickles as None, while it still reads as the secret (the Hub push uses it)."""

    def __reduce__(self):
        return (type(None), ())  # a plain None: training_args.bin still loads with transformers alone


@contextmanager
def secrets_pickled_as_none(args) -> Iterator[None]:
    """While the block runs, pickling `args` writes None for each secret argument (a name matching SECRET_KEYS).

    transformers saves `torch.save(self.args)` as training_args.bin beside every checkpoint and the final model,
    and into the folder it pushes to the Hub, where the push then reads `args.hub_token`: the value must stay
    readable, only its pickle is blank.
    """
    values = {
        field.name: getattr(args, field.name)
        for field in dataclasses.fields(args)
        if SECRET_KEYS.search(field.name) and isinstance(getattr(args, field.name), str)
    }
    for name, value in values.items():
        setattr(args, name, _Secret(value))
    try:
        yield
    finally:
        for name, value in values.items():
            setattr(args, name, value)
