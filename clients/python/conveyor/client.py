"""Enqueue jobs and follow them: the Python side of the web app that hands slow work to Conveyor."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from ._http import ConveyorError, Transport

Dependency = Union[int, str, Mapping[str, Any]]

FINISHED = ("completed", "failed", "cancelled")


class Client:
    """A Conveyor server's HTTP API: ``Client("http://127.0.0.1:5000", api_key=None)``. Thread-safe."""

    def __init__(self, base_url: str = "http://127.0.0.1:5000", api_key: Optional[str] = None, timeout: float = 30.0) -> None:
        self._http = Transport(base_url, api_key, timeout)

    def enqueue(self, kind: str, args: Any = None, *, queue: Optional[str] = None, priority: Optional[int] = None,
                max_attempts: Optional[int] = None, delay: Union[None, float, str] = None, run_at: Optional[datetime] = None,
                unique_key: Optional[str] = None, tags: Optional[Sequence[str]] = None, batch_id: Optional[str] = None,
                timeout: Union[None, float, str] = None, depends_on: Optional[Sequence[Dependency]] = None,
                traceparent: Optional[str] = None) -> int:
        """Enqueues one job and returns its id (the holder's id when ``unique_key`` is taken by a live job).
        ``delay`` and ``timeout`` are seconds or texts such as "10s"; ``depends_on`` holds job ids (or
        ``{"id": 7, "onFailure": "ignore"}``)."""
        answer = self._http.request("POST", "/api/jobs", job_request(kind, args, queue=queue, priority=priority,
            max_attempts=max_attempts, delay=delay, run_at=run_at, unique_key=unique_key, tags=tags, batch_id=batch_id,
            timeout=timeout, depends_on=depends_on, traceparent=traceparent))
        return int(answer["id"])

    def enqueue_many(self, jobs: Iterable[Mapping[str, Any]]) -> List[int]:
        """Enqueues many jobs in one call (each a dict as POST /api/jobs takes: {"kind", "args", "queue", ...}, with
        "ref" and "dependsOn" to link them); all are checked before any is written."""
        answer = self._http.request("POST", "/api/jobs/bulk", {"jobs": list(jobs)})
        return [int(job["id"]) for job in answer["jobs"]]

    def enqueue_batch(self, jobs: Iterable[Mapping[str, Any]], batch_id: Optional[str] = None,
                      on_complete: Optional[Mapping[str, Any]] = None, on_success: Optional[Mapping[str, Any]] = None,
                      on_failure: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
        """Enqueues jobs as one batch (callbacks are {"kind", "args", "queue"}); returns {"batchId", "jobs": [...]}."""
        body: Dict[str, Any] = {"jobs": list(jobs)}
        for name, value in (("id", batch_id), ("onComplete", on_complete), ("onSuccess", on_success), ("onFailure", on_failure)):
            if value is not None:
                body[name] = value
        return self._http.request("POST", "/api/batches", body)

    def batch(self, batch_id: str) -> Dict[str, Any]:
        """A batch's counts by state, "finished" of "total", "done" and aggregate "progress" (0-100)."""
        return self._http.request("GET", "/api/batches/" + _segment(batch_id))

    def get(self, job_id: int) -> Dict[str, Any]:
        """One job as the API shows it (state, attempt, progress, result, errors...)."""
        return self._http.request("GET", f"/api/jobs/{int(job_id)}")

    def wait(self, job_id: int, timeout: Optional[float] = None, on_progress: Optional[Callable[[Dict[str, Any]], None]] = None,
             poll_seconds: float = 0.2) -> Dict[str, Any]:
        """Waits until the job is completed, failed or cancelled and returns it; ``on_progress`` is called with the job
        whenever its state, attempt or progress changed. Raises TimeoutError after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        seen = None
        while True:
            job = self.get(job_id)
            mark = (job.get("state"), job.get("attempt"), repr(job.get("progress")))
            if on_progress is not None and mark != seen:
                on_progress(job)
            seen = mark
            if job.get("state") in FINISHED:
                return job
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"job {job_id} is still {job.get('state')} after {timeout} s")
            time.sleep(poll_seconds)

    def cancel(self, job_id: int) -> Dict[str, Any]:
        """Cancels a waiting job at once, or asks a running one to stop: {"outcome": "cancelled" | "cancelRequested" |
        "alreadyFinished", "job": {...}}."""
        return self._http.request("POST", f"/api/jobs/{int(job_id)}/cancel", {})

    def retry(self, job_id: int) -> Dict[str, Any]:
        """Runs a failed or cancelled job again: {"outcome", "job": {...}} (a ConveyorError 409 when it is neither)."""
        return self._http.request("POST", f"/api/jobs/{int(job_id)}/retry", {})


def job_request(kind: str, args: Any = None, **options: Any) -> Dict[str, Any]:
    """A job as POST /api/jobs takes it, from Pythonic option names (None options are left out)."""
    if not isinstance(kind, str) or not kind:
        raise ValueError("kind must be a non-empty string")
    names = {"max_attempts": "maxAttempts", "unique_key": "uniqueKey", "batch_id": "batchId", "run_at": "runAt", "depends_on": "dependsOn"}
    body: Dict[str, Any] = {"kind": kind}
    if args is not None:
        body["args"] = args
    for name, value in options.items():
        if value is None:
            continue
        if isinstance(value, datetime):
            value = value.isoformat()
        if name == "tags" or name == "depends_on":
            value = list(value)
        body[names.get(name, name)] = value
    return body


def _segment(text: str) -> str:
    from urllib.parse import quote
    return quote(text, safe="")


__all__ = ["Client", "ConveyorError", "job_request", "FINISHED"]
