"""Backends by name: what starts and stops workers and hands the engine connected channels.

A backend never schedules: the engine (`kjupyter.run.engine`) decides what runs where, retries
and cancels. To add one, subclass `Backend`, implement `start` and `stop`, and call
`register("name", factory)` when its module is imported; list the module in `_MODULES` (or
import it) so `create("name")` finds it. `default_name()` picks the backend used when none is
given; `add_default_chooser` lets a backend claim that role (a configured cluster, say).
"""

from __future__ import annotations

import importlib
import os
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kjupyter.errors import BackendError
from kjupyter.run.channel import StreamChannel


@dataclass(frozen=True)
class Session:
    """This kernel's identity towards its workers: a label and the secret that signs frames."""

    id: str
    secret: bytes


_SESSION: Session | None = None


def current_session() -> Session:
    """The process-wide session, created on first use (a fresh secret per kernel)."""
    global _SESSION
    if _SESSION is None:
        _SESSION = Session(id=uuid.uuid4().hex[:12], secret=os.urandom(32))
    return _SESSION


class Inflight:
    """What a worker owes the engine: rows of the run's task table sent to it and not yet
    answered, chunk by chunk in the order sent (a worker runs them in that order)."""

    __slots__ = ("chunks", "count")

    def __init__(self) -> None:
        self.chunks: deque[Any] = deque()  # ranges or lists of rows
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def add(self, rows: Any) -> None:
        self.chunks.append(rows)
        self.count += len(rows)

    def clear(self) -> None:
        self.chunks.clear()
        self.count = 0


@dataclass(eq=False)
class Worker:
    """A worker as the engine sees it; `handle` belongs to the backend (a process, a pod)."""

    name: str
    channel: StreamChannel
    host: str = ""
    handle: Any = None
    info: dict[str, Any] = field(default_factory=dict)
    ready: bool = False
    dead: bool = False
    inflight: Inflight = field(default_factory=lambda: Inflight())
    cached: OrderedDict[str, int] = field(default_factory=OrderedDict)  # blob key -> bytes


class Backend:
    """Starts and stops workers. Subclasses set `name` and implement `start` and `stop`."""

    name = "?"
    #: seconds between heartbeats the pool sends (workers with a dead-man switch need them)
    heartbeat: float | None = None
    #: how many workers a map uses when not told
    default_workers = 2

    def start(self, count: int, session: Session) -> list[Worker]:
        """Start `count` workers and return them with connected channels (hello not yet read)."""
        raise NotImplementedError

    def stop(self, worker: Worker, *, force: bool = False) -> None:
        """Stop one worker and release it; `force` kills without waiting."""
        raise NotImplementedError

    def describe_exit(self, worker: Worker) -> str:
        """Why a worker went away, for error messages (an exit code, a pod phase)."""
        return "connection lost"

    def exit_fd(self, worker: Worker) -> int | None:
        """A file descriptor readable once the worker's process has ended (a pidfd), or None.

        The engine watches it beside the channel: a child the task forked may hold the
        channel's socket open long after the worker itself died.
        """
        return None

    def close(self) -> None:
        """Release what the backend holds beyond its workers."""


Factory = Callable[..., Backend]
_FACTORIES: dict[str, Factory] = {}
_MODULES = {"local": "kjupyter.run.local", "kubernetes": "kjupyter.run.kubernetes"}
_CHOOSERS: list[Callable[[], str | None]] = []


def register(name: str, factory: Factory) -> None:
    """Make `create(name)` build backends with `factory(**options)`."""
    _FACTORIES[name] = factory


def create(name: str, **options: Any) -> Backend:
    """A new backend called `name`; an unknown name lists the known ones."""
    if name not in _FACTORIES and name in _MODULES:
        try:
            importlib.import_module(_MODULES[name])
        except ImportError as err:
            raise BackendError(f"backend {name!r} is not available: {err}") from err
    if name not in _FACTORIES:
        known = ", ".join(sorted(set(_FACTORIES) | set(_MODULES)))
        raise BackendError(f"unknown backend {name!r}; known backends: {known}")
    return _FACTORIES[name](**options)


def add_default_chooser(chooser: Callable[[], str | None]) -> None:
    """Let `chooser()` name the default backend (None passes); later choosers ask first."""
    _CHOOSERS.insert(0, chooser)


SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"


def kubernetes_configured(environ: Mapping[str, str] | None = None) -> str | None:
    """ "kubernetes" when a worker image is configured or the kernel runs in a pod.

    Cheap on purpose (no client import): it only reads the environment and one path. In a pod
    the worker image defaults to the kernel pod's own, so nothing more must be configured.
    """
    environ = os.environ if environ is None else environ
    if environ.get("KJUPYTER_IMAGE"):
        return "kubernetes"
    in_pod = bool(environ.get("KUBERNETES_SERVICE_HOST")) and os.path.exists(SERVICE_ACCOUNT_TOKEN)
    return "kubernetes" if in_pod else None


def default_name() -> str:
    """The backend used when none is given: $KJUPYTER_BACKEND, then choosers, then local.

    The built-in last chooser picks kubernetes when a worker image is configured or the
    kernel runs in a pod; everywhere else the embedded local backend runs.
    """
    named = os.environ.get("KJUPYTER_BACKEND")
    if named:
        return named
    for chooser in [*_CHOOSERS, kubernetes_configured]:
        choice = chooser()
        if choice:
            return choice
    return "local"
