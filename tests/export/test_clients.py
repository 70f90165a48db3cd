"""The export folders load as they are in the clients people deploy with, each the way its own docs load a local
model, with no code of this project: onnxruntime + `tokenizers`, transformers.js (Node), fastembed, OpenVINO.

Real MiniLM (the packaged model, max_seq_length 256) on texts that include one longer than 256 tokens: the
tokenizer files must say 256 (the base tokenizer's files said 128, which clients reading them cut at).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow
pytest.importorskip("onnxruntime")

REPO = Path(__file__).resolve().parents[2]
SHOP_FAQ = REPO / "examples" / "data" / "shop-faq"
TRANSFORMERS_JS = "4.3.2"  # @huggingface/transformers, pinned
NODE_CACHE = Path(
    os.environ.get("EMBEDDING_NODE_CACHE", Path.home() / ".cache" / "embedding-tests" / "transformersjs")
)
LONG = " ".join(["O pedido chegou com a embalagem danificada e o produto riscado, quero trocar ou devolver."] * 30)
TEXTS = ["Tem desconto para pagamento via Pix?", "prazo de entrega", "rastrear a minha encomenda", LONG]
MIN_COSINE = {"onnx": 0.999, "onnx-int8": 0.98}


@pytest.fixture(scope="module")
def minilm():
    from sentence_transformers import SentenceTransformer

    from embedding.models import resolve

    model = SentenceTransformer(resolve("sentence-transformers/all-MiniLM-L6-v2", "m").location, device="cpu")
    assert model.max_seq_length == 256 and len(model.tokenizer(LONG)["input_ids"]) > 256
    return model


@pytest.fixture(scope="module")
def exports(minilm, tmp_path_factory):
    """onnx and onnx-int8 folders of MiniLM, made by the CLI once for every client."""
    from embedding.cli import main

    root = tmp_path_factory.mktemp("exports")
    folders = {}
    for fmt in MIN_COSINE:
        folders[fmt] = root / f"minilm-{fmt}"
        args = ["export", "sentence-transformers/all-MiniLM-L6-v2", "--format", fmt, "--output", str(folders[fmt])]
        assert main([*args, "--dataset", str(SHOP_FAQ), "--split", "test"]) == 0
    return folders


def torch_vectors(model) -> np.ndarray:
    return model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)


def min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return float((a * b).sum(axis=1).min())


def test_the_folder_holds_one_graph_no_torch_weights_and_one_max_length(exports):
    for fmt, folder in exports.items():
        assert not (folder / "model.safetensors").exists()
        graphs = sorted(p.name for p in (folder / "onnx").iterdir())
        assert graphs == (["model.onnx"] if fmt == "onnx" else ["model_quantized.onnx"])
        config = json.loads((folder / "tokenizer_config.json").read_text())
        fast = json.loads((folder / "tokenizer.json").read_text())
        assert config["model_max_length"] == fast["truncation"]["max_length"] == 256
        assert config.get("max_length", 256) == 256


@pytest.mark.parametrize("fmt", list(MIN_COSINE))
def test_onnxruntime_and_tokenizers_alone(exports, minilm, fmt):
    import onnxruntime as ort
    from tokenizers import Tokenizer

    folder = exports[fmt]
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))  # its own padding and truncation
    encoded = tokenizer.encode_batch(TEXTS)
    feed = {
        "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
    }
    name = "model.onnx" if fmt == "onnx" else "model_quantized.onnx"
    session = ort.InferenceSession(str(folder / "onnx" / name), providers=["CPUExecutionProvider"])
    (hidden,) = session.run(["last_hidden_state"], feed)
    mask = feed["attention_mask"][..., None]
    pooled = (hidden * mask).sum(axis=1) / mask.sum(axis=1)
    assert min_cosine(torch_vectors(minilm), pooled) >= MIN_COSINE[fmt]


NODE_SCRIPT = """
import { pipeline, env } from '@huggingface/transformers';
env.allowRemoteModels = false;
env.localModelPath = process.argv[2];
const extractor = await pipeline('feature-extraction', process.argv[3], { dtype: process.argv[4] });
const output = await extractor(JSON.parse(process.argv[5]), { pooling: 'mean', normalize: true });
console.log(JSON.stringify(output.tolist()));
"""


def transformers_js() -> Path:
    """The pinned @huggingface/transformers in a cache folder (npm install once), or skip without node/npm."""
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node and npm are needed for the transformers.js test")
    if not (NODE_CACHE / "node_modules" / "@huggingface" / "transformers").is_dir():
        NODE_CACHE.mkdir(parents=True, exist_ok=True)
        (NODE_CACHE / "package.json").write_text('{"private": true}\n')
        command = ["npm", "install", "--no-audit", "--no-fund", f"@huggingface/transformers@{TRANSFORMERS_JS}"]
        # onnxruntime-node's install script fetches optional CUDA binaries from nuget; the CPU ones ship in the package
        env = {**os.environ, "ONNXRUNTIME_NODE_INSTALL_CUDA": "skip", "ONNXRUNTIME_NODE_INSTALL": "skip"}
        subprocess.run(command, cwd=NODE_CACHE, check=True, capture_output=True, timeout=600, env=env)
    return NODE_CACHE


@pytest.mark.parametrize(("fmt", "dtype"), [("onnx", "fp32"), ("onnx-int8", "q8")])
def test_transformers_js_loads_the_folder_by_its_own_names(exports, minilm, fmt, dtype):
    cache = transformers_js()
    script = cache / "embed.mjs"
    script.write_text(NODE_SCRIPT)
    folder = exports[fmt]
    run = subprocess.run(
        ["node", str(script), f"{folder.parent}/", folder.name, dtype, json.dumps(TEXTS)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cache,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    vectors = np.array(json.loads(run.stdout.strip().splitlines()[-1]), dtype=np.float32)
    cosines = (torch_vectors(minilm) * vectors).sum(axis=1) / np.linalg.norm(vectors, axis=1)
    # the long text included: transformers.js cuts it after adding [CLS]/[SEP] and the graph puts the [SEP] back
    assert cosines.min() >= MIN_COSINE[fmt], cosines


def test_fastembed_custom_local_model(exports, minilm):
    fastembed = pytest.importorskip("fastembed")
    from fastembed.common.model_description import ModelSource, PoolingType

    name = "local/minilm-export-test"
    if name not in {m["model"] for m in fastembed.TextEmbedding.list_supported_models()}:
        fastembed.TextEmbedding.add_custom_model(
            model=name,
            pooling=PoolingType.MEAN,
            normalization=True,
            sources=ModelSource(hf=name),
            dim=384,
            model_file="onnx/model.onnx",
        )
    model = fastembed.TextEmbedding(model_name=name, specific_model_path=str(exports["onnx"]))
    vectors = np.array(list(model.embed(TEXTS)), dtype=np.float32)
    assert min_cosine(torch_vectors(minilm), vectors) >= 0.999


@pytest.mark.parametrize("fmt", list(MIN_COSINE))
def test_openvino_runs_the_onnx_graphs_int8_included(exports, minilm, fmt):
    ov = pytest.importorskip("openvino")
    from tokenizers import Tokenizer

    folder = exports[fmt]
    name = "model.onnx" if fmt == "onnx" else "model_quantized.onnx"
    compiled = ov.Core().compile_model(str(folder / "onnx" / name), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    encoded = Tokenizer.from_file(str(folder / "tokenizer.json")).encode_batch(TEXTS)
    feed = {
        "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
    }
    hidden = compiled(feed)[compiled.output("last_hidden_state")]
    mask = feed["attention_mask"][..., None]
    assert min_cosine(torch_vectors(minilm), (hidden * mask).sum(axis=1) / mask.sum(axis=1)) >= MIN_COSINE[fmt]
