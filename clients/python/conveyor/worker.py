"""Run Conveyor jobs in Python: claim over the worker protocol (docs/worker-protocol.md), heartbeat, report, hand back."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import traceback
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Optional

from ._http import PROTOCOL_VERSION, ConveyorError, LeaseLost, Transport

Handler = Callable[["JobContext"], Any]


class PermanentError(Exception):
    """Raise it from a handler for an error another attempt cannot fix: the job fails at once, without retries."""


class Cancelled(Exception):
    """Raised by ``JobContext.raise_if_cancelled()`` once the job was asked to cancel (or its lease was lost)."""


class JobContext:
    """What a handler gets: the job's identity and args, progress reporting, and its cancellation signal."""

    def __init__(self, worker: "Worker", job: Dict[str, Any]) -> None:
        self.id: int = int(job["id"])
        self.kind: str = job["kind"]
        self.queue: str = job.get("queue", "")
        self.args: Any = job.get("args")
        self.attempt: int = int(job.get("attempt", 1))
        self.max_attempts: int = int(job.get("maxAttempts", 1))
        self.lease: str = job.get("lease", "")
        #: The W3C trace context of the code that enqueued the job (continue it in your own tracing), or None.
        self.traceparent: Optional[str] = job.get("traceparent")
        #: Set when the job was asked to cancel, its lease was lost, or the worker is shutting down past its grace period.
        self.cancelled = threading.Event()
        self.lost = False
        self.handed_back = False
        self.finished = False
        self._worker = worker
        self._last_progress = 0.0
        self._pending: Optional[Dict[str, Any]] = None
        self._lock = threading.Lock()

    def progress(self, percent: Optional[int] = None, stage: Optional[str] = None, done: Optional[int] = None, total: Optional[int] = None) -> None:
        """Reports progress (percent 0-100, derived from done/total when left out). Sent at most 4 times a second; the
        latest always lands before the job's outcome."""
        report = {k: v for k, v in (("percent", percent), ("stage", stage), ("done", done), ("total", total)) if v is not None}
        with self._lock:
            self._pending = report
            if time.monotonic() - self._last_progress < 0.25:
                return
        self.flush_progress()

    def flush_progress(self) -> None:
        with self._lock:
            report, self._pending = self._pending, None
            self._last_progress = time.monotonic()
        if report is not None and not self.lost and not self.handed_back:
            self._worker._report(self, "progress", report)

    def raise_if_cancelled(self) -> None:
        """Raises Cancelled when the job should stop: call it between steps of a long handler."""
        if self.cancelled.is_set():
            raise Cancelled(f"job {self.id} was cancelled")


class Worker:
    """Runs handlers for job kinds of one queue::

        worker = Worker("http://127.0.0.1:5000", queue="uploads", concurrency=4)

        @worker.handler("files.process")
        def process(job):
            for i, path in enumerate(job.args["paths"]):
                job.raise_if_cancelled()
                ...
                job.progress(done=i + 1, total=len(job.args["paths"]), stage=path)
            return {"processed": len(job.args["paths"])}

        worker.run()   # until SIGTERM / SIGINT or worker.stop()

    A handler's return value (JSON-serialisable) completes the job; an exception fails the attempt (retried with
    back-off while attempts remain; ``PermanentError`` fails it at once). On SIGTERM the worker stops claiming, gives
    running jobs ``shutdown_grace`` seconds, then hands the rest back (queued again, the attempt not charged).
    """

    def __init__(self, base_url: str = "http://127.0.0.1:5000", *, api_key: Optional[str] = None, queue: str = "default",
                 concurrency: int = 4, worker_id: Optional[str] = None, wait_seconds: float = 10.0,
                 shutdown_grace: float = 10.0, logger: Optional[logging.Logger] = None) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.queue = queue
        self.concurrency = concurrency
        self.worker_id = worker_id or f"py-{socket.gethostname()}-{os.getpid()}"
        self.wait_seconds = wait_seconds
        self.shutdown_grace = shutdown_grace
        self.log = logger or logging.getLogger("conveyor.worker")
        self._http = Transport(base_url, api_key, timeout=max(30.0, wait_seconds + 15.0))
        self._handlers: Dict[str, Handler] = {}
        self._running: Dict[int, JobContext] = {}
        self._threads: Dict[int, threading.Thread] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._slot_freed = threading.Event()
        self._done = threading.Event()
        self._heartbeat_every = 10.0
        self._version_checked = False

    def handler(self, kind: str) -> Callable[[Handler], Handler]:
        """Decorator: registers the function as the handler of ``kind``."""
        def register(fn: Handler) -> Handler:
            self.register(kind, fn)
            return fn
        return register

    def register(self, kind: str, fn: Handler) -> None:
        """Registers ``fn`` as the handler of ``kind`` (one handler per kind)."""
        if kind in self._handlers:
            raise ValueError(f"kind {kind!r} already has a handler")
        self._handlers[kind] = fn

    def stop(self) -> None:
        """Asks ``run`` to stop: no more claims, then the shutdown described above."""
        self._stopping.set()
        self._slot_freed.set()

    def run(self) -> None:
        """Claims and runs jobs until ``stop()``, SIGTERM or SIGINT."""
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: self.stop())
        beat = threading.Thread(target=self._heartbeat_loop, name="conveyor-heartbeat", daemon=True)
        beat.start()
        self.log.info("conveyor worker %s: queue %s, %d slots", self.worker_id, self.queue, self.concurrency)
        backoff = 0.5
        while not self._stopping.is_set():
            free = self.concurrency - len(self._running)
            if free <= 0:
                self._slot_freed.wait(1.0)
                self._slot_freed.clear()
                continue
            try:
                headers: Dict[str, str] = {}
                answer = self._http.request("POST", f"/api/queues/{self.queue}/claim",
                                            {"workerId": self.worker_id, "max": free, "waitSeconds": self.wait_seconds,
                                             "host": socket.gethostname(), "pid": os.getpid(), "concurrency": self.concurrency,
                                             "running": self.concurrency - free,
                                             # Only the kinds registered here (once there are any): a job of another kind
                                             # waits for a worker that runs it instead of being claimed and failed here.
                                             **({"kinds": sorted(self._handlers)} if self._handlers else {})},
                                            answer_headers=headers)
                backoff = 0.5
                if not self._version_checked:
                    version = headers.get("conveyor-protocol")
                    if version != PROTOCOL_VERSION:
                        raise ConveyorError(0, "Unsupported server", f"the server speaks worker protocol {version!r}; this worker speaks {PROTOCOL_VERSION}")
                    self._version_checked = True
            except ConveyorError as error:
                if error.status in (400, 401, 403):
                    raise
                self.log.warning("claim failed (%s); trying again in %.1f s", error, backoff)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            for job in answer.get("jobs", []):
                context = JobContext(self, job)
                self._learn_lease(job)
                if self._stopping.is_set():
                    self._hand_back(context)
                    continue
                self._start(context)
        self._shutdown()

    # ---- internals ----

    def _learn_lease(self, job: Dict[str, Any]) -> None:
        try:
            until = datetime.fromisoformat(job["leaseUntil"])
            lease = (until - datetime.now(timezone.utc)).total_seconds()
            self._heartbeat_every = max(0.5, min(10.0, lease / 3))
        except (KeyError, ValueError, TypeError):
            pass

    def _start(self, context: JobContext) -> None:
        thread = threading.Thread(target=self._run_job, args=(context,), name=f"conveyor-job-{context.id}", daemon=True)
        with self._lock:
            self._running[context.id] = context
            self._threads[context.id] = thread
        thread.start()

    def _run_job(self, context: JobContext) -> None:
        try:
            handler = self._handlers.get(context.kind)
            if handler is None:
                self._report(context, "fail", {"error": {"type": "UnknownJobKind", "message": f"No handler for kind '{context.kind}' in worker {self.worker_id}."}, "retry": True})
                return
            try:
                result = handler(context)
            except PermanentError as error:
                self._finish(context, "fail", {"error": _error(error), "retry": False})
                return
            except Exception as error:  # noqa: BLE001 - a handler's failure is the job's, reported, never the worker's
                self._finish(context, "fail", {"error": _error(error), "retry": not isinstance(error, Cancelled)})
                return
            self._finish(context, "complete", {"result": result})
        finally:
            context.finished = True
            with self._lock:
                self._running.pop(context.id, None)
                self._threads.pop(context.id, None)
            self._slot_freed.set()

    def _finish(self, context: JobContext, what: str, body: Dict[str, Any]) -> None:
        """The attempt's last report: its final progress, then the outcome (heartbeats racing with it stay quiet)."""
        context.flush_progress()
        context.finished = True
        self._report(context, what, body)

    def _report(self, context: JobContext, what: str, body: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        """One report on a held job; a lost lease marks the job lost (its work is abandoned, never reported again)."""
        if context.lost or context.handed_back:
            return None
        try:
            return self._http.request("POST", f"/api/jobs/{context.id}/{what}", {"workerId": self.worker_id, "lease": context.lease, **body})
        except LeaseLost as error:
            if context.finished and what == "heartbeat":
                return None  # a heartbeat sent as the job ended: nothing was lost
            self.log.warning("job %d: %s refused: %s", context.id, what, error.detail or error)
            context.lost = True
            context.cancelled.set()
        except ConveyorError as error:
            self.log.error("job %d: %s failed: %s", context.id, what, error)
        return None

    def _heartbeat_loop(self) -> None:
        # Every held job, every lease/3, until the shutdown has handed back what was left.
        while not self._done.wait(self._heartbeat_every):
            with self._lock:
                held = list(self._running.values())
            for context in held:
                answer = self._report(context, "heartbeat", {})
                if answer and answer.get("cancelRequested"):
                    context.cancelled.set()

    def _hand_back(self, context: JobContext) -> None:
        self._report(context, "handback", {})
        context.handed_back = True
        context.cancelled.set()

    def _shutdown(self) -> None:
        deadline = time.monotonic() + self.shutdown_grace
        while self._running and time.monotonic() < deadline:
            time.sleep(0.05)
        with self._lock:
            left = [context for context in self._running.values() if not context.finished]
        for context in left:
            self.log.info("job %d: handed back at shutdown", context.id)
            self._hand_back(context)
        self._done.set()
        self.log.info("conveyor worker %s stopped", self.worker_id)


def _error(error: BaseException) -> Dict[str, str]:
    return {"type": type(error).__name__, "message": str(error), "stack": "".join(traceback.format_exception(type(error), error, error.__traceback__))[-4000:]}


__all__ = ["Worker", "JobContext", "PermanentError", "Cancelled", "PROTOCOL_VERSION"]
