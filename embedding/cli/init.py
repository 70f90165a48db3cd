"""`embedding init`: write a commented starter config from a template."""

from __future__ import annotations

import argparse

TEMPLATES = {
    "faq": "FAQ retrieval from e-faq data (question, paraphrases, hard negatives): both objectives + IR evaluator",
    "sts": "semantic similarity from scored sentence pairs (sentence1, sentence2, score)",
    "labeled": "intent/label data (text, label, optional domain): same label = paraphrase",
}

EXAMPLES = """examples:
  embedding init                              # faq template -> config.yaml
  embedding init --template sts --output sts.yaml
  embedding init --template labeled -o intents.yaml --force
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "init",
        help="write a commented starter config",
        epilog=EXAMPLES,
        description="Write a commented starter config that validates. Templates:\n"
        + "\n".join(f"  {name:8} {text}" for name, text in TEMPLATES.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--template", "-t", choices=sorted(TEMPLATES), default="faq", help="starting point")
    parser.add_argument("--output", "-o", metavar="FILE", default="config.yaml", help="where to write it")
    parser.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    parser.set_defaults(func=run)


def template_text(name: str) -> str:
    from importlib.resources import files

    return files("embedding").joinpath("templates", f"{name}.yaml").read_text(encoding="utf-8")


def run(args) -> int:
    from ..errors import UserError
    from ._common import output_file, write_output

    path = output_file(args.output, example="config.yaml")
    if path.exists() and not args.force:
        raise UserError(f"{path}: already exists; choose another --output or pass --force to overwrite it")
    write_output(path, template_text(args.template).replace("{config}", str(path)))
    print(
        f"wrote {path} ({args.template} template). Next:\n"
        f"  embedding validate --config {path}\n  embedding train --config {path}"
    )
    return 0
