"""The units dashboard: the dependency graph with live states; tap a unit, look, act in order.

One anywidget model, as the tree. Python keeps the state: `units` (the graph, from
`units_state.nodes`), `selected`, `detail` (status rows, chain, recent events), `armed` (the
plan a first tap on start/stop/restart shows; a second tap carries it out) and `steps` (each
unit's turn as it begins and ends, so the order is seen happening). The workloads are watched
(`tree_watch.DirectoryWatch`), so states change on the graph without a refresh.
"""

from __future__ import annotations

import pathlib
import threading
from typing import Any

import anywidget
import traitlets

from kjupyter.errors import KjupyterError
from kjupyter.widgets import tree_watch, units_state

HERE = pathlib.Path(__file__).parent
VERBS = ("start", "stop", "restart")
EVENTS = 6  # recent events shown for the selected unit


class UnitsDashboard(anywidget.AnyWidget):
    """The units of one namespace as a graph; start, stop, restart in dependency order."""

    _esm = HERE / "units.js"
    _css = HERE / "units.css"

    namespace = traitlets.Unicode("").tag(sync=True)
    units = traitlets.List(traitlets.Dict()).tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)
    detail = traitlets.Dict().tag(sync=True)
    armed = traitlets.Dict().tag(sync=True)  # {verb, unit, question} while a plan waits
    # [{unit, what}] of the running or last action
    steps = traitlets.List(traitlets.Dict()).tag(sync=True)
    busy = traitlets.Bool(False).tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(self, cluster: Any, namespace: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cluster = cluster
        self.namespace = namespace or str(cluster.namespace)
        self._lock = threading.RLock()
        self._watches: list[tree_watch.DirectoryWatch] = []
        self.refresh()
        self.on_msg(self._on_message)
        for plural in ("deployments", "statefulsets"):
            location = cluster.resolve(f"/namespaces/{self.namespace}/{plural}")
            if tree_watch.watchable(location):
                self._watches.append(
                    tree_watch.DirectoryWatch(
                        cluster, location, lambda kind, obj: self.refresh(), self._listed
                    )
                )

    # -- the Python API the browser's taps call (tests call it too) --------------------------
    def refresh(self) -> None:
        """Read the units again (after a watch event, or when asked)."""
        from kjupyter.units import workloads

        try:
            found = workloads.all_units(self.cluster, self.namespace)
        except KjupyterError as err:
            self.error = str(err)
            return
        with self._lock:
            self.units = units_state.nodes(found)

    def select(self, ref: str) -> None:
        """Show the unit's status, critical chain and recent events."""
        self.selected, self.armed = ref, {}
        path = f"/namespaces/{self.namespace}/{ref}"
        detail: dict[str, Any] = {"unit": ref}
        try:
            from kjupyter.units import chain, control

            status = control.status(self.cluster, path)
            detail["status"] = [
                {"unit": unit, **{k: _plain(v) for k, v in row.items()}}
                for unit, row in status.to_dict("index").items()
            ]
            detail["chain"] = str(chain.critical_chain(self.cluster, path, depth=1))
            events = self.cluster.events(path)
            detail["events"] = [
                " ".join(str(row[c]) for c in ("Type", "Reason", "Message") if c in row)
                for row in events.tail(EVENTS).to_dict("records")
            ] if len(events) else []  # fmt: skip
        except KjupyterError as err:
            detail["error"] = str(err)
        if self.selected == ref:
            self.detail = detail

    def arm(self, verb: str) -> None:
        """First tap: compute the plan (which changes nothing) and ask to confirm it."""
        from kjupyter.units import overview

        if verb not in VERBS or not self.selected:
            self.error = f"{verb}: select a unit first"
            return
        try:
            plan = overview.plan(
                self.cluster, verb, f"/namespaces/{self.namespace}/{self.selected}"
            )
        except KjupyterError as err:
            self.armed, self.error = {}, str(err)
            return
        question = units_state.plan_text(verb, plan)
        self.armed = {"verb": verb, "unit": self.selected, "question": question}

    def cancel(self) -> None:
        self.armed = {}

    def confirm(self, wait: bool = False) -> threading.Thread | None:
        """Second tap: carry out the armed plan in a thread; `steps` shows each turn."""
        armed = dict(self.armed)
        if not armed or self.busy:
            return None
        self.armed, self.steps, self.busy, self.error = {}, [], True, ""
        worker = threading.Thread(target=self._act, args=(armed,), daemon=True)
        worker.start()
        if wait:
            worker.join()
        return worker

    def close(self) -> None:
        for watch in self._watches:
            watch.stop()
        super().close()

    # -- inside --------------------------------------------------------------------------------
    def _act(self, armed: dict[str, Any]) -> None:
        from kjupyter.units import control

        path = f"/namespaces/{self.namespace}/{armed['unit']}"
        try:
            if armed["verb"] == "stop":
                control.stop(self.cluster, path, on_step=self._step)
            else:
                act = control.start if armed["verb"] == "start" else control.restart
                act(self.cluster, path, live=_quiet, on_step=self._step)
        except KjupyterError as err:
            self.error = str(err)
        finally:
            self.busy = False
            self.refresh()
            if self.selected:  # its status and chain as they are now
                self.select(self.selected)

    def _step(self, ref: str, what: str) -> None:
        with self._lock:
            self.steps = [*self.steps, {"unit": ref, "what": what}]
        self.refresh()

    def _listed(self, objects: list[dict[str, Any]]) -> None:
        self.refresh()

    def _on_message(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        kind = content.get("type")
        if kind == "select":
            self.error = ""
            self.select(str(content.get("unit", "")))
        elif kind == "arm":
            self.arm(str(content.get("verb", "")))
        elif kind == "cancel":
            self.cancel()
        elif kind == "confirm":
            self.confirm()


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _quiet(line: str) -> None:
    """The dashboard shows steps; the live pod line would draw into whatever cell runs."""
