"""The Python client and worker against a real `conveyor serve` (python3 -m unittest discover -s clients/python)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
import time
import unittest

from conveyor import Client, LeaseLost, PermanentError, Worker
from conveyor._http import Transport

from .server import Server, python_worker, wait_until

server: Server


def setUpModule() -> None:
    global server
    server = Server()


def tearDownModule() -> None:
    server.close()


class WorkerThread:
    """A Worker running in a thread of this process, stopped at the end of the test."""

    def __init__(self, queue: str, **options) -> None:
        self.worker = Worker(server.url, queue=queue, wait_seconds=1, shutdown_grace=1, **options)
        self.thread = threading.Thread(target=self.worker.run, daemon=True)

    def __enter__(self) -> Worker:
        self.thread.start()
        return self.worker

    def __exit__(self, *_) -> None:
        self.worker.stop()
        self.thread.join(30)


class ClientTests(unittest.TestCase):
    def setUp(self) -> None:
        self.client = Client(server.url)

    def test_enqueue_then_wait_sees_progress_and_the_result(self) -> None:
        job_id = self.client.enqueue("demo.sleep", {"seconds": 0.6, "steps": 3}, tags=["py"])
        seen = []
        job = self.client.wait(job_id, timeout=30, on_progress=lambda j: seen.append((j["progress"] or {}).get("percent")))
        self.assertEqual("completed", job["state"])
        self.assertEqual(0.6, job["result"]["slept"])
        self.assertEqual(["py"], job["tags"])
        self.assertTrue(any(p is not None and 0 < p < 100 for p in seen), seen)

    def test_batches_dependencies_cancel_and_retry(self) -> None:
        batch = self.client.enqueue_batch([
            {"ref": "a", "kind": "demo.sleep", "args": {"seconds": 0.1, "steps": 1}},
            {"kind": "demo.collect", "dependsOn": ["a"]}], batch_id="py-batch")
        collect = batch["jobs"][1]["id"]
        self.assertEqual("completed", self.client.wait(collect, timeout=30)["state"])
        status = self.client.batch("py-batch")
        self.assertEqual((2, True, 100.0), (status["total"], status["done"], status["progress"]))

        later = self.client.enqueue("demo.noop", delay="1h")
        self.assertEqual(("cancelled", "cancelled"), (self.client.cancel(later)["outcome"], self.client.get(later)["state"]))
        self.assertEqual("retried", self.client.retry(later)["outcome"])  # queued again, and at once run by the server's own worker
        with self.assertRaises(Exception) as bad:
            self.client.enqueue("bad kind!")
        self.assertEqual(400, bad.exception.status)
        self.assertEqual(2, len(self.client.enqueue_many([{"kind": "demo.noop"}, {"kind": "demo.noop", "queue": "other"}])))


class WorkerTests(unittest.TestCase):
    def setUp(self) -> None:
        self.client = Client(server.url)

    def test_a_handler_runs_with_progress_and_its_return_value_completes_the_job(self) -> None:
        with WorkerThread("py-ok") as worker:
            @worker.handler("py.double")
            def double(job):
                for i in range(3):
                    job.progress(done=i + 1, total=3, stage=f"step {i + 1}")
                    time.sleep(0.1)
                return {"n": job.args["n"] * 2, "attempt": job.attempt}

            job = self.client.wait(self.client.enqueue("py.double", {"n": 21}, queue="py-ok"), timeout=30)
        self.assertEqual("completed", job["state"])
        self.assertEqual({"n": 42, "attempt": 1}, job["result"])
        self.assertEqual((100, "step 3", 3, 3), (job["progress"]["percent"], job["progress"]["stage"], job["progress"]["done"], job["progress"]["total"]))
        self.assertTrue(job["workerId"].startswith("py-"))
        workers = Transport(server.url).request("GET", "/api/workers")
        listed = [w for w in workers if w["id"] == job["workerId"]]
        self.assertEqual(1, len(listed), workers)
        self.assertEqual((["py-ok"], 4), (listed[0]["queues"], listed[0]["concurrency"]))

    def test_an_exception_is_retried_and_a_permanent_error_fails_at_once(self) -> None:
        calls = []
        with WorkerThread("py-fail") as worker:
            @worker.handler("py.flaky")
            def flaky(job):
                calls.append(job.attempt)
                if job.attempt == 1:
                    raise ValueError("first attempt fails")
                return "ok"

            @worker.handler("py.broken")
            def broken(job):
                raise PermanentError("this input can never work")

            flaky_job = self.client.wait(self.client.enqueue("py.flaky", queue="py-fail", max_attempts=3), timeout=30)
            broken_job = self.client.wait(self.client.enqueue("py.broken", queue="py-fail", max_attempts=5), timeout=30)
        self.assertEqual(("completed", "ok", [1, 2]), (flaky_job["state"], flaky_job["result"], calls))
        self.assertEqual("ValueError", flaky_job["errors"][0]["type"])
        self.assertIn("first attempt fails", flaky_job["errors"][0]["stack"])
        self.assertEqual(("failed", 1, "PermanentError"), (broken_job["state"], broken_job["attempt"], broken_job["errors"][0]["type"]))

    def test_a_cancel_reaches_the_running_handler(self) -> None:
        started = threading.Event()
        with WorkerThread("py-cancel") as worker:
            @worker.handler("py.long")
            def long(job):
                started.set()
                for _ in range(300):
                    job.raise_if_cancelled()
                    time.sleep(0.05)
                return "not cancelled"

            job_id = self.client.enqueue("py.long", queue="py-cancel")
            self.assertTrue(started.wait(30))
            self.client.cancel(job_id)
            job = self.client.wait(job_id, timeout=30)
        self.assertEqual("cancelled", job["state"])

    def test_only_the_lease_holder_may_report(self) -> None:
        job_id = self.client.enqueue("py.fenced", queue="py-fence")
        http = Transport(server.url)
        claimed = http.request("POST", "/api/queues/py-fence/claim", {"workerId": "holder", "max": 1})["jobs"]
        self.assertEqual(job_id, claimed[0]["id"])
        with self.assertRaises(LeaseLost):
            http.request("POST", f"/api/jobs/{job_id}/complete", {"workerId": "intruder", "result": 1})
        http.request("POST", f"/api/jobs/{job_id}/complete", {"workerId": "holder", "lease": claimed[0]["lease"], "result": 1})
        self.assertEqual("completed", self.client.get(job_id)["state"])


class CrashTests(unittest.TestCase):
    def setUp(self) -> None:
        self.client = Client(server.url)

    def test_sigterm_hands_the_job_back_and_a_sigkilled_workers_job_is_rescued_and_completed_by_another(self) -> None:
        job_id = self.client.enqueue("py.crash", queue="py-crash", max_attempts=5)
        first = python_worker(server.url, "py-crash", "slow")
        try:
            wait_until(lambda: self.client.get(job_id)["state"] == "running", what="the first worker to run the job")
            first.send_signal(signal.SIGTERM)
            self.assertEqual(0, first.wait(30))
        finally:
            first.kill()
        job = self.client.get(job_id)
        self.assertEqual(("queued", 0), (job["state"], job["attempt"]))  # handed back, the attempt not charged

        second = python_worker(server.url, "py-crash", "slow", grace=30)
        try:
            wait_until(lambda: self.client.get(job_id)["state"] == "running", what="the second worker to run the job")
            second.kill()  # SIGKILL: no hand-back, no more heartbeats
            second.wait(30)
        finally:
            second.kill()
        wait_until(lambda: self.client.get(job_id)["state"] == "scheduled", timeout=30, what="the rescue")
        self.assertEqual("WorkerLost", self.client.get(job_id)["errors"][-1]["type"])

        third = python_worker(server.url, "py-crash", "fast")
        try:
            job = self.client.wait(job_id, timeout=60)
        finally:
            third.terminate()
            third.wait(30)
        self.assertEqual(("completed", 2), (job["state"], job["result"]["attempt"]))


class ExampleTests(unittest.TestCase):
    def test_the_python_worker_example_runs_end_to_end(self) -> None:
        import subprocess
        import tempfile
        from .server import ROOT

        example = ROOT / "examples" / "python-worker"
        with tempfile.TemporaryDirectory() as folder:
            files = []
            for name, text in (("a.txt", "one two three"), ("b.txt", "four five"), ("c.txt", ""), ("d.txt", "six")):
                path = Path(folder) / name
                path.write_text(text)
                files.append(str(path))
            worker = subprocess.Popen(["python3", str(example / "worker.py"), "--server", server.url, "--delay", "0.3"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                producer = subprocess.run(["python3", str(example / "producer.py"), "--server", server.url, "--batch-size", "3", *files],
                                          capture_output=True, text=True, timeout=120)
            finally:
                worker.terminate()
                worker.wait(30)
        self.assertEqual(0, producer.returncode, producer.stdout + producer.stderr)
        self.assertIn("enqueued 2 job(s)", producer.stdout)
        self.assertRegex(producer.stdout, r"job \d+: [12]/3 files \(counted [ab].txt\)")
        self.assertRegex(producer.stdout, r"job \d+: 3 files, 5 words")
        self.assertRegex(producer.stdout, r"job \d+: 1 files, 1 words")
        self.assertEqual(0, worker.returncode)


if __name__ == "__main__":
    unittest.main()
