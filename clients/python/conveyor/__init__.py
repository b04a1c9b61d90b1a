"""Conveyor for Python: enqueue and follow jobs (``Client``) and run them (``Worker``) over Conveyor's HTTP API.

Standard library only. See docs/worker-protocol.md for the protocol the worker speaks.
"""

from ._http import PROTOCOL_VERSION, ConveyorError, LeaseLost
from .client import FINISHED, Client, job_request
from .worker import Cancelled, JobContext, PermanentError, Worker

__version__ = "0.1.0"

__all__ = ["Client", "Worker", "JobContext", "PermanentError", "Cancelled", "ConveyorError", "LeaseLost", "job_request",
           "FINISHED", "PROTOCOL_VERSION", "__version__"]
