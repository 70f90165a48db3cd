"""`embedding init`: write a commented starter config from a template."""

from __future__ import annotations

import argparse

TEMPLATES = {
    "faq": "FAQ retrieval from e-faq data (question, paraphrases, hard negatives): both objectives + IR evaluator",
    "sts": "semantic similarity from scored sentence pairs (sentence1, sentence2, score)",
    "labeled": "intent/label data (text, label, optional domain): same label = paraphrase",
}

EXAMPLES = """examples:
  embedding init --from-data faq.csv          # a config for your own file, format and columns read from it
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
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--template", "-t", choices=sorted(TEMPLATES), default=None, help="starting point (faq)")
    source.add_argument(
        "--from-data",
        metavar="FILE",
        help="your CSV/TSV/JSONL/JSON/parquet file (or a folder with train.* and validation.*): the format, "
        "column mapping, validation split and batch sampler are decided from its rows",
    )
    parser.add_argument(
        "--model",
        metavar="NAME",
        help="base model with --from-data (default: the packaged sentence-transformers/all-MiniLM-L6-v2)",
    )
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
    if args.from_data:
        from .init_data import run_from_data

        text, decisions = run_from_data(args.from_data, path, args.model)
        print(f"read {args.from_data}; decided:")
        print("\n".join(f"  - {line}" for line in decisions))
        write_output(path, text)
        what = "from your data"
    else:
        if args.model:
            raise UserError("--model goes with --from-data; in a template, set base_model.name")
        template = args.template or "faq"
        write_output(path, template_text(template).replace("{config}", str(path)))
        what = f"{template} template"
    print(f"wrote {path} ({what}). Next:\n  embedding validate --config {path}\n  embedding train --config {path}")
    return 0
