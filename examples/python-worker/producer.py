#!/usr/bin/env python3
"""The upload pipeline's producer: enqueues one job per batch of uploaded files and prints its live progress.

    python3 producer.py [--server http://127.0.0.1:5000] [--batch-size 10] FILE...
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "clients" / "python"))  # run from a clone, no pip install

from conveyor import Client  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("files", nargs="+")
parser.add_argument("--server", default="http://127.0.0.1:5000")
parser.add_argument("--api-key", default=None, help="a key with the operate scope, when the server has keys")
parser.add_argument("--batch-size", type=int, default=10)
options = parser.parse_args()

client = Client(options.server, api_key=options.api_key)
paths = [str(Path(f).resolve()) for f in options.files]
batches = [paths[i:i + options.batch_size] for i in range(0, len(paths), options.batch_size)]
ids = client.enqueue_many([{"kind": "files.count_words", "queue": "uploads", "args": {"paths": batch}, "maxAttempts": 3} for batch in batches])
print(f"enqueued {len(ids)} job(s): {', '.join(map(str, ids))}", flush=True)


def show(job):
    progress = job.get("progress") or {}
    if progress.get("total"):
        print(f"job {job['id']}: {progress['done']}/{progress['total']} files ({progress.get('stage', '')})", flush=True)
    else:
        print(f"job {job['id']}: {job['state']}", flush=True)


failed = 0
for job_id in ids:
    job = client.wait(job_id, timeout=600, on_progress=show)
    if job["state"] == "completed":
        print(f"job {job_id}: {job['result']['files']} files, {job['result']['words']} words", flush=True)
    else:
        failed += 1
        print(f"job {job_id}: {job['state']}: {job['errors'][-1]['message'] if job['errors'] else ''}", flush=True)
sys.exit(1 if failed else 0)
