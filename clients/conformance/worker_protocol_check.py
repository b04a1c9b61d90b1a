#!/usr/bin/env python3
"""Checks a Conveyor server against version 1 of the worker protocol (docs/worker-protocol.md).

    python3 worker_protocol_check.py http://127.0.0.1:5000 [--worker-key KEY] [--operator-key KEY]

Standard library only. It enqueues jobs of kind "conformance.check" into a fresh queue of its own (no worker of the
server should work queues named conformance-*), claims and reports on them as two made-up workers, and prints one line
per check. Exit code 0 when every check passed. The worker key needs the "worker" scope, the operator key "operate"
(to enqueue, read and cancel); without keys the server must be on this machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime


class Answer:
    def __init__(self, status: int, body, headers) -> None:
        self.status, self.body, self.headers = status, body, headers


class Check:
    def __init__(self, url: str, worker_key: str | None, operator_key: str | None) -> None:
        self.url = url.rstrip("/")
        self.worker_key = worker_key
        self.operator_key = operator_key
        self.queue = "conformance-" + uuid.uuid4().hex[:8]
        self.passed = 0
        self.failed = 0

    # ---- HTTP ----
    def call(self, method: str, path: str, body=None, key: str | None = None, timeout: float = 40) -> Answer:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if key:
            request.add_header("Authorization", "Bearer " + key)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                raw = answer.read()
                return Answer(answer.status, json.loads(raw) if raw else None, answer.headers)
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            return Answer(error.code, body, error.headers)

    def worker(self, path: str, body) -> Answer:
        return self.call("POST", "/api" + path, body, self.worker_key)

    def enqueue(self, **extra) -> int:
        answer = self.call("POST", "/api/jobs", {"kind": "conformance.check", "queue": self.queue, "args": {"n": 7}, **extra}, self.operator_key)
        if answer.status not in (200, 202):
            raise AssertionError(f"enqueue: {answer.status} {answer.body}")
        return answer.body["id"]

    def job(self, job_id: int) -> dict:
        answer = self.call("GET", f"/api/jobs/{job_id}", None, self.operator_key)
        if answer.status != 200:
            raise AssertionError(f"GET job {job_id}: {answer.status} {answer.body}")
        return answer.body

    def claim(self, worker: str = "w-one", max: int = 1, wait: float = 0) -> list:
        answer = self.worker(f"/queues/{self.queue}/claim", {"workerId": worker, "max": max, "waitSeconds": wait})
        expect(answer.status == 200, f"claim answered {answer.status} {answer.body}")
        return answer.body["jobs"]

    def claim_one(self, worker: str = "w-one") -> dict:
        jobs = self.claim(worker, wait=5)
        expect(len(jobs) == 1, f"expected one job, got {jobs}")
        return jobs[0]

    # ---- running ----
    def run(self) -> int:
        checks = [(name, getattr(self, name)) for name in dir(self) if name.startswith("check_")]
        for name, check in sorted(checks, key=lambda c: c[1].__code__.co_firstlineno):
            try:
                check()
                self.passed += 1
                print(f"ok      {name[6:].replace('_', ' ')}")
            except Exception as error:  # noqa: BLE001 - every failure is reported, then the next check runs
                self.failed += 1
                print(f"FAILED  {name[6:].replace('_', ' ')}: {error}")
        print(f"{self.passed + self.failed} checks, {self.passed} passed, {self.failed} failed")
        return 0 if self.failed == 0 else 1

    # ---- the checks, in document order ----
    def check_an_empty_claim_answers_at_once_with_the_protocol_version(self) -> None:
        # Timed on the second call: the first may pay a cold server's start-up (compiling, connecting), which is not waiting.
        self.worker(f"/queues/{self.queue}/claim", {"workerId": "w-one", "max": 1, "waitSeconds": 0})
        start = time.monotonic()
        answer = self.worker(f"/queues/{self.queue}/claim", {"workerId": "w-one", "max": 1, "waitSeconds": 0})
        expect(answer.status == 200 and answer.body == {"jobs": []}, f"{answer.status} {answer.body}")
        expect(answer.headers.get("Conveyor-Protocol") == "1", f"Conveyor-Protocol header is {answer.headers.get('Conveyor-Protocol')!r}")
        expect(time.monotonic() - start < 2, "waitSeconds 0 should not wait")

    def check_a_claim_gives_the_job_with_its_lease_and_the_job_is_running(self) -> None:
        job_id = self.enqueue(maxAttempts=3)
        job = self.claim_one()
        expect(job["id"] == job_id and job["kind"] == "conformance.check" and job["args"] == {"n": 7}, f"claimed {job}")
        expect(job["attempt"] == 1 and job["maxAttempts"] == 3 and job["queue"] == self.queue, f"claimed {job}")
        expect(isinstance(job["lease"], str) and job["lease"], "no lease")
        datetime.fromisoformat(job["leaseUntil"].replace("Z", "+00:00"))
        stored = self.job(job_id)
        expect(stored["state"] == "running" and stored["workerId"] == "w-one", f"job is {stored['state']} held by {stored.get('workerId')}")
        expect(self.claim(wait=0) == [], "a running job was claimed twice")
        self.finish(job)

    def check_a_heartbeat_extends_the_lease_and_says_no_cancel(self) -> None:
        self.enqueue()
        job = self.claim_one()
        answer = self.worker(f"/jobs/{job['id']}/heartbeat", {"workerId": "w-one", "lease": job["lease"]})
        expect(answer.status == 200 and answer.body["cancelRequested"] is False, f"{answer.status} {answer.body}")
        expect(answer.body["leaseUntil"] >= job["leaseUntil"][:19], "the lease did not move on")
        self.finish(job)

    def check_another_worker_is_refused_with_409_on_every_report(self) -> None:
        self.enqueue()
        job = self.claim_one()
        for what, extra in (("heartbeat", {}), ("progress", {"percent": 5}), ("complete", {"result": 1}), ("fail", {"error": "x"}), ("handback", {})):
            answer = self.worker(f"/jobs/{job['id']}/{what}", {"workerId": "w-intruder", **extra})
            expect(answer.status == 409, f"{what} by another worker answered {answer.status}")
        expect(self.job(job["id"])["state"] == "running", "an intruder changed the job")
        self.finish(job)

    def check_progress_is_stored_and_visible(self) -> None:
        self.enqueue()
        job = self.claim_one()
        answer = self.worker(f"/jobs/{job['id']}/progress", {"workerId": "w-one", "lease": job["lease"], "stage": "halfway", "done": 5, "total": 10})
        expect(answer.status == 200, f"{answer.status} {answer.body}")
        progress = self.job(job["id"])["progress"]
        expect(progress["percent"] == 50 and progress["stage"] == "halfway" and progress["done"] == 5, f"progress is {progress}")
        self.finish(job)

    def check_complete_stores_the_result_once(self) -> None:
        self.enqueue()
        job = self.claim_one()
        answer = self.worker(f"/jobs/{job['id']}/complete", {"workerId": "w-one", "lease": job["lease"], "result": {"pages": 12}})
        expect(answer.status == 200 and answer.body["state"] == "completed", f"{answer.status} {answer.body}")
        stored = self.job(job["id"])
        expect(stored["state"] == "completed" and stored["result"] == {"pages": 12}, f"job is {stored['state']} with {stored.get('result')}")
        again = self.worker(f"/jobs/{job['id']}/complete", {"workerId": "w-one", "lease": job["lease"], "result": 2})
        expect(again.status == 409, f"a second complete answered {again.status}")

    def check_fail_with_retry_schedules_another_attempt_and_a_stale_lease_is_refused(self) -> None:
        self.enqueue(maxAttempts=3)
        job = self.claim_one()
        answer = self.worker(f"/jobs/{job['id']}/fail", {"workerId": "w-one", "lease": job["lease"], "error": {"type": "IOError", "message": "disk full"}})
        expect(answer.status == 200 and answer.body["state"] == "scheduled", f"{answer.status} {answer.body}")
        error = self.job(job["id"])["errors"][-1]
        expect(error["type"] == "IOError" and error["message"] == "disk full", f"error is {error}")
        again = self.claim("w-one", wait=10)  # after the back-off (about 1 s)
        expect(len(again) == 1 and again[0]["attempt"] == 2, f"the retry was not claimed: {again}")
        stale = self.worker(f"/jobs/{job['id']}/complete", {"workerId": "w-one", "lease": job["lease"], "result": "late"})
        expect(stale.status == 409, f"a report with the first attempt's lease answered {stale.status}")
        self.finish(again[0])

    def check_fail_without_retry_fails_at_once(self) -> None:
        self.enqueue(maxAttempts=5)
        job = self.claim_one()
        answer = self.worker(f"/jobs/{job['id']}/fail", {"workerId": "w-one", "lease": job["lease"], "error": "no such file", "retry": False})
        expect(answer.status == 200 and answer.body["state"] == "failed", f"{answer.status} {answer.body}")

    def check_a_cancel_is_said_on_the_next_heartbeat_and_the_job_ends_cancelled(self) -> None:
        job_id = self.enqueue()
        job = self.claim_one()
        cancel = self.call("POST", f"/api/jobs/{job_id}/cancel", {}, self.operator_key)
        expect(cancel.status == 200, f"cancel answered {cancel.status}")
        beat = self.worker(f"/jobs/{job_id}/heartbeat", {"workerId": "w-one", "lease": job["lease"]})
        expect(beat.status == 200 and beat.body["cancelRequested"] is True, f"{beat.status} {beat.body}")
        answer = self.worker(f"/jobs/{job_id}/fail", {"workerId": "w-one", "lease": job["lease"], "error": "stopped"})
        expect(answer.status == 200 and answer.body["state"] == "cancelled", f"{answer.status} {answer.body}")

    def check_a_hand_back_queues_the_job_again_without_charging_the_attempt(self) -> None:
        job_id = self.enqueue()
        job = self.claim_one()
        answer = self.worker(f"/jobs/{job_id}/handback", {"workerId": "w-one", "lease": job["lease"]})
        expect(answer.status == 200 and answer.body["state"] == "queued", f"{answer.status} {answer.body}")
        expect(self.job(job_id)["attempt"] == 0, "the handed-back attempt was charged")
        self.finish(self.claim_one("w-two"), "w-two")

    def check_a_waiting_claim_is_woken_by_an_enqueue(self) -> None:
        result = {}

        def wait() -> None:
            start = time.monotonic()
            result["jobs"] = self.claim("w-one", wait=20)
            result["answered"] = time.monotonic()
            result["waited"] = result["answered"] - start

        thread = threading.Thread(target=wait)
        thread.start()
        time.sleep(1.0)
        enqueued = time.monotonic()
        self.enqueue()
        thread.join(30)
        expect(len(result.get("jobs", [])) == 1, f"the waiting claim answered {result.get('jobs')}")
        expect(result["waited"] >= 0.9, "the claim answered before the job existed")
        expect(result["answered"] - enqueued < 2.5, f"the claim answered {result['answered'] - enqueued:.2f} s after the enqueue")
        self.finish(result["jobs"][0])

    def check_a_waiting_claim_with_nothing_to_do_answers_empty_after_its_wait(self) -> None:
        start = time.monotonic()
        jobs = self.claim("w-one", wait=1.5)
        took = time.monotonic() - start
        expect(jobs == [] and 1.2 <= took < 6, f"answered {jobs} after {took:.2f} s")

    def check_a_claim_with_kinds_takes_only_those_and_leaves_the_rest_waiting(self) -> None:
        other_id = self.enqueue(kind="conformance.other", priority=10)
        mine_id = self.enqueue()
        answer = self.worker(f"/queues/{self.queue}/claim", {"workerId": "w-one", "max": 5, "waitSeconds": 0, "kinds": ["conformance.check"]})
        expect(answer.status == 200, f"claim with kinds answered {answer.status} {answer.body}")
        expect([j["id"] for j in answer.body["jobs"]] == [mine_id], f"claimed {answer.body['jobs']}, expected only job {mine_id}")
        self.finish(answer.body["jobs"][0])
        other = self.job(other_id)
        expect(other["state"] == "queued" and other["attempt"] == 0, f"the other kind's job is {other['state']}, attempt {other['attempt']}")
        empty = self.worker(f"/queues/{self.queue}/claim", {"workerId": "w-one", "max": 1, "waitSeconds": 0, "kinds": []})
        expect(empty.status == 400, f"an empty kinds list answered {empty.status}")
        taken = self.claim(max=1)
        expect([j["id"] for j in taken] == [other_id], f"a claim without kinds got {taken}")
        self.finish(taken[0])

    def check_malformed_requests_are_400_and_unknown_jobs_404(self) -> None:
        for body in ({"workerId": "w-one", "max": 0}, {"workerId": "w-one", "max": 101}, {"workerId": "w-one", "waitSeconds": 31},
                     {"workerId": "w-one", "colour": "red"}, {"max": 1}, {"workerId": "bad id!"}):
            answer = self.worker(f"/queues/{self.queue}/claim", body)
            expect(answer.status == 400, f"claim {body} answered {answer.status}")
        job_id = self.enqueue()
        job = self.claim_one()
        bad_lease = self.worker(f"/jobs/{job_id}/heartbeat", {"workerId": "w-one", "lease": "not-a-lease"})
        expect(bad_lease.status == 400, f"a malformed lease answered {bad_lease.status}")
        bad_percent = self.worker(f"/jobs/{job_id}/progress", {"workerId": "w-one", "lease": job["lease"], "percent": 101})
        expect(bad_percent.status == 400, f"percent 101 answered {bad_percent.status}")
        unknown = self.worker("/jobs/999999999999/heartbeat", {"workerId": "w-one"})
        expect(unknown.status == 404, f"an unknown job answered {unknown.status}")
        self.finish(job)

    def finish(self, job: dict, worker: str = "w-one") -> None:
        answer = self.worker(f"/jobs/{job['id']}/complete", {"workerId": worker, "lease": job["lease"]})
        expect(answer.status == 200, f"complete answered {answer.status} {answer.body}")


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the server, e.g. http://127.0.0.1:5000")
    parser.add_argument("--worker-key", help="an API key with the worker scope")
    parser.add_argument("--operator-key", help="an API key with the operate scope (to enqueue, read and cancel)")
    options = parser.parse_args()
    return Check(options.url, options.worker_key, options.operator_key).run()


if __name__ == "__main__":
    sys.exit(main())
