"""The Kubernetes backend: the kernel as the controller of its worker pods.

Plain pods, no operator, no CRD, nothing always-on in the cluster. Each backend (one per set of
`PodOptions`, i.e. per warm pool) creates pods running `python -m kjupyter.worker --listen`,
connects to them, reads their hello and hands the engine connected channels.

Reachability (`reach=`)
    pod-ip: TCP straight to the pod IP; the kernel runs in the cluster or the pod network is
    routed to it. port-forward: through the API server (`pods/portforward`), which works from
    a laptop with only a kubeconfig; `kjupyter.run.k8s.portforward` bridges the websocket to a
    socketpair for `StreamChannel`. auto (default): pod IP if the first pod answers on it
    within a second (a refused connection counts as routable: the worker is just not up yet),
    else port-forward; decided once per backend.

The session key
    With `create secrets`, a per-backend Secret holds the backend's own key (hex; pools of
    one kernel in other namespaces or with other options have keys of their own) and is
    mounted as a file (mode 0400): the key is never in the pod spec, which anyone with `get
    pods` reads. The worker then listens on all addresses and both paths work. The Secret is
    owned by the notebook pod when there is one, otherwise by the worker pods themselves
    (added as owners when they are created), so the garbage collector deletes it with the
    last of them.

    Without `create secrets` (the restricted user), the worker listens on 127.0.0.1 only and
    takes a per-pod key from its first peer (`--secret-from-peer`). A connection reaching the
    pod's loopback came through the API server's port-forward, which checked `pods/portforward`
    on that pod, so the first peer is an identity allowed into the pod anyway (anyone allowed
    `pods/exec` could read a mounted key as well). Such pods are reachable by port-forward only,
    whatever `reach` says. On every path, frames are signed (keyed BLAKE2b) with the key; a
    worker never unpickles an unverified frame.

No leaks
    Pods carry labels (managed-by, component=worker, user, session, notebook, backend) and an
    ownerReference to the notebook pod when the kernel runs in one. `restartPolicy: Never` plus
    the worker's dead-man switch (`idle_timeout`; the pool pings every `idle_timeout / 4`)
    means a kernel that dies without a word (SIGKILL) leaves pods that end by themselves
    within `idle_timeout`; the ended pod objects are then removed by `%k8s gc` (or with the
    notebook pod). Normal shutdown (`pool.shutdown_all`, atexit, unload) deletes the pods.

Failures
    A watch on the backend's pods (`kjupyter.run.k8s.watcher`) shuts down the channel of a pod
    that is deleted, evicted or ends, so the engine loses the worker at once and retries its
    tasks on another pod. Pods that cannot start (image missing, unschedulable, quota) fail
    `start` with Kubernetes' reason, and are deleted. An RBAC preflight
    (`kjupyter.run.k8s.preflight`) names a missing permission before anything is created.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import os
import socket
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from kjupyter.cluster import connection
from kjupyter.errors import BackendError, ChannelClosed, KjupyterError, NotFound, ProtocolError
from kjupyter.run import backends, messages, progress
from kjupyter.run.backends import Backend, Session, Worker
from kjupyter.run.channel import IdleTimeout, StreamChannel
from kjupyter.run.k8s import identity, leftovers, podspec, preflight, versions
from kjupyter.run.k8s.options import PodOptions, resolve
from kjupyter.run.k8s.portforward import PortForward
from kjupyter.run.k8s.watcher import PodWatcher, exit_reason, terminated_state

CONNECT_TIMEOUT = 30.0  # s from "running" to a worker that answers (python start-up)
PROBE_TIMEOUT = 1.0  # s the auto mode gives a pod IP to answer before using port-forward
RETRY = 0.02  # s between connection attempts to a starting worker
CONNECTING_THREADS = 16  # pods waited for and connected to side by side (they mostly wait)
EXIT_WAIT = 3.0  # s a lost worker's pod gets to show why it ended (OOMKilled, exit code)
#: s a worker whose pod is being deleted gets to send its last results and close its channel
LEAVE_GRACE = podspec.TERMINATION_GRACE + 1.0

#: every live backend, so `ps`, `timeline` and `gc` can find pods by name
LIVE: list[KubernetesBackend] = []
#: recently closed backends, so a timeline of a run whose pool is gone still has pod phases
CLOSED: collections.deque[KubernetesBackend] = collections.deque(maxlen=16)


@dataclass
class PodHandle:
    """What the backend keeps per worker pod (the engine sees it as `Worker.handle`)."""

    name: str
    key: bytes
    forward: PortForward | None = None
    marks: dict[str, float] = field(default_factory=dict)  # kernel-side times (connected...)


class KubernetesBackend(Backend):
    """Worker pods in one namespace, created on demand by `start`."""

    name = "kubernetes"

    def __init__(self, **options: Any) -> None:
        self.options: PodOptions = resolve(**options)
        self.conn = connection.load(
            context=self.options.context, kubeconfig=self.options.kubeconfig
        )
        self.namespace = self.options.namespace or self.conn.namespace
        self.default_workers = self.options.workers
        self.heartbeat = self.options.idle_timeout / 4
        self.pool_idle = self.options.pool_idle
        self.id = uuid.uuid4().hex[:6]
        self.owner = identity.own_pod(self.conn)
        image = self.options.image or (self.owner.image if self.owner else None)
        if not image:
            raise BackendError(
                "kubernetes backend: no worker image; pass image=... (--image), set "
                "$KJUPYTER_IMAGE, or run the kernel in a pod (its image is the default)"
            )
        self.image = image
        self.user = ""
        self.grants: preflight.Grants | None = None
        self.reach: str | None = None  # decided on the first pod
        self.secret_name: str | None = None
        self.key = os.urandom(32)  # this backend's own: another pool's pods cannot read it
        self.secret_owners: list[dict[str, Any]] = []  # ownerReferences written to the Secret
        self.watcher: PodWatcher | None = None
        self.workers: dict[str, Worker] = {}
        self.marks: dict[str, dict[str, float]] = {}  # kernel-side times of stopped pods
        self._lock = threading.Lock()
        self._closed = False
        LIVE.append(self)

    # -- once per backend -------------------------------------------------------------------
    def _prepare(self, session: Session) -> None:
        if self.grants is not None:
            return
        self.user = identity.user_name(self.conn)
        self.grants = preflight.check(self.conn, self.namespace, self.user, self.options.reach)
        self.labels = {
            identity.MANAGED_BY: "kjupyter",
            identity.COMPONENT: "worker",
            identity.SESSION: session.id,
            identity.BACKEND: self.id,
            identity.USER: identity.label_value(self.user),
        }
        notebook = identity.notebook_name()
        if notebook:
            self.labels[identity.NOTEBOOK] = identity.label_value(notebook)
        if self.grants.secrets:
            self._create_secret(session)
        selector = f"{identity.SESSION}={session.id},{identity.BACKEND}={self.id}"
        self.watcher = PodWatcher(self.conn, self.namespace, selector, self._pod_gone)
        threading.Thread(target=self._collect_leftovers, name="kjupyter-gc", daemon=True).start()

    def _collect_leftovers(self) -> None:
        """What dead kernels of this user left in the namespace goes at the next start there."""
        selector = f"{identity.WORKER_SELECTOR},{identity.USER}={self.labels[identity.USER]}"
        held = {name for backend in list(LIVE) for name in list(backend.workers)}
        secrets = {backend.secret_name for backend in list(LIVE) if backend.secret_name}
        with contextlib.suppress(KjupyterError):  # best effort: `%k8s gc` says what fails
            leftovers.sweep(
                self.conn,
                f"/api/v1/namespaces/{self.namespace}",
                selector,
                held=held,
                held_secrets=secrets,
            )

    # -- the Backend interface --------------------------------------------------------------
    def start(self, count: int, session: Session) -> list[Worker]:
        """Create `count` pods, wait until they run, connect, read their hello."""
        if self._closed:
            raise BackendError("kubernetes backend is closed")
        self._prepare(session)
        assert self.watcher is not None
        if self.secret_name and self.owner is None and self.secret_owners and not self._alive():
            # Every pod that owned the Secret is gone (the pool scaled to zero, or its pods
            # were deleted): the garbage collector deletes it, so these pods mount a new one.
            self._create_secret(session)
        names = [f"kjupyter-{session.id}-{uuid.uuid4().hex[:6]}" for _ in range(count)]
        created: dict[str, str] = {}  # name -> uid, filled as the API server answers
        creating = ThreadPoolExecutor(min(8, count))  # side by side: ~10 ms each
        # Each pod is connected to as soon as it runs, while the others still start: the
        # last pod's own connect and hello is then all that follows the pods' start (it was
        # every pod's, after the last one ran: ~0.3 s of a cold run -n 4 here).
        connecting = ThreadPoolExecutor(min(CONNECTING_THREADS, count))
        connected: list[Future[Worker]] = []
        try:
            futures = [creating.submit(self._create_pod, name, created) for name in names]
            for future in futures:
                future.result()  # the first failure, if any, after every answer is in
            if self.secret_name and self.owner is None:
                self._own_secret(created)
            connected = [
                connecting.submit(self._connect_when_running, name, session) for name in created
            ]
            line = progress.PodStartLine(count)  # one live line while they start
            failures = self.watcher.wait_started(
                list(created), self.options.start_timeout, on_change=line.update
            )
            line.finish(not failures, next(iter(failures.values()), ""))
            if failures:
                name, reason = next(iter(failures.items()))
                raise BackendError(
                    f"worker pod {name} in {self.namespace} did not start: {reason}"
                    + (f" ({len(failures)} of {count} pods failed)" if len(failures) > 1 else "")
                )
            workers = [future.result() for future in connected]
        except BaseException:
            _settle(creating)  # an interrupt must not outrun creations still in flight
            self._delete_all(list(created))
            _settle(connecting)  # its waits end: the pods are gone
            for connect in connected:  # those that connected before the failure
                if not connect.cancelled() and connect.exception() is None:
                    connect.result().channel.close()
            raise
        finally:
            creating.shutdown(wait=False)
            connecting.shutdown(wait=False)
        with self._lock:
            for worker in workers:
                self.workers[worker.name] = worker
        return workers

    def stop(self, worker: Worker, *, force: bool = False) -> None:
        """Close the channel and delete the pod (at once with `force`)."""
        handle: PodHandle = worker.handle
        worker.channel.close()
        if handle.forward is not None:
            handle.forward.close()
        with self._lock:
            self.workers.pop(worker.name, None)
            self.marks[worker.name] = handle.marks
        self._delete(worker.name, grace=0 if force else 1)

    def describe_exit(self, worker: Worker) -> str:
        """Why a worker's connection ended: the container's own end when the kubelet says it."""
        state = self.watcher.wait_ended(worker.name, EXIT_WAIT) if self.watcher else None
        if state is None:
            return "connection lost"
        terminated = terminated_state(state.pod)
        if terminated is not None:
            return f"worker container ended: {exit_reason(terminated)}"
        if state.gone:
            return state.gone
        return f"connection lost (pod {state.phase})"

    def close(self) -> None:
        """Delete what is left (pods, the Secret) and stop watching.

        Every deletion is tried; those the cluster refused are raised afterwards as one
        `BackendError` naming each object (a refusal is never reported as a clean stop).
        """
        self._closed = True
        with self._lock:
            names = list(self.workers)
            for name, worker in self.workers.items():
                self.marks[name] = worker.handle.marks
            self.workers.clear()
        refused: list[str] = []
        for name in names:
            try:
                self._delete(name, grace=0)
            except KjupyterError as err:
                refused.append(str(err))
        if self.secret_name:
            try:
                with contextlib.suppress(NotFound):
                    self.conn.request(
                        "DELETE",
                        f"/api/v1/namespaces/{self.namespace}/secrets/{self.secret_name}",
                        action=f"delete secret {self.secret_name}",
                    )
            except KjupyterError as err:
                refused.append(str(err))
        if self.watcher is not None:
            self.watcher.stop()
        with contextlib.suppress(ValueError):
            LIVE.remove(self)
            CLOSED.append(self)
        if refused:
            raise BackendError(refusals(refused))

    # -- pods -------------------------------------------------------------------------------
    def _delete(self, name: str, grace: int) -> None:
        """Delete pod NAME; a refusal (Forbidden, unreachable) raises: callers say it."""
        with contextlib.suppress(NotFound):
            self.conn.request(
                "DELETE",
                f"/api/v1/namespaces/{self.namespace}/pods/{name}",
                query={"gracePeriodSeconds": str(grace)},
                action=f"delete pod {name} in {self.namespace}",
            )

    def _alive(self) -> list[str]:
        """Worker pods of this backend that the watch has not seen go."""
        assert self.watcher is not None
        with self._lock:
            names = list(self.workers)
        return [n for n in names if not (state := self.watcher.state(n)) or not state.gone]

    def _delete_all(self, names: list[str]) -> None:
        """Delete these pods, every one, even through errors and repeated interrupts."""
        pending = list(names)
        while pending:
            try:
                with contextlib.suppress(KjupyterError):
                    self._delete(pending[0], grace=0)
                pending.pop(0)
            except KeyboardInterrupt:
                continue

    def _create_secret(self, session: Session) -> None:
        """The Secret that carries the session key to the pods (mounted, never in the spec)."""
        self.secret_name = f"kjupyter-{session.id}-{self.id}-{uuid.uuid4().hex[:4]}"
        self.secret_owners = []
        self.key = os.urandom(32)  # a new Secret, a new key: no live pod holds the old one
        manifest = podspec.session_secret(
            self.secret_name, self.key.hex().encode(), self.labels, self.owner
        )
        self.conn.request(
            "POST",
            f"/api/v1/namespaces/{self.namespace}/secrets",
            body=manifest,
            action=f"create secret {self.secret_name} in {self.namespace}",
        )

    def _create_pod(self, name: str, created: dict[str, str]) -> None:
        assert self.watcher is not None
        manifest = podspec.worker_pod(
            name,
            self.options,
            self.image,
            self.labels,
            secret_name=self.secret_name,
            owner=self.owner,
        )
        self.watcher.expect(name, time.time())
        pod = self.conn.request(
            "POST",
            f"/api/v1/namespaces/{self.namespace}/pods",
            body=manifest,
            action=f"create pod {name} in {self.namespace}",
        )
        created[name] = pod["metadata"]["uid"]

    def _own_secret(self, pods: dict[str, str]) -> None:
        """Make the new pods owners of the Secret: it goes when the last of them goes.

        Only this backend writes the Secret's owners, so the list is kept here: one PATCH, no
        reads. Owners that are gone stay listed; the garbage collector ignores absent owners.
        """
        with self._lock:  # owners that are gone would only grow the list
            alive = [owner for owner in self.secret_owners if owner["name"] in self.workers]
        self.secret_owners = alive + [
            podspec.owner_reference("Pod", name, uid) for name, uid in pods.items()
        ]
        self.conn.request(
            "PATCH",
            f"/api/v1/namespaces/{self.namespace}/secrets/{self.secret_name}",
            body={"metadata": {"ownerReferences": self.secret_owners}},
            content_type="application/merge-patch+json",
            action=f"set the owners of secret {self.secret_name}",
        )

    def _pod_gone(self, name: str, reason: str) -> None:
        """Watch thread: a pod of ours went away; wake the engine by ending its channel.

        A pod being deleted still runs: its worker, on SIGTERM, sends what it finished and
        exits, and the engine sees the end of its channel. Cutting the channel at the first
        event instead lost those results, and with them the engine's only way to tell which
        task was running (it then charged the attempt to a finished one; seen in CI). The
        channel is cut only if the worker has not closed it within `LEAVE_GRACE` s.
        """
        with self._lock:
            worker = self.workers.get(name)
        if worker is None:
            return
        if reason.startswith("pod ended"):
            _end_channel(worker)  # the container has exited: nothing more can come
            return
        timer = threading.Timer(LEAVE_GRACE, _end_channel, (worker,))
        timer.daemon = True
        timer.start()

    # -- connecting -------------------------------------------------------------------------
    def _connect_when_running(self, name: str, session: Session) -> Worker:
        """Wait until this pod runs, then connect; the start's own wait names any failure."""
        assert self.watcher is not None
        failures = self.watcher.wait_started([name], self.options.start_timeout)
        if failures:
            raise BackendError(f"worker pod {name} did not start: {failures[name]}")
        return self._connect(name, session)

    def _connect(self, name: str, session: Session) -> Worker:
        assert self.watcher is not None
        state = self.watcher.state(name)
        assert state is not None
        loopback = self.secret_name is None
        if self.reach is None:
            self.reach = self._decide_reach(state.ip, loopback)
        use_ip = self.reach == "pod-ip" and not loopback
        key = self.key.hex().encode() if not loopback else os.urandom(32)
        handle = PodHandle(name, key)
        deadline = time.monotonic() + CONNECT_TIMEOUT
        while True:
            try:
                if use_ip:
                    sock = socket.create_connection((state.ip, podspec.PORT), timeout=5.0)
                else:
                    handle.forward = PortForward(
                        self.conn.api_client, self.namespace, name, podspec.PORT
                    )
                    sock = handle.forward.socket
                    if loopback:
                        sock.sendall(messages.PEER_KEY_PREFIX + key)
                handle.marks["connected"] = time.time()
                channel = StreamChannel(sock, key, "kernel", encrypt=True)  # sealed on both paths
                channel.handshake(timeout=10.0)
                msg, _ = channel.recv(timeout=10.0)
                break
            except (OSError, ChannelClosed, IdleTimeout, ProtocolError) as err:
                if handle.forward is not None:
                    handle.forward.close()
                    handle.forward = None
                gone = self.watcher.state(name)
                if gone is not None and gone.gone:
                    raise BackendError(
                        f"worker pod {name} ended while starting: {gone.gone}"
                    ) from None
                if isinstance(err, ProtocolError) or time.monotonic() > deadline:
                    raise BackendError(
                        f"cannot reach worker pod {name} ({self.reach}): {err}"
                    ) from None
                time.sleep(RETRY)  # the worker process is still starting: try again
        try:
            hello = messages.parse(msg)
        except ProtocolError as err:
            raise BackendError(f"worker pod {name} sent a malformed first frame: {err}") from None
        if not isinstance(hello, messages.Hello):
            raise BackendError(f"worker pod {name} sent {msg[0]!r} before its hello")
        info = hello.info  # its protocol was checked in the channel's greeting
        versions.check(name, self.image, info)
        handle.marks["hello"] = time.time()
        worker = Worker(name, channel, host=state.node or info.get("host", ""), handle=handle)
        worker.info = info
        worker.ready = True  # the hello is read here: the engine may send work at once
        return worker

    def _decide_reach(self, ip: str, loopback: bool) -> str:
        if loopback:
            return "port-forward"
        if self.options.reach != "auto":
            return self.options.reach
        if identity.in_cluster():
            return "pod-ip"
        return "pod-ip" if pod_ip_routable(ip) else "port-forward"


def refusals(messages_: list[str]) -> str:
    """One line for the deletions the cluster refused (the first reason in full)."""
    if len(messages_) == 1:
        return f"not deleted: {messages_[0]}"
    return f"{len(messages_)} deletions refused; the first: {messages_[0]}"


def pod_ip_routable(ip: str, timeout: float = PROBE_TIMEOUT) -> bool:
    """True when a TCP connection to the pod IP is answered (accepted or refused) in time."""
    if not ip:
        return False
    try:
        with socket.create_connection((ip, podspec.PORT), timeout=timeout):
            return True
    except ConnectionRefusedError:
        return True
    except OSError as err:
        return err.errno == errno.ECONNREFUSED


backends.register("kubernetes", KubernetesBackend)


def _settle(pool: ThreadPoolExecutor) -> None:
    """Wait for the threads of `pool`, even through repeated interrupts (Ctrl-C pressed twice)."""
    while True:
        try:
            pool.shutdown(wait=True, cancel_futures=True)
            return
        except KeyboardInterrupt:
            continue


def _end_channel(worker: Worker) -> None:
    """Wake the engine: it sees the channel readable (at its end) and loses the worker."""
    with contextlib.suppress(OSError):
        # shutdown, not close: the engine's selector still holds the descriptor and must see
        # it readable (end of stream) to lose the worker and retry its tasks.
        worker.channel.sock.shutdown(socket.SHUT_RDWR)
