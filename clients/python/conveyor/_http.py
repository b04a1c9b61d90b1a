"""One small HTTP transport over urllib (standard library only), shared by Client and Worker."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any, Dict, Mapping, Optional

PROTOCOL_VERSION = "1"


class ConveyorError(Exception):
    """An answer that was not a success: the HTTP status and the server's problem document (title, detail)."""

    def __init__(self, status: int, title: str, detail: str = "") -> None:
        super().__init__(f"{status} {title}: {detail}" if detail else f"{status} {title}")
        self.status = status
        self.title = title
        self.detail = detail


class LeaseLost(ConveyorError):
    """409 on a worker report: this worker no longer holds the job (rescued, cancelled, finished, or claimed elsewhere)."""


class Transport:
    """JSON over HTTP to one Conveyor server, with its API key; retries what failed before the server could answer."""

    def __init__(self, base_url: str, api_key: Optional[str] = None, timeout: float = 30.0, retries: int = 5) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.retries = retries

    def request(self, method: str, path: str, body: Optional[Mapping[str, Any]] = None, timeout: Optional[float] = None,
                answer_headers: Optional[Dict[str, str]] = None) -> Any:
        """Sends one request; returns the parsed JSON answer (None for 204). Connection errors and 502/503/504 are
        retried with back-off (every Conveyor call is safe to repeat); any other failure raises ConveyorError."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self.api_key:
            headers["Authorization"] = "Bearer " + self.api_key
        delay = 0.25
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=timeout or self.timeout) as answer:
                    raw = answer.read()
                    if answer_headers is not None:
                        answer_headers.update({k.lower(): v for k, v in answer.headers.items()})
                    return json.loads(raw) if raw else None
            except urllib.error.HTTPError as error:
                if error.code in (502, 503, 504) and attempt < self.retries:
                    time.sleep(delay)
                    delay = min(delay * 2, 5.0)
                    continue
                raise _problem(error) from None
            except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
                if attempt >= self.retries:
                    raise ConveyorError(0, "Unreachable", f"{method} {path}: {error}") from None
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
        raise AssertionError("unreachable")


def _problem(error: urllib.error.HTTPError) -> ConveyorError:
    title, detail = error.reason or "Error", ""
    try:
        document = json.loads(error.read() or b"{}")
        title = document.get("title") or title
        detail = document.get("detail") or ""
    except ValueError:
        pass
    kind = LeaseLost if error.code == 409 else ConveyorError
    return kind(error.code, str(title), str(detail))
