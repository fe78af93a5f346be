"""`exec`: run a command in a pod's container over the API server's exec websocket.

We open the websocket ourselves (the client's `WSClient`) instead of going through
`kubernetes.stream.stream`, which swaps methods on the shared `ApiClient` and folds the
handshake's HTTP status into a string: here a 403 stays a `Forbidden` naming `pods/exec`.
"""

from __future__ import annotations

import re
import shlex
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from kjupyter.cluster.kinds import Name, Namespace
from kjupyter.cluster.objects import ExecResult
from kjupyter.cluster.paths import Level, Location
from kjupyter.cluster.statuses import error_for
from kjupyter.errors import ApiError, BadArgument, BadPath, Unreachable

if TYPE_CHECKING:
    from kjupyter.cluster.handle import ClusterHandle as Cluster

STDIN, STDOUT, STDERR, ERROR = 0, 1, 2, 3


def pod_target(location: Location) -> tuple[Namespace, Name, str | None]:
    """(namespace, pod, container from `containers/<c>`) of a pod path, or `BadPath`."""
    kind = location.kind
    if (
        location.level is not Level.OBJECT
        or kind is None
        or (kind.group, kind.plural) != ("", "pods")
        or location.namespace is None
        or location.name is None
    ):
        raise BadPath(f"exec needs one pod (/namespaces/<ns>/pods/<name>), not {location.path}")
    container = None
    if len(location.sub) >= 2 and location.sub[0] == "containers":
        container = location.sub[1]
    elif location.sub:
        raise BadPath(f"exec needs a pod or one of its containers, not {location.path}")
    return location.namespace, location.name, container


DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"


def default_container(pod: dict[str, Any]) -> str | None:
    """The container kubectl picks when none is named: the annotation's, else the first."""
    spec = pod.get("spec") or {}
    names = [c.get("name") for c in spec.get("containers") or []]
    annotated = ((pod.get("metadata") or {}).get("annotations") or {}).get(DEFAULT_CONTAINER)
    if annotated in names:
        return annotated
    return names[0] if names else None


def pick_container(cluster: Cluster, namespace: Namespace, pod: Name) -> str | None:
    """`default_container` of a pod read from the server (kubectl reads it too)."""
    pods = cluster.discovery.lookup("pods")
    found = cluster.connection.request("GET", pods.url(namespace, pod), action=f"get pods/{pod}")
    return default_container(found)


def command_words(command: str | list[str]) -> list[str]:
    """A command as argv: a list as given, a string split as a shell would."""
    if isinstance(command, str):
        try:
            words = shlex.split(command)
        except ValueError as err:
            raise BadArgument(f"cannot split command {command!r}: {err}") from err
    elif isinstance(command, list | tuple) and all(isinstance(w, str) for w in command):
        words = list(command)
    else:
        raise BadArgument("command is a string or a list of strings")
    if not words:
        raise BadArgument("exec needs a command")
    return words


def open_exec(
    cluster: Cluster,
    location: Location,
    command: list[str],
    *,
    container: str | None = None,
    stdin: bool = False,
    tty: bool = False,
    binary: bool = False,
) -> Any:
    """Open the exec websocket; return the client's `WSClient` (channels 0-3; with `binary`
    its channels carry bytes: a tar stream for cp)."""
    from kubernetes.stream.ws_client import WSClient, get_websocket_url
    from websocket import WebSocketBadStatusException

    namespace, pod, from_path = pod_target(location)
    container = container or from_path or pick_container(cluster, namespace, pod)
    query: list[tuple[str, Any]] = [("command", word) for word in command]
    query += [("stdout", "true"), ("stderr", "true" if not tty else "false")]
    query += [("stdin", "true" if stdin else "false"), ("tty", "true" if tty else "false")]
    if container:
        query.append(("container", container))
    assert location.kind is not None
    api_client = cluster.connection.api_client
    _, url, headers, _, _ = api_client.param_serialize(
        "GET",
        location.kind.url(namespace, pod, "exec"),
        query_params=query,
        header_params={},
        auth_settings=["BearerToken"],
    )
    action = f"exec in pods/{pod}" + (f" container {container}" if container else "")
    try:
        return WSClient(
            api_client.configuration, get_websocket_url(url), headers, capture_all=False,
            binary=binary,
        )  # fmt: skip
    except WebSocketBadStatusException as err:
        raise error_for(err.status_code, err.resp_body, action) from err
    except OSError as err:
        raise Unreachable(f"{action}: cannot reach the API server ({err})") from err


def exit_code(client: Any) -> int:
    """The command's exit status from the error channel (126 when it could not start)."""
    text = client.read_channel(ERROR) if hasattr(client, "read_channel") else ""
    if not text:
        return 0
    import yaml  # lazy: importing the cluster API stays cheap

    status = yaml.safe_load(text) or {}
    if status.get("status") == "Success":
        return 0
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode":
            return int(cause.get("message", 1))
    raise ApiError(f"exec failed: {status.get('message', text)}")


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during `exec`; `stopped` says whether the remote command was signalled too."""

    def __init__(self, where: str, stopped: bool) -> None:
        super().__init__(where)
        self.where = where
        self.stopped = stopped


# `exec` has no TTY to carry ^C: a shell says its PID first (on stderr, marked), then becomes
# the command, so an interrupt can `kill -INT` it from a second exec. No `sh` in the image:
# the command runs as given, and an interrupt can only leave it (said so).
PID_MARK = "\x1ekjupyter-pid "
_PID_LINE = re.compile("\x1ekjupyter-pid (\\d+)\n")
_WRAPPER = 'printf "\\036kjupyter-pid %s\\n" "$$" >&2; exec "$@"'
STOP_WAIT = 10.0  # seconds a command has to end after SIGINT, before SIGKILL


def run(
    cluster: Cluster,
    location: Location,
    command: str | list[str],
    *,
    container: str | None = None,
    stdin: str | bytes | None = None,
    timeout: float | None = None,
    out: TextIO | None = None,
) -> ExecResult:
    """Run `command` to its end; its stdout (also streamed to `out`), stderr and exit code.

    Ctrl-C stops the remote command (SIGINT, then SIGKILL) and raises `Interrupted`.
    """
    words = command_words(command)
    if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
        raise BadArgument(f"timeout must be a positive number, not {timeout!r}")
    namespace, pod, from_path = pod_target(location)
    container = container or from_path or pick_container(cluster, namespace, pod)
    target = _Target(cluster, location, container, pod)
    try:
        return target.run(["sh", "-c", _WRAPPER, "sh", *words], stdin, timeout, out, True)
    except _NoShell:
        return target.run(words, stdin, timeout, out, False)


class _NoShell(Exception):
    """The container has no `sh` to wrap the command in (nothing ran)."""


@dataclass
class _Target:
    cluster: Cluster
    location: Location
    container: str | None
    pod: Name

    def run(
        self,
        argv: list[str],
        stdin: str | bytes | None,
        timeout: float | None,
        out: TextIO | None,
        wrapped: bool,
    ) -> ExecResult:
        client = open_exec(
            self.cluster, self.location, argv, container=self.container, stdin=stdin is not None
        )
        stdout: list[str] = []
        stderr = ""
        pid: str | None = None
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            if stdin is not None:
                client.write_stdin(stdin if isinstance(stdin, str) else stdin.decode())
                client.close_channel(STDIN)
            try:  # an interrupt lands anywhere in here (in `out.write` too)
                while client.is_open():
                    if deadline is not None and time.monotonic() > deadline:
                        raise ApiError(
                            f"exec in pods/{self.pod}: no exit after {timeout:g} s; stopped waiting"
                        )
                    client.update(timeout=0.5)
                    text = client.read_channel(STDOUT)
                    stdout.append(text)
                    stderr += client.read_channel(STDERR)
                    if wrapped and pid is None:
                        found = _PID_LINE.search(stderr)
                        pid = found.group(1) if found else None
                    if out is not None and text:
                        out.write(text)
            except KeyboardInterrupt:
                raise Interrupted(f"pods/{self.pod}", self._stop(client, pid)) from None
            stdout.append(client.read_channel(STDOUT))
            stderr += client.read_channel(STDERR)
            try:
                code = exit_code(client)
            except ApiError as err:
                if wrapped and pid is None and '"sh"' in str(err):
                    raise _NoShell() from None
                raise
        finally:
            client.close()
        stderr = _PID_LINE.sub("", stderr, count=1) if wrapped else stderr
        return ExecResult("".join(stdout), stderr, code, self.pod, self.container or "")

    def _stop(self, client: Any, pid: str | None) -> bool:
        """SIGINT the command, SIGKILL it if it has not ended in `STOP_WAIT`; True if it did."""
        if pid is None:
            return False
        for signal_name, wait in (("INT", STOP_WAIT), ("KILL", STOP_WAIT)):
            try:
                run_plain(self, ["sh", "-c", f"kill -{signal_name} {pid} 2>/dev/null"])
            except Exception:  # the interrupt is what the user sees: best effort here
                return False
            deadline = time.monotonic() + wait
            while client.is_open() and time.monotonic() < deadline:
                client.update(timeout=0.5)
            if not client.is_open():
                return True
        return False


def run_plain(target: _Target, argv: list[str]) -> None:
    """Run a short helper command (a `kill`) in the same container, to its end."""
    client = open_exec(target.cluster, target.location, argv, container=target.container)
    try:
        while client.is_open():
            client.update(timeout=0.5)
    finally:
        client.close()
