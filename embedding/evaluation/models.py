"""The models an evaluation names, checked before anything heavy loads: files only, no torch.

`bm25` is the BM25 baseline; every other name must resolve (local folder, cache, package, Hub) to a complete
model (model files and a tokenizer), so a wrong model fails in a second instead of after the data is prepared.
"""

from __future__ import annotations

from ..config.eval_schema import EvalConfig

BM25_NAME = "bm25"


def is_bm25(name: str) -> bool:
    """Whether a model name asks for the BM25 baseline."""
    return name.strip().lower() == BM25_NAME


def check_models(config: EvalConfig) -> None:
    """Every model exists and is a complete model folder (tokenizer included); raises a UserError naming it."""
    from ..models import find_model

    for i, spec in enumerate(config.models):
        if not is_bm25(spec.name):
            find_model(spec.name, f"models[{i}].name")


def load_evaluated(spec, where: str, log=lambda _: None):
    """(model, Resolution) of a model to evaluate. An export folder (`embedding export`) runs its exported graph
    (onnxruntime / OpenVINO), never torch weights that sit beside it (`--with-torch`): its scores are the
    export's. A static export is a plain sentence-transformers model and loads as one.

    Raises:
        UserError: the folder is an export whose runtime is not installed (the graph cannot run here).
    """
    from pathlib import Path

    from ..errors import UserError
    from ..models import find_model, load_model
    from ..models.exported import exported_graph, load_exported

    resolution = find_model(spec.name, f"{where}.name")
    graph = exported_graph(Path(resolution.location)) if resolution.source != "hub" else None
    if graph is None:
        return load_model(spec, where)
    runtime = "openvino" if graph.endswith(".xml") else "onnxruntime"
    try:
        model = load_exported(resolution.location, graph)
    except ImportError:
        raise UserError(
            f"{where}.name: {spec.name} is an export folder; evaluating it runs its graph {graph} with {runtime}, "
            f'which is not installed: pip install "embedding[export]" (or evaluate the run\'s final/ instead)'
        ) from None
    log(f"{where}: export folder {resolution.location}: runs {graph} with {runtime} (not torch)")
    return model, resolution
