"""`embedding schema`: print the JSON Schema of the training config (for editor autocompletion)."""

from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "schema",
        help="print the config's JSON Schema",
        description="Print the JSON Schema of the training config. Point your editor's "
        "YAML language server at it: `# yaml-language-server: $schema=embedding.schema.json`",
    )
    parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    parser.set_defaults(func=run)


def run(args) -> int:
    import json

    from ..validation import full_schema
    from ._common import output_file, write_output

    path = output_file(args.output, example="embedding.schema.json") if args.output else None
    text = json.dumps(full_schema(), indent=2)
    if path:
        write_output(path, text + "\n")
    else:
        print(text)
    return 0
