"""The JSON Schema of the training config, with every key the registries know (for editor completion).

The pydantic schema leaves open the mappings whose keys come from elsewhere; they are filled in here:
`args` and `evaluator.args` from the committed sentence-transformers snapshots (sts evaluators: their own list),
`preprocess_args` from each registered format's typed models, and `loss_args` from each registered loss's typed
model (an `if loss == name` branch per loss). Unknown trainer keys stay allowed in the schema: `validate` reports
them with a did-you-mean.
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from ..config.schema import TrainConfig
from ..config.trainer_args import RANGES, ir_evaluator_args, trainer_arg_specs
from ..data.formats import FORMATS
from ..losses import registry
from .evaluators import STS_EVALUATOR_ARGS

JSON_TYPES = {"bool": "boolean", "int": "integer", "float": "number", "str": "string"}
OBJECTIVES = {"contrastive": "ContrastiveObjective", "similarity": "SimilarityObjective"}


def full_schema() -> dict[str, Any]:
    schema = TrainConfig.model_json_schema()
    defs = schema.setdefault("$defs", {})
    schema["properties"]["args"]["properties"] = trainer_args_schema()
    if "EvaluatorSpec" in defs:
        add_evaluator_args(defs["EvaluatorSpec"])
    models = [model for fmt in FORMATS.values() for model in fmt.args.values()]
    refs, extra = models_json_schema([(m, "validation") for m in models], ref_template="#/$defs/{model}")
    defs.update(extra.get("$defs", {}))
    for spec in ("DatasetSpec", "TrainDatasetSpec"):  # training data: DatasetSpec + `streaming`
        dataset = defs[spec]["properties"]["preprocess_args"]
        dataset.pop("additionalProperties", None)
        dataset["anyOf"] = [refs[(m, "validation")] for m in dict.fromkeys(models)]
    for kind, name in OBJECTIVES.items():
        if name in defs:
            add_losses(defs[name], kind)
    return schema


def add_evaluator_args(spec: dict[str, Any]) -> None:
    """`args` named per evaluator type: InformationRetrievalEvaluator's (the default type), EmbeddingSimilarity-
    Evaluator's when `type: sts`."""
    spec["properties"]["args"]["properties"] = {name: {} for name in ir_evaluator_args()}
    sts = {"properties": {"type": {"const": "sts"}}, "required": ["type"]}
    args = {"properties": {name: {} for name in STS_EVALUATOR_ARGS}}
    spec["allOf"] = [{"if": sts, "then": {"properties": {"args": args}}}]


def trainer_args_schema() -> dict[str, Any]:
    """Each trainer argument's type, choices and range (the `RANGES` table), null where the library takes it."""
    properties = {}
    for name, spec in sorted(trainer_arg_specs().items()):
        entry: dict[str, Any] = {}
        if name == "report_to":
            trackers = {"enum": [c for c in spec["choices"] if c not in ("all", "none")]}
            properties[name] = {"anyOf": [{"enum": spec["choices"]}, {"type": "array", "items": trackers}]}
            continue
        if spec.get("type") in JSON_TYPES:
            # an int is a valid float (learning_rate: 1)
            types = ["number", "integer"] if spec["type"] == "float" else [JSON_TYPES[spec["type"]]]
            entry["type"] = [*types, "null"] if spec.get("null") else types[0] if len(types) == 1 else types
        if spec.get("choices"):
            entry["enum"] = spec["choices"]
        if name in RANGES:
            entry.update(RANGES[name].json_schema())
        properties[name] = entry
    return properties


def add_losses(objective: dict[str, Any], kind: str) -> None:
    """Loss names as editor suggestions, and `loss_args` typed by the chosen loss (the type's default when unset)."""
    names = registry.loss_names(kind)
    schemas = registry.loss_args_json_schemas()
    objective["properties"]["loss"]["examples"] = names
    branches = []
    for name in names:
        when = {"properties": {"loss": {"const": name}}, "required": ["loss"]}
        if name == registry.default_loss(kind):
            when = {"anyOf": [when, {"not": {"required": ["loss"]}}]}
        branches.append({"if": when, "then": {"properties": {"loss_args": schemas[name]}}})
    objective["allOf"] = branches
