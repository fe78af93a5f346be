"""A pod's port through the API server's port-forward, as a connected local socket.

Used by the kubernetes backend (the kernel's channel to a worker pod) and by the tree's
`Cluster.port_forward` (a tunnel per local connection); it sits in `cluster`, below both.

`StreamChannel` wants a real stream socket. The official client's `portforward` gives one (a
socketpair end fed by a proxy thread) but is not fit for a data path: it grows `bytes` buffers
by concatenation (quadratic for a 100 MB value) and patches `ApiClient.call_api` while it
connects (unsafe while another thread uses the same client). So this module opens the
websocket with the client's own helper (auth, TLS and proxies as configured) and runs a lean
bridge: one thread per connection, `select` over the websocket and our socketpair end,
bounded buffers in both directions.

Protocol (v4.channel.k8s.io, one port): binary frames whose first byte is the channel (0 data,
1 error); each channel first carries two bytes with the port number. Error-channel text means
the kubelet could not connect to the port (e.g. the worker is not listening yet).
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import threading
from collections import deque
from typing import Any

from kjupyter.errors import BackendError

CHUNK = 1024 * 1024  # bytes read from our socket per websocket frame
HIGH_WATER = 8 * 1024 * 1024  # stop reading the websocket while this much waits for the kernel


class PortForward:
    """One forwarded connection to `port` of a pod; `socket` is the kernel's end."""

    def __init__(self, api_client: Any, namespace: str, pod: str, port: int) -> None:
        from kubernetes.stream import ws_client

        query = [("ports", str(port))]
        _, url, headers, _, _ = api_client.param_serialize(
            "GET",
            f"/api/v1/namespaces/{namespace}/pods/{pod}/portforward",
            query_params=query,
            header_params={"sec-websocket-protocol": "v4.channel.k8s.io"},
            auth_settings=["BearerToken"],
        )
        url = ws_client.get_websocket_url(url, query)
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            self.websocket = ws_client.create_websocket(api_client.configuration, url, lowered)
        except Exception as err:
            status = getattr(err, "status_code", None)
            if status == 403:
                raise BackendError(
                    f"port-forward to pod {pod} forbidden: this identity lacks create on "
                    f"pods/portforward in {namespace}"
                ) from err
            raise BackendError(f"port-forward to pod {pod} failed: {err}") from err
        self.port = port
        self.error = ""
        self.socket, self._mine = socket.socketpair()
        self._mine.setblocking(False)
        self._closed = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"kjupyter-portforward-{pod}", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        """Close both ends; the bridge thread ends and closes the websocket."""
        self._closed.set()
        with contextlib.suppress(OSError):
            self.socket.close()
        with contextlib.suppress(OSError):
            self._mine.shutdown(socket.SHUT_RDWR)

    # -- the bridge -------------------------------------------------------------------------
    def _run(self) -> None:
        from websocket import ABNF

        ws = self.websocket
        raw = ws.sock
        to_kernel: deque[memoryview] = deque()
        queued = 0
        seen_header = [False, False]
        local_open = True
        try:
            while not self._closed.is_set():
                rlist: list[Any] = []
                if queued < HIGH_WATER:
                    rlist.append(raw)
                if local_open:
                    rlist.append(self._mine)
                wlist = [self._mine] if to_kernel else []
                pending = isinstance(raw, ssl.SSLSocket) and raw.pending() and queued < HIGH_WATER
                if pending:
                    readable = [raw]
                else:
                    readable, _, _ = select.select(rlist, wlist, [], 1.0)
                if raw in readable:
                    opcode, frame = ws.recv_data_frame(True)
                    if opcode == ABNF.OPCODE_CLOSE:
                        break
                    if opcode == ABNF.OPCODE_BINARY and frame.data:
                        channel, body = frame.data[0], memoryview(frame.data)[1:]
                        if channel > 1:
                            break
                        if not seen_header[channel]:
                            seen_header[channel] = True
                            body = body[2:]
                        if channel == 1 and len(body):
                            self.error += bytes(body).decode("utf-8", "replace")
                            break
                        if channel == 0 and len(body):
                            to_kernel.append(body)
                            queued += len(body)
                if self._mine in readable and local_open:
                    try:
                        data = self._mine.recv(CHUNK)
                    except BlockingIOError:
                        data = None
                    if data == b"":
                        local_open = False
                        break
                    if data:
                        ws.send(b"\x00" + data, ABNF.OPCODE_BINARY)
                if to_kernel:
                    queued -= self._flush(to_kernel)
        except (OSError, ValueError) as err:
            if not self._closed.is_set():
                self.error = self.error or str(err)
        except Exception as err:  # websocket library errors: the connection is over
            self.error = self.error or f"{type(err).__name__}: {err}"
        finally:
            with contextlib.suppress(Exception):
                # Give the kernel what already arrived, then end of stream.
                self._mine.setblocking(True)
                for view in to_kernel:
                    self._mine.sendall(view)
            with contextlib.suppress(OSError):
                self._mine.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                self._mine.close()
            with contextlib.suppress(Exception):
                ws.close(timeout=0.2)

    def _flush(self, to_kernel: deque[memoryview]) -> int:
        """Write what the kernel end can take now; return the bytes written."""
        written = 0
        while to_kernel:
            view = to_kernel[0]
            try:
                n = self._mine.send(view)
            except BlockingIOError:
                break
            written += n
            if n < len(view):
                to_kernel[0] = view[n:]
                break
            to_kernel.popleft()
        return written
