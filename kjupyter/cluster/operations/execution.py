"""`exec`: run a command in a pod's container over the API server's exec websocket.

We open the websocket ourselves (the client's `WSClient`) instead of going through
`kubernetes.stream.stream`, which swaps methods on the shared `ApiClient` and folds the
handshake's HTTP status into a string: here a 403 stays a `Forbidden` naming `pods/exec`.
"""

from __future__ import annotations

import shlex
import time
from typing import TYPE_CHECKING, Any

import yaml

from kjupyter.cluster.kinds import Name, Namespace
from kjupyter.cluster.objects import ExecResult
from kjupyter.cluster.paths import Level, Location
from kjupyter.cluster.statuses import error_for
from kjupyter.errors import ApiError, BadArgument, BadPath, Unreachable

if TYPE_CHECKING:
    from kjupyter.cluster.api import Cluster

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
            raise BadArgument(f"cannot split command {command!r}: {err}") from None
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
) -> Any:
    """Open the exec websocket; return the client's `WSClient` (channels 0-3)."""
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
            api_client.configuration, get_websocket_url(url), headers, capture_all=False
        )
    except WebSocketBadStatusException as err:
        raise error_for(err.status_code, err.resp_body, action) from None
    except OSError as err:
        raise Unreachable(f"{action}: cannot reach the API server ({err})") from None


def exit_code(client: Any) -> int:
    """The command's exit status from the error channel (126 when it could not start)."""
    text = client.read_channel(ERROR) if hasattr(client, "read_channel") else ""
    if not text:
        return 0
    status = yaml.safe_load(text) or {}
    if status.get("status") == "Success":
        return 0
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode":
            return int(cause.get("message", 1))
    raise ApiError(f"exec failed: {status.get('message', text)}")


def run(
    cluster: Cluster,
    location: Location,
    command: str | list[str],
    *,
    container: str | None = None,
    stdin: str | bytes | None = None,
    timeout: float | None = None,
) -> ExecResult:
    """Run `command` to its end; its stdout, stderr and exit code come back."""
    words = command_words(command)
    if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
        raise BadArgument(f"timeout must be a positive number, not {timeout!r}")
    namespace, pod, from_path = pod_target(location)
    container = container or from_path or pick_container(cluster, namespace, pod)
    client = open_exec(cluster, location, words, container=container, stdin=stdin is not None)
    out: list[str] = []
    err: list[str] = []
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        if stdin is not None:
            client.write_stdin(stdin if isinstance(stdin, str) else stdin.decode())
            client.close_channel(STDIN)
        while client.is_open():
            if deadline is not None and time.monotonic() > deadline:
                raise ApiError(f"exec in pods/{pod}: no exit after {timeout:g} s; stopped waiting")
            client.update(timeout=0.5)
            out.append(client.read_channel(STDOUT))
            err.append(client.read_channel(STDERR))
        out.append(client.read_channel(STDOUT))
        err.append(client.read_channel(STDERR))
        code = exit_code(client)
    finally:
        client.close()
    return ExecResult("".join(out), "".join(err), code, pod, container or from_path or "")
