"""`python embedding ...` (from the repository root) and `python -m embedding ...`."""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:
    # `python embedding` puts this folder first on sys.path, where our module names could shadow real
    # packages; import the package from its parent instead.
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
    sys.path.insert(0, str(_here.parent))

from embedding.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
