"""Warm pools: workers started lazily, reused across cells, shut down at exit.

One pool per backend name and options. Workers are started only when a run needs them and stay
up between runs; `shutdown_all` (registered with atexit, and as a closer of the magics) stops
every worker this process started. A backend with a `pool_idle` attribute (seconds) gets its
idle workers stopped after that long without a run: the pool scales to zero by itself.
"""

from __future__ import annotations

import atexit
import contextlib
import sys
import threading
import time
from typing import Any

from kjupyter.errors import BackendError, KjupyterError
from kjupyter.run import backends, messages
from kjupyter.run.backends import Backend, Worker


class Pool:
    """The live workers of one backend."""

    def __init__(self, backend: Backend, session: backends.Session) -> None:
        self.backend = backend
        self.session = session
        self.workers: list[Worker] = []
        self._lock = threading.Lock()
        self._heartbeat: threading.Thread | None = None
        self._closed = threading.Event()
        self._starting = 0  # backend.start calls in progress
        self.last_used = time.monotonic()

    def acquire(self, count: int) -> list[Worker]:
        """`count` workers, starting the missing ones (they say hello to the engine later)."""
        self.prestart(count)
        self._start_heartbeat()
        with self._lock:
            ready = sorted(self.workers, key=lambda w: not w.ready)
        return ready[:count]

    def prestart(self, count: int) -> None:
        """Start missing workers now, so they boot while the caller prepares the job."""
        with self._lock:
            self.last_used = time.monotonic()
            self.workers = [w for w in self.workers if not w.dead]
            missing = count - len(self.workers)
        if missing > 0:
            self.spawn(missing)

    def spawn(self, count: int = 1) -> list[Worker]:
        """Start `count` more workers (replacements for dead ones)."""
        with self._lock:
            self._starting += 1  # the idle reaper leaves a pool alone while it grows
        try:
            fresh = self.backend.start(count, self.session)
        finally:
            with self._lock:
                self._starting -= 1
                self.last_used = time.monotonic()
        with self._lock:
            closed = self._closed.is_set()
            if not closed:
                self.workers.extend(fresh)
        if closed:  # a background replacement that finished after `close`: stop it
            for worker in fresh:
                self.discard(worker)
            return []
        return fresh

    def discard(self, worker: Worker, *, force: bool = True) -> None:
        """Remove a worker that died or would not stop, and make sure it is gone."""
        worker.dead = True
        with contextlib.suppress(ValueError):
            self.workers.remove(worker)
        worker.channel.abort()
        with contextlib.suppress(Exception):
            self.backend.stop(worker, force=force)

    def close(self) -> None:
        """Say goodbye to every worker, then stop them (killing those that linger).

        Every worker is stopped even when some stops are refused (a delete the cluster
        forbids); the refusals are raised afterwards as one `BackendError`.
        """
        with self._lock:
            self._closed.set()
            workers, self.workers = self.workers, []
        for worker in workers:
            with contextlib.suppress(Exception):
                worker.channel.send(messages.BYE)
        refused: list[str] = []
        for worker in workers:
            worker.dead = True
            try:
                self.backend.stop(worker, force=False)
            except KjupyterError as err:
                refused.append(str(err))
        try:
            self.backend.close()
        except KjupyterError as err:
            refused.append(str(err))
        if refused:
            raise BackendError("; ".join(refused))

    def _reap_if_idle(self) -> None:
        """Stop every worker when none ran anything for the backend's `pool_idle` seconds."""
        idle = getattr(self.backend, "pool_idle", None)
        if idle is None or not self.workers:
            return
        with self._lock:
            if self._starting or any(w.inflight for w in self.workers):
                self.last_used = time.monotonic()
                return
            if time.monotonic() - self.last_used < idle:
                return
            workers, self.workers = self.workers, []
        for worker in workers:
            worker.dead = True
            with contextlib.suppress(Exception):
                worker.channel.send(messages.BYE)
            with contextlib.suppress(Exception):
                self.backend.stop(worker, force=False)

    def _start_heartbeat(self) -> None:
        interval = self.backend.heartbeat
        if interval is None or self._heartbeat is not None:
            return

        def beat() -> None:
            while not self._closed.wait(interval):
                self._reap_if_idle()
                for worker in list(self.workers):
                    if worker.ready and not worker.dead:
                        with contextlib.suppress(Exception):
                            worker.channel.send(messages.PING)

        self._heartbeat = threading.Thread(target=beat, name="kjupyter-heartbeat", daemon=True)
        self._heartbeat.start()


#: (backend name, `options_key(options)`): what a pool is found by
PoolKey = tuple[str, tuple[tuple[str, Any], ...]]
_POOLS: dict[PoolKey, Pool] = {}
_atexit_registered = False


def get_pool(name: str | None = None, **options: Any) -> Pool:
    """The pool of backend `name` (the default backend when None) with these options."""
    global _atexit_registered
    name = name or backends.default_name()
    key = (name, options_key(options))
    pool = _POOLS.get(key)
    if pool is None:
        pool = _POOLS[key] = Pool(backends.create(name, **options), backends.current_session())
        if not _atexit_registered:
            atexit.register(_shutdown_at_exit)
            _atexit_registered = True
    return pool


def pools() -> list[tuple[PoolKey, Pool]]:
    """Every pool held now, with its key (a copy: the caller may close or forget them)."""
    return list(_POOLS.items())


def options_key(options: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The hashable form of a pool's options (None values dropped, as `get_pool` does)."""
    return tuple(sorted((k, _freeze(v)) for k, v in options.items() if v is not None))


def forget(key: PoolKey) -> Pool | None:
    """Stop holding the pool of `key` (without closing it); the pool, or None if none was held."""
    return _POOLS.pop(key, None)


def _freeze(value: Any) -> Any:
    """A hashable stand-in for an option value (dicts and lists become sorted tuples)."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple, set)):
        return tuple(_freeze(v) for v in value)
    return value


def shutdown_all() -> None:
    """Stop every worker of every pool (kernel exit, `%unload_ext kjupyter`, tests).

    Every pool is closed; what the cluster refused is raised afterwards, in one error.
    """
    refused: list[str] = []
    while _POOLS:
        _, pool = _POOLS.popitem()
        try:
            pool.close()
        except KjupyterError as err:
            refused.append(str(err))
    if refused:
        raise BackendError("; ".join(refused))


def _shutdown_at_exit() -> None:
    """`shutdown_all` at interpreter exit: refusals as one line on stderr, no traceback."""
    try:
        shutdown_all()
    except KjupyterError as err:
        print(f"kjupyter: at exit, {err}", file=sys.stderr)
