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


JSON_TYPES = {"bool": "boolean", "int": "integer", "float": "number", "str": "string"}


def full_schema() -> dict:
    """The config's JSON Schema, with the open mappings that the checks know filled in.

    `args` and `evaluator.args` are free-form in the pydantic model (their keys come from the installed
    sentence-transformers); their known keys, types and choices are added here from the committed snapshots the
    validator uses, so editors complete and flag them too. Unknown keys stay allowed in the schema (the validator
    reports them with a did-you-mean).
    """
    from ..config.checks import ir_evaluator_args, trainer_arg_specs
    from ..config.schema import TrainConfig

    schema = TrainConfig.model_json_schema()
    properties = {}
    for name, spec in sorted(trainer_arg_specs().items()):
        entry: dict = {}
        if spec.get("type") in JSON_TYPES:
            entry["type"] = JSON_TYPES[spec["type"]]
            if spec["type"] == "float":  # an int is a valid float (learning_rate: 1)
                entry["type"] = ["number", "integer"]
        if spec.get("choices"):
            entry["enum"] = spec["choices"]
        properties[name] = entry
    schema["properties"]["args"]["properties"] = properties
    evaluator = schema.get("$defs", {}).get("EvaluatorSpec", {}).get("properties", {}).get("args")
    if isinstance(evaluator, dict):
        evaluator["properties"] = {name: {} for name in ir_evaluator_args()}
    return schema


def run(args) -> int:
    import json

    text = json.dumps(full_schema(), indent=2)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    else:
        print(text)
    return 0
