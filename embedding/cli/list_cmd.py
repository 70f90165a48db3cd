"""`embedding list losses|formats|templates`: what a config accepts, one line each, read from the registries."""

from __future__ import annotations

import argparse

EXAMPLES = """examples:
  embedding list losses       # objectives[].loss (and the extra terms distillation / variation_penalty)
  embedding list formats      # datasets.*.preprocess_args.format
  embedding list templates    # embedding init --template
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "list",
        help="list the losses, data formats or init templates a config accepts",
        description="List what a config accepts, one line each.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("what", choices=("losses", "formats", "templates"), help="what to list")
    parser.set_defaults(func=run)


def loss_lines() -> list[str]:
    """`objectives[].loss` names per objective type (the default marked), then the extra terms."""
    from ..config.catalog.losses import DISTILLATION, LOSSES, VARIATION_PENALTY
    from ..config.catalog.st_losses import st_names

    entries = sorted(LOSSES.values(), key=lambda e: (e.kind, not e.default))
    width = max(len(e.name) for e in [*entries, *VARIATION_PENALTY.values()])
    lines = [
        f"{e.name:{width}}  {e.kind:11}  {e.description}" + (f" (default for {e.kind})" if e.default else "")
        for e in entries
    ]
    for key, terms in (("distillation", DISTILLATION), ("variation_penalty", VARIATION_PENALTY)):
        lines += [f"{key:{width}}  {kind:11}  extra term: {term.description}" for kind, term in terms.items()]
    lines.append(f"also accepted as loss: the sentence-transformers classes {', '.join(st_names())}")
    return lines


def format_lines() -> list[str]:
    """`preprocess_args.format` values in detection order: identifying columns and the uses each feeds."""
    from ..data.formats import FORMATS

    width = max(len(name) for name in FORMATS)
    lines = []
    for name, fmt in FORMATS.items():
        shape = f"columns {', '.join(fmt.columns)}" if fmt.columns else "a folder (corpus, queries, qrels)"
        lines.append(f"{name:{width}}  {shape}; feeds {', '.join(fmt.args)}")
    return lines


def template_lines() -> list[str]:
    """`embedding init --template` names (the package's templates/ folder) with their descriptions."""
    from importlib.resources import files

    from .init import TEMPLATES

    names = sorted(p.name.removesuffix(".yaml") for p in files("embedding").joinpath("templates").iterdir())
    names = [n for n in names if n and not n.startswith((".", "_"))]
    width = max(len(n) for n in names)
    return [f"{name:{width}}  {TEMPLATES.get(name, '')}".rstrip() for name in names]


def run(args) -> int:
    lines = {"losses": loss_lines, "formats": format_lines, "templates": template_lines}[args.what]()
    print("\n".join(lines))
    return 0
