"""Load a resolved model as a SentenceTransformer, with the configured pooling.

A plain Transformers checkpoint (no sentence-transformers files) gets a pooling layer and normalisation, so any
encoder can be trained; a sentence-transformers model keeps its own pooling unless `pooling` is set explicitly.
"""

from __future__ import annotations

import logging
import pickle
import re
from pathlib import Path
from typing import Any

from ..config.schema import ModelSpec
from ..errors import UserError
from .folder import find_model

# One logger for the whole package, as before it was split: users and tests filter on "embedding.models".
logger = logging.getLogger("embedding.models")


def _is_sentence_transformer(folder: Path) -> bool:
    return (folder / "modules.json").exists()


def load_model(spec: ModelSpec, where: str = "base_model"):
    """Resolve and load a SentenceTransformer; returns (model, Resolution)."""
    resolution = find_model(spec.name, f"{where}.name")  # first: a bad name or folder fails before slow imports
    from sentence_transformers import SentenceTransformer

    args: dict[str, Any] = {"trust_remote_code": False, **spec.args}
    if args["trust_remote_code"]:
        logger.warning(
            "%s: trust_remote_code is ON for %s: code from that model repository will run", where, spec.name
        )
    location = resolution.location
    try:
        if resolution.source != "hub" and not _is_sentence_transformer(Path(location)):
            model = _from_plain_transformer(location, spec, args)
        else:
            model = SentenceTransformer(location, **args)
            _apply_pooling(model, spec, where)
    except TypeError as exc:
        raise UserError(f"{where}.args: {exc}; see SentenceTransformer's constructor arguments") from None
    except (ValueError, pickle.UnpicklingError) as exc:
        refusal = refused_code(exc, where, spec.name, location)
        if refusal is None:
            raise
        raise refusal from None
    except OSError as exc:
        tried = "; ".join(resolution.tried + [f"Hub download ({str(exc).splitlines()[0]})"])
        raise UserError(f"{where}.name: model `{spec.name}` could not be loaded; tried {tried}") from None
    if (adapter := getattr(spec, "adapter", None)) is not None:  # only the student's spec has the key
        from .adapter import add_lora

        add_lora(model, adapter, location, f"{where}.adapter")
    return model, resolution


CUSTOM_MODULE = re.compile(r"references the module class '([^']+)', which is not part of Sentence Transformers")


def refused_code(
    exc: BaseException, where: str, name: str, location: str, opt_in: str | None = None, key: str | None = None
) -> UserError | None:
    """The UserError for a model whose loading would run code the user did not allow; None for other errors.

    Two refusals come from the libraries, both correct and both worded for a Python user: sentence-transformers'
    for a custom module class in modules.json ("pass trust_remote_code=True"), torch's for a weights file that
    pickles more than tensors ("weights only load failed"). The config's user gets the key, the folder, and the
    opt-in (`opt_in`, by default `<where>.args.trust_remote_code: true`; "" where there is none), or the way out.
    `key` names the value when it is not `<where>.name` (a model given as a plain string, such as the guide).
    """
    key = key or f"{where}.name"
    module = CUSTOM_MODULE.search(str(exc))
    if module:
        allow = (
            f"its code is not run unless you allow it: {opt_in or f'set `{where}.args.trust_remote_code: true`'} "
            "if you trust the code in that folder, or"
            if opt_in != ""
            else f"`{where}` has no switch to run such code:"
        )
        return UserError(
            f"{key}: `{name}` ({location}) lists the custom module class `{module.group(1)}` in its "
            f"modules.json; {allow} pick a model made of sentence-transformers' own modules"
        )
    if isinstance(exc, pickle.UnpicklingError):
        return UserError(
            f"{key}: `{name}` ({location}) has a weights file (pytorch_model.bin) that pickles objects "
            "other than tensors, which are not loaded: unpickling them could run code. Use a model saved as "
            "model.safetensors, or re-save this one from a Python session you trust"
        )
    return None


def load_sentence_transformer(
    location: str, where: str, name: str, opt_in: str | None = None, key: str | None = None, **args: Any
):
    """`SentenceTransformer(location, **args)`, its refusals to run code as UserErrors naming `where` (guides)."""
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(location, **args)
    except (ValueError, pickle.UnpicklingError) as exc:
        refusal = refused_code(exc, where, name, location, opt_in, key)
        if refusal is None:
            raise
        raise refusal from None


def _from_plain_transformer(location: str, spec: ModelSpec, args: dict[str, Any]):
    """Transformer + Pooling(spec.pooling) (+ Normalize) around a plain Transformers checkpoint."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    trust = {"trust_remote_code": True} if args.get("trust_remote_code") else {}
    encoder = Transformer(
        location, model_kwargs=trust or None, processor_kwargs=trust or None, config_kwargs=trust or None
    )
    modules = [encoder, Pooling(encoder.get_embedding_dimension(), pooling_mode=spec.pooling)]
    if spec.normalize:
        modules.append(Normalize())
    rest = {k: v for k, v in args.items() if k not in ("trust_remote_code",)}
    return SentenceTransformer(modules=modules, **rest)


def _apply_pooling(model, spec: ModelSpec, where: str) -> None:
    """An explicit `pooling` replaces the pooling mode of a sentence-transformers model's Pooling module.

    Only when the config sets `pooling` (the default `mean` must not override, e.g., a CLS-pooled model).
    Refused when the model has no Pooling module, or when the new mode changes the pooled width that a later
    module (Dense) was trained on.
    """
    if "pooling" not in spec.model_fields_set:
        return
    from sentence_transformers.sentence_transformer.modules import Pooling

    modules = list(model)
    pools = [i for i, module in enumerate(modules) if isinstance(module, Pooling)]
    if not pools:
        kinds = ", ".join(type(module).__name__ for module in modules)
        raise UserError(
            f"{where}.pooling: `{spec.name}` has no Pooling module ({kinds}), so `pooling: "
            f"{spec.pooling}` cannot be applied; remove `{where}.pooling`"
        )
    index = pools[-1]
    pool = modules[index]
    old = pool.pooling_mode if isinstance(pool.pooling_mode, str) else "+".join(pool.pooling_mode)
    if old == spec.pooling:
        logger.info("%s.pooling: %s already pools with %s", where, spec.name, old)
        return
    width = pool.embedding_dimension
    after = [type(m).__name__ for m in modules[index + 1 :] if hasattr(m, "in_features")]
    if width != pool.pooling_output_dimension and after:
        raise UserError(
            f"{where}.pooling: `{spec.name}` pools with {old} ({pool.pooling_output_dimension} "
            f"dims) into a {after[0]} layer; `{spec.pooling}` would give {width} dims that layer was "
            f"not trained on. Remove `{where}.pooling` or pick a model without that layer"
        )
    pool.pooling_mode = spec.pooling
    pool.pooling_output_dimension = width
    logger.warning("%s.pooling: %s pooled with %s; changed to %s as configured", where, spec.name, old, spec.pooling)
