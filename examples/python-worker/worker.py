#!/usr/bin/env python3
"""The upload pipeline's worker, in Python: counts the words of each file of a batch, with progress after every file.

    python3 worker.py [--server http://127.0.0.1:5000] [--delay 0.2]
"""

import argparse
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "clients" / "python"))  # run from a clone, no pip install

from conveyor import PermanentError, Worker  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--server", default="http://127.0.0.1:5000")
parser.add_argument("--api-key", default=None, help="a key with the worker scope, when the server has keys")
parser.add_argument("--delay", type=float, default=0.2, help="seconds of pretend work per file")
options = parser.parse_args()

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
worker = Worker(options.server, api_key=options.api_key, queue="uploads", concurrency=2)


@worker.handler("files.count_words")
def count_words(job):
    paths = job.args["paths"]
    counts = {}
    for done, path in enumerate(paths, start=1):
        job.raise_if_cancelled()
        file = Path(path)
        if not file.is_file():
            raise PermanentError(f"{path} does not exist")  # another attempt will not make it appear
        counts[file.name] = len(file.read_text(encoding="utf-8", errors="replace").split())
        time.sleep(options.delay)
        job.progress(done=done, total=len(paths), stage=f"counted {file.name}")
    return {"files": len(paths), "words": sum(counts.values()), "perFile": counts}


worker.run()
