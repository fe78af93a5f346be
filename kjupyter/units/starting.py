"""Watch a unit's pods start: one live line, and the cause at once when they cannot.

`start` and `restart` used to wait on the workload alone, silent for up to their timeout, and
a timeout did not say why. Here the unit's pods are followed with the backend's own pod watch
(`kjupyter.run.k8s.watcher`): the live line counts them per phase, and a pod that will not
start by waiting (ErrImageNeverPull, ImagePullBackOff, CrashLoopBackOff, Unschedulable with
the scheduler's message) ends the wait with that reason, as one line. The workload's own
status is still what says the unit is up (`control`); this only waits for its pods first.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kjupyter.errors import KjupyterError
from kjupyter.run import progress
from kjupyter.run.k8s import watcher as pod_watch
from kjupyter.units.waiting import Timeout

if TYPE_CHECKING:
    from kjupyter.cluster.api import Cluster
    from kjupyter.units.workloads import Unit

SYNC_TIMEOUT = 30.0  # s for the first list of the unit's pods
#: the watch's names for the phases of `kjupyter.units.phases`
WATCHED = {
    "created": "created",
    "scheduled": "scheduled",
    "sandbox ready": "sandbox",
    "started": "started",
    "pod ready": "ready",
}
#: pod uid -> {phase: epoch seconds} seen by a start or restart of this kernel (ms resolution)
SEEN: collections.OrderedDict[str, dict[str, float]] = collections.OrderedDict()
SEEN_LIMIT = 5000


def observed(uid: str) -> dict[str, float]:
    """The phases a start or restart of this kernel saw pod `uid` reach, to the millisecond.

    The API's own timestamps are whole seconds; these are when the watch saw each change.
    """
    return dict(SEEN.get(uid, {}))


class CannotStart(KjupyterError):
    """A unit's pod shows a reason it will not start by waiting (nothing is rolled back)."""


class PodWait:
    """The pods of one unit, watched from before a change (use as a context manager)."""

    def __init__(
        self, cluster: Cluster, unit: Unit, verb: str, live: Callable[[str], None] | None
    ) -> None:
        self.unit = unit
        self.verb = verb
        self.live = live
        self.watcher = pod_watch.PodWatcher(
            cluster.connection, unit.namespace, unit.selector, on_gone=_ignore
        )
        try:
            self.watcher.wait_synced(SYNC_TIMEOUT)
        except BaseException:
            self.watcher.stop()
            raise
        with self.watcher.cond:
            self.before = set(self.watcher.states)  # pods that existed before the change

    def __enter__(self) -> PodWait:
        return self

    def __exit__(self, *exc: object) -> None:
        self.watcher.stop()
        with self.watcher.cond:
            states = [s for n, s in self.watcher.states.items() if n not in self.before]
        for state in states:  # pods this change created: their phases to the millisecond
            uid = str(state.pod.get("metadata", {}).get("uid") or "")
            if uid:
                SEEN[uid] = {WATCHED[k]: v for k, v in state.seen.items() if k in WATCHED}
                while len(SEEN) > SEEN_LIMIT:
                    SEEN.popitem(last=False)

    def wait(self, wanted: int, timeout: float, *, new_only: bool = False) -> None:
        """Until `wanted` pods (not being deleted; only new ones with `new_only`) are ready.

        Raises `CannotStart` when one of them shows why it will not start, `Timeout` (with
        the pods' last state) after `timeout` seconds.
        """
        line = progress.PodStartLine(
            wanted, "pod", self.unit.ref, progress.LiveLine(self.live, progress.DELAY)
        )
        deadline = time.monotonic() + timeout
        try:
            with self.watcher.cond:
                while True:
                    pods = self._pods(new_only)
                    ready = sum(pod_watch.is_ready(pod) for pod in pods.values())
                    stuck = {n: r for n, p in pods.items() if (r := pod_watch.stuck_reason(p))}
                    line.update(list(pods.values()), ready=ready)
                    if stuck:
                        name, reason = next(iter(sorted(stuck.items())))
                        line.finish(False, reason)
                        raise CannotStart(
                            f"{self.verb} {self.unit.ref}: pod {name} cannot start: {reason}"
                            " (nothing was rolled back)"
                        )
                    if ready >= wanted:
                        break
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise Timeout(
                            f"{self.verb} {self.unit.ref}: not done after {timeout:g} s, "
                            f"{ready} of {wanted} pods ready ({_states(pods)}); "
                            "nothing was rolled back"
                        )
                    self.watcher.cond.wait(min(left, 1.0))
        except Timeout as err:
            line.finish(False, str(err).split(": ", 1)[-1])
            raise
        except BaseException:  # an interrupt, a lost API server: end the line, say nothing
            line.line.close()
            raise
        line.finish(True)

    def _pods(self, new_only: bool) -> dict[str, dict[str, Any]]:
        return {
            name: state.pod
            for name, state in sorted(self.watcher.states.items())
            if state.pod and not state.gone and not (new_only and name in self.before)
        }


def _states(pods: dict[str, dict[str, Any]]) -> str:
    if not pods:
        return "no pod created yet"
    counts = pod_watch.start_counts(list(pods.values()))
    return ", ".join(f"{n} {phase}" for phase, n in counts.items() if n)


def _ignore(name: str, reason: str) -> None:
    """A unit's pods that go are the workload's business, not ours."""
