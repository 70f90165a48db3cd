"""auto_dataloader_args: what it picks when the user left the dataloader keys unset, and that user keys win."""

from __future__ import annotations

from embedding.training.batching.dataloading import MAX_WORKERS, auto_dataloader_args, available_cpus, local_processes


def test_cpu_training_gets_no_workers_and_no_pinned_memory():
    added, why = auto_dataloader_args({}, cuda=False, cpu_count=2)
    assert added == {"dataloader_num_workers": 0, "dataloader_pin_memory": False}
    assert why.startswith("dataloader: 0 dataloader workers (auto: CPU")


def test_cuda_gets_workers_bounded_by_the_cpus_persistent_and_pinned():
    added, why = auto_dataloader_args({}, cuda=True, cpu_count=16)
    assert added == {
        "dataloader_num_workers": 15,
        "dataloader_persistent_workers": True,
        "dataloader_pin_memory": True,
    }
    assert "15 dataloader workers" in why and "pinned memory" in why
    assert auto_dataloader_args({}, cuda=True, cpu_count=128)[0]["dataloader_num_workers"] == MAX_WORKERS
    # 8 GPUs on 64 CPUs: each process gets 8 CPUs, one stays with the main process
    assert auto_dataloader_args({}, cuda=True, cpu_count=64, local_processes=8)[0]["dataloader_num_workers"] == 7
    one = auto_dataloader_args({}, cuda=True, cpu_count=1)[0]
    assert one["dataloader_num_workers"] == 0 and "dataloader_persistent_workers" not in one


def test_user_keys_always_win():
    user = {"dataloader_num_workers": 3, "dataloader_pin_memory": False}
    added, why = auto_dataloader_args(user, cuda=True, cpu_count=16)
    assert added == {"dataloader_persistent_workers": True}
    assert not set(added) & set(user) and "3 dataloader workers (args)" in why
    user = {"dataloader_num_workers": 4, "dataloader_persistent_workers": False}
    assert auto_dataloader_args(user, cuda=False, cpu_count=2)[0] == {"dataloader_pin_memory": False}


def test_added_keys_are_valid_training_arguments():
    from sentence_transformers import SentenceTransformerTrainingArguments

    for cuda in (False, True):
        added, _ = auto_dataloader_args({}, cuda=cuda, cpu_count=4)
        args = SentenceTransformerTrainingArguments(output_dir="unused", use_cpu=True, **added)
        # (transformers turns pinned memory off by itself where no GPU is: not comparable here)
        assert all(getattr(args, k) == v for k, v in added.items() if k != "dataloader_pin_memory")


def test_cpu_helpers(monkeypatch):
    assert available_cpus() >= 1
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "4")
    assert local_processes() == 4
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "x")
    assert local_processes() == 1
