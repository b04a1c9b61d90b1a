"""A worker process for the crash tests: python3 worker_process.py URL QUEUE slow|fast GRACE."""

import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conveyor import Worker  # noqa: E402

url, queue, mode, grace = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
worker = Worker(url, queue=queue, concurrency=2, wait_seconds=1, shutdown_grace=grace)


@worker.handler("py.crash")
def crash(job):
    if mode == "slow":
        print(f"running {job.id}", flush=True)
        time.sleep(60)
    return {"by": worker.worker_id, "attempt": job.attempt}


print("ready", flush=True)
worker.run()
