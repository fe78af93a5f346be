"""The cluster as a tree for the mouse: one anywidget model, JSON state, a small ES module.

The browser holds no cluster logic: it draws `nodes` (path → name, directory?, children) and
sends `expand`, `collapse`, `select` and `action` messages; Python answers by updating the
traits. Children load lazily, on first expand, through `Cluster.children` — the same call tab
completion uses. One model for the whole tree keeps thousands of nodes fast, where one widget per
node takes seconds.
"""

from __future__ import annotations

import pathlib
import threading
from collections.abc import Callable
from typing import Any

import anywidget
import traitlets

from kjupyter.cluster.paths import POD_OWNERS
from kjupyter.errors import KjupyterError
from kjupyter.widgets import tree_actions, tree_rights, tree_state, tree_streams, tree_watch

HERE = pathlib.Path(__file__).parent


class TreeBrowser(anywidget.AnyWidget):
    """Browse a `Cluster` as a tree: expand, select, look (cat, describe, logs), act."""

    _esm = HERE / "tree.js"
    _css = HERE / "tree.css"

    root = traitlets.Unicode("/").tag(sync=True)
    nodes = traitlets.Dict().tag(sync=True)
    expanded = traitlets.List(traitlets.Unicode()).tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)
    actions = traitlets.List(traitlets.Unicode()).tag(sync=True)
    denied = traitlets.Dict().tag(sync=True)  # action -> "needs VERB on RESOURCE"
    containers = traitlets.List(traitlets.Unicode()).tag(sync=True)  # a pod's, for logs
    contexts = traitlets.List(traitlets.Unicode()).tag(sync=True)  # of the kubeconfig
    context = traitlets.Unicode("").tag(sync=True)
    namespaces = traitlets.List(traitlets.Unicode()).tag(sync=True)  # those one may list
    namespace = traitlets.Unicode("").tag(sync=True)  # the root's ("" at /)
    detail = traitlets.Dict().tag(sync=True)
    replicas = traitlets.Int(None, allow_none=True).tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    height = traitlets.Int(420).tag(sync=True)
    live = traitlets.Bool(True).tag(sync=True)  # open collections follow the cluster

    def __init__(self, cluster: Any, root: str = "/", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lock = threading.RLock()  # watch threads and the kernel both change `nodes`
        self._watches: dict[str, tree_watch.DirectoryWatch] = {}
        self._stream: tree_streams.Stream | None = None  # a followed log or a running exec
        self.on_msg(self._on_message)
        self._open(cluster, root)

    def _open(self, cluster: Any, root: str) -> None:
        """Start over on `cluster` at `root`: what was open, selected or watched goes."""
        self._let_go()
        for watch in self._watches.values():
            watch.stop()
        self._watches.clear()
        self.cluster = cluster
        self.rights = tree_rights.Rights(cluster)  # one rules review per namespace, cached
        with self.hold_sync():
            self.root = cluster.resolve(root).path
            self.nodes = {self.root: _node(self.root, is_dir=True)}
            self.expanded, self.selected, self.actions, self.detail = [], "", [], {}
            self.denied, self.containers, self.error, self.status = {}, [], "", ""
            self.contexts = list(getattr(cluster.connection, "contexts", []) or [])
            self.context = str(cluster.context or "")
            here = cluster.resolve(self.root).namespace
            self.namespace = str(here or "")
            try:  # who may not list namespaces still gets the one it is in
                names = cluster.children("/namespaces")
            except KjupyterError:
                names = []
            listed = sorted(n.rstrip("/") for n in names)
            self.namespaces = listed if not here or here in listed else [here, *listed]
        self.expand(self.root)

    # -- contexts and namespaces at the top ---------------------------------------------------

    def use_context(self, context: str) -> None:
        """Browse another context of the kubeconfig (at its default namespace when the tree
        was in a namespace, at / otherwise)."""
        fresh = self._guard(lambda: self.cluster.use(context))
        if fresh is not None:
            self._open(fresh, f"/namespaces/{fresh.home}" if self.namespace else "/")

    def use_namespace(self, namespace: str) -> None:
        """Browse another namespace (of the same context)."""
        self._open(self.cluster, f"/namespaces/{namespace}" if namespace else "/")

    # -- what the browser asks for (also the Python API tests call) -------------------------

    def expand(self, path: str) -> list[str]:
        """Load the children of `path` (first time only) and open it.

        A load that fails leaves the directory closed with the error on its row, so it does
        not read as empty, and the next tap tries again.
        """
        children = self.nodes.get(path, {}).get("children")
        if children is None:
            children = self._load(path)
            if children is None:
                return []
        if path not in self.expanded:
            self.expanded = [*self.expanded, path]
        self._watch(path)
        return children

    def collapse(self, path: str) -> None:
        self.expanded = [p for p in self.expanded if p != path and not p.startswith(path)]
        for watched in [p for p in self._watches if p == path or p.startswith(path + "/")]:
            self._watches.pop(watched).stop()

    def close(self) -> None:
        """Stop every watch and stream, then close the widget."""
        self._let_go()
        for watch in self._watches.values():
            watch.stop()
        self._watches.clear()
        super().close()

    def refresh(self, path: str | None = None) -> None:
        """Reload the children of `path` (default: the selected node's directory)."""
        path = path or self._directory_of(self.selected or self.root)
        self.rights.refresh()  # rights may have changed too: ask again
        self._load(path)

    def select(self, path: str) -> list[str]:
        """Make `path` the selection; return the actions it offers.

        What the detail pane showed belongs to the previous selection, so it goes; a scalable
        object brings its current replica count for the scale control.
        """
        self.selected = path
        if self.detail.get("path") != path:
            self._let_go()  # a log followed or a command run belongs to the previous selection
            self.detail = {}
        actions = self._guard(lambda: tree_actions.available(self.cluster, path)) or []
        self.replicas = (
            self._guard(lambda: tree_actions.replicas(self.cluster, path))
            if "scale" in actions
            else None
        )
        denied = self._guard(lambda: self.rights.denied(path, actions)) or {}
        names = (
            self._guard(lambda: tree_actions.containers(self.cluster, path)) or []
            if any(a in actions and a not in denied for a in ("logs", "exec"))
            else []
        )
        with self.hold_sync():  # the buttons, their rights and the containers arrive together
            self.denied, self.containers, self.actions = denied, names, actions
        return list(self.actions)

    def act(self, action: str, path: str | None = None, argument: Any = None) -> None:
        """Run `action` on `path` (default: the selection); the outcome lands in `detail`."""
        path = path or self.selected
        if path == self.selected and action in self.denied:  # the button was disabled: say why
            self.error = f"{action}: {self.denied[action]}"
            return
        options = argument if isinstance(argument, dict) else {}
        if action == "exec" or (action == "logs" and options.get("follow")):
            self._stream_into_detail(action, path, options)
            return
        self._let_go()  # the detail pane gets something else
        outcome = self._guard(lambda: tree_actions.perform(self.cluster, action, path, argument))
        if outcome is None:
            return
        if action == "scale" and self.selected == path:
            self.replicas = self._guard(lambda: tree_actions.replicas(self.cluster, path))
        if outcome.refresh_parent:
            self._load(path.rstrip("/").rsplit("/", 1)[0] or "/")  # a failure shows on its row
            if self.selected == path:
                self.selected, self.actions = "", []
        self.detail = {
            "path": path,
            "action": action,
            "text": outcome.text,
            "html": outcome.html,
            "options": argument if action == "logs" and isinstance(argument, dict) else {},
        }
        self.status = outcome.status

    def stop(self) -> None:
        """Stop the detail pane's stream: a followed log ends at once; a running command is
        signalled in its pod, and the pane says "stopping…" until it has really ended."""
        stream = self._stream
        if stream is None:
            return
        stream.stop()
        with self._lock:
            if self._stream is not stream:  # it ended meanwhile, its last word said
                return
            if stream.ends_later:
                if self.detail.get("running"):
                    self.detail = {**self.detail, "stopping": True}
                    self.status = f"{self.detail.get('action')} {self.detail.get('path')}: stopping"
                return
            self._stream = None
            if self.detail.get("running"):
                self.detail = {
                    **self.detail, "text": stream.text, "running": False, "ended": "stopped"
                }  # fmt: skip
                self.status = f"{self.detail.get('action')} {self.detail.get('path')}: stopped"

    def _let_go(self) -> None:
        """The pane gets something else: its stream is stopped and no longer heard."""
        self.stop()
        self._stream = None

    def _stream_into_detail(self, action: str, path: str, options: dict[str, Any]) -> None:
        """Follow the log at `path`, or run the exec box's command there, into the detail."""
        if action not in (self._guard(lambda: tree_actions.available(self.cluster, path)) or []):
            self.status = f"{action} is not available on {path}"
            return
        make = tree_streams.follow_logs if action == "logs" else tree_streams.run_command
        work = self._guard(lambda: make(self.cluster, path, options))
        if work is None:
            return
        self._let_go()
        shown = {k: v for k, v in options.items() if k in ("container", "timestamps", "command")}
        stream = tree_streams.Stream(lambda text, ended: self._streamed(stream, text, ended))
        self._stream = stream
        with self._lock:
            self.detail = {
                "path": path, "action": action, "text": "", "html": "", "options": shown,
                "running": True, "ended": "", "failed": False,
                "following": action == "logs",
            }  # fmt: skip
            doing = (
                "following the log of" if action == "logs" else f"running {shown['command']!r} in"
            )
            self.status = f"{doing} {path}"
        stream.start(work, name=f"kj-{action} {path}")

    def _streamed(self, stream: tree_streams.Stream, text: str, ended: str | None) -> None:
        """What a stream brought: drawn only while it is the pane's (not after a new selection)."""
        with self._lock:
            if self._stream is not stream:
                return
            if ended is not None:
                self._stream = None
            detail = {**self.detail, "text": text}
            if ended is not None:
                detail.update(running=False, stopping=False, ended=ended, failed=stream.failed)
                self.status = f"{detail['action']} {detail['path']}: {ended}"
            self.detail = detail

    # -- plumbing ----------------------------------------------------------------------------

    def _load(self, path: str) -> list[str] | None:
        """Fetch the children of `path` into `nodes`; None, the error on its row, if it fails."""
        names = self._guard(lambda: self.cluster.children(path))
        with self._lock:
            if names is None:
                if path in self.nodes:
                    self.nodes = {**self.nodes, path: {**self.nodes[path], "error": self.error}}
                return None
            return self._set_children(path, names)

    def _set_children(self, path: str, names: list[str], quiet: bool = False) -> list[str]:
        nodes = dict(self.nodes)
        base = path.rstrip("/")
        kids = []
        for name in names:
            is_dir = name.endswith("/")
            child = f"{base}/{name.rstrip('/')}"
            kids.append(child)
            known = nodes.get(child)
            nodes[child] = known if known and known["dir"] == is_dir else _node(child, is_dir)
        for gone in set(nodes.get(path, {}).get("children") or []) - set(kids):
            nodes = {p: n for p, n in nodes.items() if p != gone and not p.startswith(gone + "/")}
        nodes[path] = {**nodes.get(path, _node(path, True)), "children": kids, "error": ""}
        self.nodes = nodes
        if not quiet:
            self.status = f"{path}: {len(kids)} entries"
        return kids

    # -- live directories ---------------------------------------------------------------------

    def _watch(self, path: str) -> None:
        """Follow the collection at `path` while it is open (a no-op for other directories)."""
        if not self.live or path in self._watches:
            return
        location = self._guard(lambda: self.cluster.resolve(path))
        if location is None or not tree_watch.watchable(location):
            return
        kind = location.kind
        is_dir = kind.plural in ("pods", "namespaces") or (kind.group, kind.plural) in POD_OWNERS
        self._watches[path] = tree_watch.DirectoryWatch(
            self.cluster,
            location,
            on_event=lambda event, obj: self._changed(path, event, obj, kind.kind, is_dir),
            on_listing=lambda objects: self._listed(path, objects, kind.kind, is_dir),
        )

    def _listed(self, path: str, objects: list[dict], kind: str, is_dir: bool) -> None:
        """A full list of the open collection `path`: its children and their states."""
        with self._lock:
            if path not in self._watches:
                return
            self._set_children(path, sorted(_entry(obj, is_dir) for obj in objects), quiet=True)
            base = path.rstrip("/")
            nodes = dict(self.nodes)
            for obj in objects:
                child = f"{base}/{_entry(obj, is_dir).rstrip('/')}"
                nodes[child] = {**nodes[child], "state": _state(obj, kind)}
            self.nodes = nodes

    def _changed(self, path: str, event: str, obj: dict, kind: str, is_dir: bool) -> None:
        """One object of the open collection `path` was added, changed or deleted."""
        with self._lock:
            if path not in self._watches or self.nodes.get(path, {}).get("children") is None:
                return
            entry = _entry(obj, is_dir)
            child = f"{path.rstrip('/')}/{entry.rstrip('/')}"
            children = self.nodes[path]["children"]
            names = [_entry_of(self.nodes[k], k) for k in children]
            if event == "DELETED":
                if child in children:
                    self._set_children(path, [n for n in names if n != entry], quiet=True)
                return
            if child not in children:
                self._set_children(path, sorted([*names, entry]), quiet=True)
            self.nodes = {**self.nodes, child: {**self.nodes[child], "state": _state(obj, kind)}}

    def _directory_of(self, path: str) -> str:
        node = self.nodes.get(path)
        return path if node and node["dir"] else path.rsplit("/", 1)[0] or "/"

    def _guard(self, call: Callable[[], Any]) -> Any:
        """Run a cluster call; a kjupyter error becomes the one-line `error` trait."""
        try:
            result = call()
        except KjupyterError as err:
            self.error = str(err)
            return None
        self.error = ""
        return result

    def _on_message(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        kind, path = content.get("type"), str(content.get("path", ""))
        if kind == "expand":
            self.expand(path)
        elif kind == "collapse":
            self.collapse(path)
        elif kind == "select":
            self.select(path)
        elif kind == "refresh":
            self.refresh(path or None)
        elif kind == "context":
            self.use_context(str(content.get("context", "")))
        elif kind == "namespace":
            self.use_namespace(str(content.get("namespace", "")))
        elif kind == "action":
            self.act(str(content.get("action", "")), path or None, content.get("argument"))
        elif kind == "stop":
            self.stop()


def _entry(obj: dict[str, Any], is_dir: bool) -> str:
    name = (obj.get("metadata") or {}).get("name", "")
    return f"{name}/" if is_dir else name


def _entry_of(node: dict[str, Any], path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return f"{name}/" if node["dir"] else name


def _state(obj: dict[str, Any], kind: str) -> dict[str, str] | None:
    # list items carry no kind of their own; the collection's kind is theirs
    return tree_state.object_state({**obj, "kind": kind})


def _node(path: str, is_dir: bool) -> dict[str, Any]:
    name = path.rstrip("/").rsplit("/", 1)[-1] or "/"
    return {"name": name, "dir": is_dir, "children": None}
