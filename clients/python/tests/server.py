"""A real `conveyor serve` (embedded SQLite in a temp folder, a free loopback port) for the Python tests."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import List, Optional

ROOT = Path(__file__).resolve().parents[3]
CLI = Path(os.environ.get("CONVEYOR_CLI_DLL", ROOT / "src" / "Conveyor.Cli" / "bin" / "Debug" / "net10.0" / "Conveyor.Cli.dll"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """Starts `conveyor serve` with a short lease (2 s) so that rescues come quickly; stops it (SIGTERM) on close."""

    def __init__(self, *extra: str) -> None:
        if not CLI.exists():
            raise RuntimeError(f"{CLI} does not exist: build the solution first (dotnet build) or set CONVEYOR_CLI_DLL")
        self.folder = tempfile.TemporaryDirectory(prefix="conveyor-py-")
        self.url = f"http://127.0.0.1:{free_port()}"
        self.lines: List[str] = []
        self._started = threading.Event()
        self.process = subprocess.Popen(
            ["dotnet", str(CLI), "serve", "--database", os.path.join(self.folder.name, "conveyor.db"), "--urls", self.url,
             "--lease", "2s", "--rescue-interval", "500ms", "--poll-interval", "200ms", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=self.folder.name)
        threading.Thread(target=self._read, daemon=True).start()
        if not self._started.wait(60):
            self.close()
            raise RuntimeError("conveyor serve did not start:\n" + "\n".join(self.lines[-40:]))

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip())
            if "Conveyor serve started" in line:
                self._started.set()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.folder.cleanup()


def wait_until(predicate, timeout: float = 30.0, every: float = 0.05, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


def python_worker(url: str, queue: str, mode: str, grace: float = 0.5) -> subprocess.Popen:
    """A worker in its own process (tests/worker_process.py), to be SIGTERMed or SIGKILLed."""
    return subprocess.Popen(["python3", str(Path(__file__).with_name("worker_process.py")), url, queue, mode, str(grace)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(ROOT / "clients" / "python"))
