"""One watch on a backend's pods: start-up waits, death notices and the pod timeline.

Everything the backend needs to know about its pods arrives on a single watch (label
selector of the backend), in a daemon thread: `wait_started` blocks on a condition until each
pod runs or shows why it cannot (ErrImageNeverPull, Unschedulable, ...), and a pod that is
deleted, evicted or ends while the engine uses it is reported through `on_gone` at once, so
the engine retries its tasks without waiting for a TCP timeout. The times at which each phase
was first seen (kernel clock, millisecond resolution, unlike the API's whole seconds) feed
`kjupyter.run.kubernetes_timeline`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kjupyter.cluster import watching
from kjupyter.cluster.connection import Connection
from kjupyter.errors import KjupyterError

#: container waiting reasons that will not resolve by waiting
FATAL_WAITING = {
    "ErrImageNeverPull",
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
    "CrashLoopBackOff",  # only pods that restart (units) show it; worker pods never restart
}
WATCH_SECONDS = 240  # server-side timeout of one watch request; it is then renewed
#: what a starting pod shows, in the order pods go through it (the live start line's counts)
START_PHASES = ("created", "scheduled", "pulling", "running")


@dataclass
class PodState:
    """The last seen state of one pod and when each phase was first seen (epoch seconds)."""

    name: str
    pod: dict[str, Any] = field(default_factory=dict)
    seen: dict[str, float] = field(default_factory=dict)
    gone: str = ""  # why the pod is over ("" while it lives)

    @property
    def ip(self) -> str:
        return str(self.pod.get("status", {}).get("podIP") or "")

    @property
    def node(self) -> str:
        return str(self.pod.get("spec", {}).get("nodeName") or "")

    @property
    def phase(self) -> str:
        return str(self.pod.get("status", {}).get("phase") or "Pending")

    def running(self) -> bool:
        return self.phase == "Running" and bool(self.ip)


def problem(pod: dict[str, Any]) -> tuple[str, bool]:
    """(Kubernetes' reason a pod is not running, fatal?) or ("", False) when none shows."""
    status = pod.get("status") or {}
    for container in status.get("containerStatuses") or []:
        state = container.get("state") or {}
        waiting = state.get("waiting") or {}
        if waiting.get("reason") in FATAL_WAITING:
            message = waiting.get("message") or ""
            return f"{waiting['reason']}: {message}".rstrip(": "), True
        terminated = state.get("terminated")
        if terminated:
            return exit_reason(terminated), True
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
            reason = condition.get("reason") or "Unschedulable"
            return f"{reason}: {condition.get('message', '')}".rstrip(": "), False
    if status.get("phase") in ("Failed", "Succeeded"):
        reason = status.get("reason") or status.get("phase")
        return f"{reason}: {status.get('message', '')}".rstrip(": "), True
    return "", False


def start_phase(pod: dict[str, Any]) -> str:
    """Where a starting pod is: created, scheduled, pulling (sandbox and image), running.

    "running" means what the backend and units wait for next: a container runs (readiness
    is counted apart by those who need it). A pod not yet seen by any event is "created".
    """
    status = pod.get("status") or {}
    containers = status.get("containerStatuses") or []
    if status.get("phase") == "Running" and any(
        (c.get("state") or {}).get("running") for c in containers
    ):
        return "running"
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    if conditions.get("PodScheduled") != "True":
        return "created"
    if conditions.get("PodReadyToStartContainers") == "True" or containers:
        return "pulling"
    return "scheduled"


def start_counts(pods: list[dict[str, Any]]) -> dict[str, int]:
    """How many of `pods` are in each of START_PHASES (every phase present, zeros too)."""
    counts = dict.fromkeys(START_PHASES, 0)
    for pod in pods:
        counts[start_phase(pod)] += 1
    return counts


def stuck_reason(pod: dict[str, Any]) -> str:
    """Why a workload's pod will not start however long one waits, or "".

    Unlike `problem`, a container that ended is not final (a workload's pods restart), but
    the kubelet's verdict on it is (CrashLoopBackOff, with how it last ended); a pod the
    scheduler cannot place says the scheduler's message.
    """
    status = pod.get("status") or {}
    for container in status.get("containerStatuses") or []:
        waiting = (container.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in FATAL_WAITING:
            text = f"{waiting['reason']}: {waiting.get('message') or ''}".rstrip(": ")
            last = (container.get("lastState") or {}).get("terminated")
            return text + (f" (it last ended: {exit_reason(last)})" if last else "")
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("reason") == "Unschedulable":
            return f"Unschedulable: {condition.get('message', '')}".rstrip(": ")
    return ""


def is_ready(pod: dict[str, Any]) -> bool:
    """The pod's Ready condition is True."""
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def exit_reason(terminated: dict[str, Any]) -> str:
    """`exit code 1 (Error)`, `OOMKilled (exit code 137)` ..."""
    code, reason = terminated.get("exitCode"), terminated.get("reason") or ""
    if reason and reason not in ("Error", "Completed"):
        return f"{reason} (exit code {code})"
    if isinstance(code, int) and code > 128:  # the shell's convention: 128 + signal number
        return f"killed by signal {code - 128} (exit code {code})"
    return f"exit code {code}" + (f" ({reason})" if reason else "")


def terminated_state(pod: dict[str, Any]) -> dict[str, Any] | None:
    """The first container's terminated state, once the kubelet has posted it."""
    for container in (pod.get("status") or {}).get("containerStatuses") or []:
        terminated = (container.get("state") or {}).get("terminated")
        if terminated:
            return dict(terminated)
    return None


def _first_seen(state: PodState, now: float) -> None:
    pod, seen = state.pod, state.seen
    status = pod.get("status") or {}
    for condition in status.get("conditions") or []:
        if condition.get("status") != "True":
            continue
        phase = {
            "PodScheduled": "scheduled",
            "PodReadyToStartContainers": "sandbox ready",
            "Ready": "pod ready",
        }.get(condition.get("type", ""))
        if phase:
            seen.setdefault(phase, now)
    for container in status.get("containerStatuses") or []:
        if container.get("imageID"):
            seen.setdefault("image ready", now)
        if (container.get("state") or {}).get("running"):
            seen.setdefault("image ready", now)
            seen.setdefault("started", now)
    if state.gone:
        seen.setdefault("ended", now)


class PodWatcher:
    """Follows the pods matching `selector` in `namespace` until `stop`."""

    def __init__(
        self,
        conn: Connection,
        namespace: str,
        selector: str,
        on_gone: Callable[[str, str], None],
    ) -> None:
        self.conn = conn
        self.namespace = namespace
        self.selector = selector
        self.on_gone = on_gone
        self.states: dict[str, PodState] = {}
        self.cond = threading.Condition()
        self._stopped = threading.Event()
        self._response: Any = None
        self._synced = threading.Event()
        self.error: str = ""
        self._thread = threading.Thread(target=self._run, name="kjupyter-pod-watch", daemon=True)
        self._thread.start()

    # -- the caller's side ------------------------------------------------------------------
    def expect(self, name: str, created: float) -> PodState:
        """Start tracking a pod this backend just created (before its first event)."""
        with self.cond:
            state = self.states.setdefault(name, PodState(name))
            state.seen.setdefault("created", created)
            return state

    def state(self, name: str) -> PodState | None:
        with self.cond:
            return self.states.get(name)

    def wait_ended(self, name: str, timeout: float) -> PodState | None:
        """The pod's state once it shows why it ended (or is gone), or after `timeout`.

        A worker's connection drops the moment its process dies; the kubelet posts the
        container's terminated state (OOMKilled, exit code) a little later. Waiting for it is
        what turns "connection lost" into the reason.
        """
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                state = self.states.get(name)
                if state is not None and (state.gone or terminated_state(state.pod)):
                    return state
                left = deadline - time.monotonic()
                if left <= 0 or self._stopped.is_set():
                    return state
                self.cond.wait(left)

    def wait_started(
        self,
        names: list[str],
        timeout: float,
        on_change: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> dict[str, str]:
        """Wait until every pod runs with an IP, or fails; return {name: reason} of failures.

        A pod still pending at the deadline fails with its last reason (Unschedulable...).
        `on_change(pods as last seen)` is called after each event and once a second (a live
        line of start progress), from the waiting thread; what it raises is ignored.
        """
        deadline = time.monotonic() + timeout
        failures: dict[str, str] = {}
        with self.cond:
            while True:
                pending = []
                for name in names:
                    if name in failures:
                        continue
                    state = self.states.get(name)
                    if state is None or not state.pod:
                        pending.append(name)
                        continue
                    if state.gone:
                        failures[name] = state.gone
                    elif state.running():
                        continue
                    else:
                        reason, fatal = problem(state.pod)
                        if fatal:
                            failures[name] = reason
                        else:
                            pending.append(name)
                if on_change is not None:
                    seen = [self.states[n].pod if n in self.states else {} for n in names]
                    with contextlib.suppress(Exception):
                        on_change(seen)
                left = deadline - time.monotonic()
                if not pending or failures or left <= 0:
                    break
                self.cond.wait(min(left, 1.0))
            for name in pending:
                if name in failures:
                    continue
                state = self.states.get(name)
                reason = problem(state.pod)[0] if state and state.pod else ""
                failures[name] = (
                    f"still {state.phase if state and state.pod else 'not seen'} after "
                    f"{timeout:g} s" + (f" ({reason})" if reason else "")
                )
        return failures

    def wait_synced(self, timeout: float) -> None:
        """Return once the first list is in (every existing pod known); raise if it fails."""
        with self.cond:
            self.cond.wait_for(lambda: self._synced.is_set() or self.error, timeout)
        if not self._synced.is_set():
            raise KjupyterError(f"cannot list pods {self.selector}: {self.error or 'no answer'}")

    def stop(self) -> None:
        self._stopped.set()
        response = self._response
        if response is not None:
            with contextlib.suppress(Exception):
                response.shutdown()

    # -- the watch thread -------------------------------------------------------------------
    def _run(self) -> None:
        path = f"/api/v1/namespaces/{self.namespace}/pods"
        version = ""
        while not self._stopped.is_set():
            try:
                if not version:
                    listing = self.conn.request(
                        "GET", path, query={"labelSelector": self.selector}, action="list pods"
                    )
                    version = listing["metadata"]["resourceVersion"]
                    now = time.time()
                    for pod in listing.get("items") or []:
                        self._update("MODIFIED", pod, now)
                    self._synced.set()
                version = self._watch(path, version)
            except KjupyterError as err:
                with self.cond:
                    self.error = str(err)
                    self.cond.notify_all()
                version = ""
                self._stopped.wait(1.0)
            except Exception as err:  # a dropped stream: resume from the last version
                self.error = f"{type(err).__name__}: {err}"
                self._stopped.wait(0.2)

    def _watch(self, path: str, version: str) -> str:
        query = {
            "labelSelector": self.selector,
            "resourceVersion": version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": str(WATCH_SECONDS),
        }
        try:
            for event in watching.events(
                self.conn, path, query, action="watch pods",
                timeout=(5.0, WATCH_SECONDS + 30), on_open=self._opened,
            ):  # fmt: skip
                if self._stopped.is_set():
                    break
                kind, obj = str(event.get("type")), event.get("object") or {}
                if kind == "ERROR":
                    return ""  # 410 Gone: list again
                version = obj.get("metadata", {}).get("resourceVersion", version)
                if kind != "BOOKMARK":
                    self._update(kind, obj, time.time())
        finally:
            self._response = None
        return version

    def _opened(self, response: Any) -> None:
        self._response = response

    def _update(self, kind: str, pod: dict[str, Any], now: float) -> None:
        name = pod.get("metadata", {}).get("name", "")
        newly_gone = ""
        with self.cond:
            state = self.states.setdefault(name, PodState(name))
            state.pod = pod
            if not state.gone:
                if kind == "DELETED":
                    state.gone = "pod deleted"
                elif pod.get("metadata", {}).get("deletionTimestamp"):
                    state.gone = "pod is being deleted"
                elif (pod.get("status") or {}).get("phase") in ("Failed", "Succeeded"):
                    state.gone = "pod ended: " + problem(pod)[0]
                newly_gone = state.gone
            if kind == "ADDED":  # created under our watch (our own pods are marked at POST)
                state.seen.setdefault("created", now)
            _first_seen(state, now)
            self.cond.notify_all()
        if newly_gone:
            with contextlib.suppress(Exception):
                self.on_gone(name, newly_gone)
