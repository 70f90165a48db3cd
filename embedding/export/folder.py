"""The export folder appears only when complete: built under a hidden temporary name, renamed at the end."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import UserError
from ..safe_files import refuse_link


def check_output(output: Path) -> None:
    """An export never overwrites: an existing folder is the user's to move or remove."""
    refuse_link(output)  # a dangling link is not `exists()`; the folder must not appear where it points
    if output.exists():
        raise UserError(f"--output {output}: already exists; remove it or choose another --output folder")
    if not output.parent.is_dir():
        raise UserError(f"--output {output}: folder {output.parent} does not exist; create it first or fix the path")
    if not os.access(output.parent, os.W_OK | os.X_OK):
        raise UserError(
            f"--output {output}: folder {output.parent} is not writable; choose an --output folder you can write to"
        )


@contextmanager
def staged(output: Path) -> Iterator[Path]:
    """Yield a temporary folder next to `output`; rename it to `output` on success, delete it on any error."""
    check_output(output)
    temporary = output.parent / f".{output.name}.partial-{os.getpid()}"
    shutil.rmtree(temporary, ignore_errors=True)
    try:
        temporary.mkdir()
    except OSError as exc:
        raise UserError(f"--output {output}: cannot create a folder in {output.parent}: {exc.strerror}") from None
    try:
        yield temporary
        temporary.rename(output)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)  # gone after a rename; the half-written folder otherwise
