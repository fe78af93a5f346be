"""`port-forward`: a local port that reaches a pod's port, as `kubectl port-forward`, kept
until stopped.

A listener on 127.0.0.1 accepts connections; each one gets its own tunnel through the API
server's port-forward (made by `connect(api_client, namespace, pod, port)`, which returns an
object with a connected `socket` and `close()`: `kjupyter.cluster.portforward.PortForward`,
the tunnel the run backend uses too, unless the caller hands in another) and the two sockets
are spliced until either side closes. A workload or service stands for the pod kubectl picks;
a service's port is its targetPort on that pod, and a named port is looked up in the pod's
containers, as kubectl does.
"""

from __future__ import annotations

import contextlib
import itertools
import select
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kjupyter.cluster.operations import getting, picking
from kjupyter.cluster.paths import Level, Location
from kjupyter.errors import BadArgument, BadPath, KjupyterError

if TYPE_CHECKING:
    from kjupyter.cluster.handle import ClusterHandle as Cluster

Connect = Callable[[Any, str, str, int], Any]
_ids = itertools.count(1)
SAME = -1  # a local port to be the pod port a name resolves to


def parse_ports(specs: Sequence[str | int]) -> list[tuple[int, str]]:
    """`8080:80`, `80` (the same port here), `:80` (any free port here) as (local, remote);
    a named remote alone (`http`) is listened on at the number it names (local `SAME`)."""
    if isinstance(specs, str | int):
        specs = [specs]
    if not specs:
        raise BadArgument("port-forward needs ports: LOCAL:REMOTE (8080:80), REMOTE, or :REMOTE")
    found = []
    for spec in specs:
        local, colon, remote = str(spec).rpartition(":")
        if not colon:  # `80`: the same port here; `http`: the number it names, here too
            local = remote if remote.isdigit() else str(SAME)
        local = local or "0"
        given = local == str(SAME) and not colon
        if not (given or local.isdigit()) or not SAME <= int(local) <= 65535 or not remote:
            raise BadArgument(
                f"port-forward: {spec!r} is not LOCAL:REMOTE (8080:80, 80 or :80); a local "
                "port is 0-65535"
            )
        if remote.isdigit() and not 0 < int(remote) <= 65535:
            raise BadArgument(f"port-forward: remote port {remote} is not 1-65535")
        found.append((int(local), remote))
    return found


def _container_port(pod: dict[str, Any], port: str | int, path: str) -> int:
    """A numbered port as it is; a named one looked up in the pod's containers."""
    if isinstance(port, int) or str(port).isdigit():
        return int(port)
    for container in (pod.get("spec") or {}).get("containers") or []:
        for declared in container.get("ports") or []:
            if declared.get("name") == port:
                return int(declared["containerPort"])
    raise BadArgument(f"port-forward: {path} has no container port named {port!r}")


def _service_port(service: dict[str, Any], remote: str, path: str) -> str | int:
    """kubectl's rule: the service port (number or name) maps to its targetPort."""
    for declared in (service.get("spec") or {}).get("ports") or []:
        if str(declared.get("port")) == remote or declared.get("name") == remote:
            return declared.get("targetPort") or declared["port"]
    known = ", ".join(str(p.get("port")) for p in (service.get("spec") or {}).get("ports") or [])
    raise BadArgument(f"port-forward: {path} has no port {remote} (its ports: {known or 'none'})")


@dataclass
class Forward:
    """One `port-forward`: local ports on 127.0.0.1 reaching `pod`'s ports until `stop()`."""

    id: int
    target: str
    namespace: str
    pod: str
    ports: list[tuple[int, int]]  # (local, pod port)
    errors: list[str] = field(default_factory=list)
    connections: int = 0
    _listeners: list[socket.socket] = field(default_factory=list, repr=False)
    _stopped: threading.Event = field(default_factory=threading.Event, repr=False)
    _open: set[Any] = field(default_factory=set, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def running(self) -> bool:
        return not self._stopped.is_set()

    def stop(self) -> None:
        """Close the listeners and every connection open through them."""
        self._stopped.set()
        for listener in self._listeners:
            with contextlib.suppress(OSError):  # wakes the accept() blocked on it (Linux)
                listener.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                listener.close()
        with self._lock:
            opened, self._open = list(self._open), set()
        for closable in opened:
            with contextlib.suppress(Exception):
                closable.close()

    def __repr__(self) -> str:
        lines = [f"Forwarding from 127.0.0.1:{local} -> {remote} (pods/{self.pod})"
                 for local, remote in self.ports]  # fmt: skip
        state = "" if self.running else " [stopped]"
        return "\n".join(lines) + f"{state}  (port-forward {self.id}: --stop {self.id} ends it)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def start(
    cluster: Cluster, location: Location, specs: Sequence[str | int], connect: Connect
) -> Forward:
    """Listen on each local port and forward every connection to the picked pod's port."""
    ports = parse_ports(specs)
    if location.level is not Level.OBJECT or location.sub or location.kind is None:
        raise BadPath(f"port-forward needs a pod, workload or service, not {location.path}")
    kind = location.kind
    service = None
    if (kind.group, kind.plural) == ("", "services"):
        service = getting.get_object(cluster, location)
    if picking.owns_pods(location):
        pod_location = picking.pod_of(cluster, location)
    elif (kind.group, kind.plural) == ("", "pods"):
        pod_location = location
    else:
        raise BadPath(f"port-forward needs a pod, workload or service, not {kind.plural}")
    pod = getting.get_object(cluster, pod_location)
    if (pod.get("status") or {}).get("phase") != "Running":
        raise KjupyterError(
            f"port-forward: pods/{pod_location.name} is not running "
            f"({(pod.get('status') or {}).get('phase', 'unknown')})"
        )
    resolved: list[tuple[int, int]] = []
    for local, asked in ports:
        target: str | int = asked
        if service is not None:
            target = _service_port(service, asked, f"services/{location.name}")
        number = _container_port(pod, target, f"pods/{pod_location.name}")
        resolved.append((number if local == SAME else local, number))
    assert pod_location.namespace is not None and pod_location.name is not None
    forward = Forward(next(_ids), location.path, pod_location.namespace, pod_location.name, [])
    try:
        for local, pod_port in resolved:
            listener = socket.create_server(("127.0.0.1", local))
            forward._listeners.append(listener)
            forward.ports.append((listener.getsockname()[1], pod_port))
    except OSError as err:
        forward.stop()
        raise BadArgument(
            f"port-forward: cannot listen on 127.0.0.1:{local} ({err.strerror}); "
            "pick another local port (or :REMOTE for any free one)"
        ) from err
    api_client = cluster.connection.api_client
    for listener, (_, pod_port) in zip(forward._listeners, forward.ports, strict=True):
        threading.Thread(
            target=_accept, args=(forward, listener, pod_port, api_client, connect),
            name=f"kjupyter-port-forward-{forward.id}", daemon=True,
        ).start()  # fmt: skip
    return forward


def _accept(
    forward: Forward, listener: socket.socket, remote: int, api: Any, connect: Connect
) -> None:
    while forward.running:
        try:
            accepted, _ = listener.accept()
        except OSError:
            return  # stopped
        threading.Thread(
            target=_serve, args=(forward, accepted, remote, api, connect), daemon=True
        ).start()


def _serve(
    forward: Forward, accepted: socket.socket, remote: int, api: Any, connect: Connect
) -> None:
    """Splice one local connection with its own tunnel to the pod, until either side closes."""
    tunnel = None
    try:
        tunnel = connect(api, forward.namespace, forward.pod, remote)
        with forward._lock:
            forward.connections += 1
            forward._open.update((accepted, tunnel))
        _splice(accepted, tunnel.socket, forward)
        if getattr(tunnel, "error", ""):
            forward.errors.append(str(tunnel.error).strip()[:200])
    except Exception as err:  # one connection failed: say so in .errors, keep listening
        forward.errors.append(f"{type(err).__name__}: {err}"[:200])
    finally:
        with contextlib.suppress(OSError):
            accepted.close()
        if tunnel is not None:
            with contextlib.suppress(Exception):
                tunnel.close()
        with forward._lock:
            forward._open.discard(accepted)
            forward._open.discard(tunnel)


def _splice(one: socket.socket, other: socket.socket, forward: Forward) -> None:
    pairs = {one: other, other: one}
    while forward.running:
        readable, _, _ = select.select(list(pairs), [], [], 1.0)
        for source in readable:
            try:
                data = source.recv(65536)
            except OSError:
                return
            if not data:
                return
            try:
                pairs[source].sendall(data)
            except OSError:
                return
