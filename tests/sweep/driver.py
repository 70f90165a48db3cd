"""`embedding sweep` in a process of its own, for the multi-process tests.

SWEEP_FAKE=1: trials on the stand-in trainer (tests/sweep/fake.py), each taking SWEEP_TRIAL_S seconds; SWEEP_HANG
names a trial dir that hangs (to be killed there). Without SWEEP_FAKE: the real trainer.
"""

from __future__ import annotations

import os
import sys
import time

if os.environ.get("SWEEP_FAKE"):
    import embedding.training.run as run
    from tests.sweep.fake import FakeTrain

    def pause(config, record) -> bool:
        time.sleep(float(os.environ.get("SWEEP_TRIAL_S", "0")))
        return config.run_name == os.environ.get("SWEEP_HANG")

    run.train = FakeTrain(hang=pause)

from embedding.cli import main

sys.exit(main(["sweep", *sys.argv[1:]]))
