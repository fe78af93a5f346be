"""`cat`, `describe`, `events`, `logs`: reading one object and what surrounds it."""

from __future__ import annotations

from collections.abc import Iterator, KeysView
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from kjupyter.cluster import describing, selectors
from kjupyter.cluster.kinds import Kind, Name, Namespace
from kjupyter.cluster.objects import KubeObject, PickedLog, Text, redact
from kjupyter.cluster.operations import execution, listing, picking
from kjupyter.cluster.operations.getting import get_object, object_target
from kjupyter.cluster.paths import POD_OWNERS, Level, Location
from kjupyter.errors import BadArgument, BadPath, NotFound

if TYPE_CHECKING:
    import pandas as pd

    from kjupyter.cluster.handle import ClusterHandle as Cluster


def cat(cluster: Cluster, location: Location, *, reveal: bool = False) -> KubeObject | Text:
    """The object (YAML display), a container of a pod, a log, or a discovered sub-resource."""
    kind, namespace, name = object_target(cluster, location)
    sub = location.sub
    if sub and (sub[-1] == "log"):
        text = logs(cluster, location)
        assert text is not None  # (only a followed log returns None)
        return text
    if sub and sub[0] == "containers":
        if len(sub) == 1:
            raise BadPath(f"{location.path} is a list; ls it, or cat containers/<name>")
        return KubeObject(_container(get_object(cluster, location), name, sub[1]), location.path)
    if sub == ("pods",):
        raise BadPath(f"{location.path} is a list of pods; ls it")
    obj = cluster.connection.request(
        "GET",
        kind.url(namespace, name, "/".join(sub) or None),
        action=f"get {kind.qualified}/{name}{'/' + '/'.join(sub) if sub else ''}",
    )
    return KubeObject(obj if reveal else redact(obj), location.path)


def _container(pod: dict[str, Any], pod_name: str, container: str) -> dict[str, Any]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for entry in spec.get(key) or []:
            if entry["name"] == container:
                found = dict(entry)
                for skey in (
                    "initContainerStatuses",
                    "containerStatuses",
                    "ephemeralContainerStatuses",
                ):
                    for state in status.get(skey) or []:
                        if state["name"] == container:
                            found["status"] = state
                return found
    names = [c["name"] for key in ("initContainers", "containers") for c in spec.get(key) or []]
    raise NotFound(f"pod {pod_name} has no container {container!r}; containers: {', '.join(names)}")


def events(
    cluster: Cluster, location: Location, *, wide: bool = False, types: Any = None
) -> pd.DataFrame:
    """Events of a namespace or kind (all of them) or about one object, oldest first;
    `types` keeps those of the given types (Normal, Warning: kubectl events --types)."""
    if types is not None:
        wanted = [types] if isinstance(types, str) else list(types)
        wanted = [t.strip() for given in wanted for t in str(given).split(",") if t.strip()]
        if not wanted or any(t.lower() not in ("normal", "warning") for t in wanted):
            raise BadArgument(f"valid types are Normal or Warning (as kubectl), not {types!r}")
        frame = events(cluster, location, wide=wide)
        if "Type" not in frame.columns:
            return frame
        return frame[frame["Type"].astype(str).str.lower().isin({t.lower() for t in wanted})]
    core_events = cluster.discovery.lookup("events")
    if location.level is Level.OBJECT:
        kind, namespace, name = object_target(cluster, location)
        return object_events(cluster, kind, namespace, name, wide=wide)
    elif location.level is Level.ROOT:
        frame = _list(cluster, core_events, None, wide=wide)
    else:
        frame = _list(cluster, core_events, location.namespace, wide=wide)
        if location.kind is not None and "Object" in frame.columns:
            prefix = f"{location.kind.kind.lower()}/"
            frame = frame[frame["Object"].astype(str).str.startswith(prefix)]
    return _oldest_first(frame)


def object_events(
    cluster: Cluster, kind: Kind, namespace: Namespace | None, name: Name, *, wide: bool = False
) -> pd.DataFrame:
    """Events whose involvedObject is this one object, oldest first."""
    core_events = cluster.discovery.lookup("events")
    field = f"involvedObject.name={name},involvedObject.kind={kind.kind}"
    return _oldest_first(_list(cluster, core_events, namespace, wide=wide, field_selector=field))


def _oldest_first(frame: Any) -> Any:
    if "Last Seen" in frame.columns:  # "ago": the largest is the oldest
        frame = frame.sort_values("Last Seen", ascending=False, na_position="first")
    return frame


def _list(cluster: Cluster, kind: Kind, namespace: Namespace | None, **options: Any) -> Any:
    return listing.list_table(cluster, kind, namespace, **options)


def follow(
    cluster: Cluster,
    kind: Kind,
    namespace: Namespace,
    pod: Name,
    query: dict[str, Any],
    out: TextIO,
) -> None:
    """Stream a pod's log into `out` as it grows, until it ends or Ctrl-C (quietly, as kubectl)."""
    import contextlib

    response = cluster.connection.open(
        "GET",
        kind.url(namespace, pod, "log"),
        query={**query, "follow": "true"},
        action=f"follow the log of pods/{pod}",
        timeout=(5.0, None),  # a quiet log is no error
    )
    opened = getattr(out, "opened", None)
    if callable(opened):  # a reader in another thread stops a quiet log by shutting this
        opened(response)
    try:
        for chunk in response.stream(4096, decode_content=True):
            out.write(chunk.decode("utf-8", "replace"))
            out.flush()
    except KeyboardInterrupt:
        pass  # the user stopped following; what was shown stays
    finally:
        with contextlib.suppress(Exception):
            response.release_conn()
        with contextlib.suppress(Exception):
            response.close()


def logs(
    cluster: Cluster,
    location: Location,
    *,
    container: str | None = None,
    tail: int | None = None,
    previous: bool = False,
    since_seconds: int | None = None,
    timestamps: bool = False,
    follow_to: TextIO | None = None,
    since_time: str | None = None,
    limit_bytes: int | None = None,
    all_containers: bool = False,
    prefix: bool = False,
    selector: str | None = None,
    all_pods: bool = False,
    max_log_requests: int = 5,
) -> Text | None:
    """A pod's log (one container); of a workload or service, the log of the pod kubectl
    picks (a `PickedLog` saying which), or with `all_pods` every pod's, prefixed.

    With `follow_to`, the log streams there until interrupted and nothing is returned. As
    kubectl: `since_time` (RFC 3339), `limit_bytes`, `all_containers`, `prefix`
    (`[pod/NAME/CONTAINER] ` on each line; `all_pods` sets it), and `selector` on a pods
    directory (each matching pod; `tail` then defaults to 10; `tail=-1` is every line, as
    kubectl's `--tail=-1`).
    """
    every_line = tail == -1 and not isinstance(tail, bool)  # kubectl's --tail=-1, -l too
    if every_line:
        tail = None
    for value, label in (
        (tail, "tail"),
        (since_seconds, "since_seconds"),
        (limit_bytes, "limit_bytes"),
    ):
        if value is not None and (not isinstance(value, int) or value < 0):
            raise BadArgument(f"{label} must be a non-negative integer, not {value!r}")
    if since_time is not None and since_seconds is not None:
        raise BadArgument("give since_seconds or since_time, not both (as kubectl)")
    if since_time is not None:
        from kjupyter.cluster.describing import instant

        try:
            instant(since_time)
        except ValueError:
            raise BadArgument(
                f"since_time is an RFC 3339 time such as 2024-01-02T03:04:05Z, not {since_time!r}"
            ) from None
    if all_containers and container:
        raise BadArgument(
            f"give all_containers or container={container!r}, not both (as kubectl)"
        )
    if not isinstance(max_log_requests, int) or max_log_requests < 1:
        raise BadArgument(f"max_log_requests must be a positive integer, not {max_log_requests!r}")
    extra = {"sinceTime": since_time, "limitBytes": limit_bytes}
    if selector is not None or all_containers or prefix or all_pods:
        return _logs_of_pods(
            cluster,
            location,
            container=container,
            query_options={
                "tailLines": tail if tail is not None or selector is None or every_line else 10,
                "previous": "true" if previous else None,
                "sinceSeconds": since_seconds,
                "timestamps": "true" if timestamps else None,
                **extra,
            },
            all_containers=all_containers,
            prefix=prefix or all_pods,
            selector=selector,
            all_pods=all_pods,
            follow_to=follow_to,
            max_log_requests=max_log_requests,
        )
    kind, namespace, name = object_target(cluster, location)
    sub = location.sub
    if len(sub) == 3 and sub[0] == "containers":
        container = container or sub[1]
    query = {
        "container": container,
        "tailLines": tail,
        "previous": "true" if previous else None,
        "sinceSeconds": since_seconds,
        "timestamps": "true" if timestamps else None,
        **extra,
    }

    if kind.group == "" and kind.plural == "pods":
        if not container:
            assert namespace is not None
            query["container"] = execution.pick_container(cluster, namespace, name)
        if follow_to is not None:
            assert namespace is not None
            follow(cluster, kind, namespace, name, query, follow_to)
            return None
        data = cluster.connection.request(
            "GET",
            kind.url(namespace, name, "log"),
            query=query,
            raw=True,
            action=f"read the log of pods/{name}",
        )
        return Text(data.decode("utf-8", "replace"))
    if (kind.group, kind.plural) in POD_OWNERS:  # one pod, the one kubectl picks for logs
        if follow_to is None:
            return _logs_of_pods(
                cluster, location, container=container, query_options=query,
                all_containers=False, prefix=False, selector=None, all_pods=False,
            )  # fmt: skip
        first = picking.pods_for_logs(cluster, location)[0]
        assert namespace is not None
        picked = {**query, "container": container or execution.default_container(first)}
        pods = cluster.discovery.lookup("pods")
        follow(cluster, pods, namespace, first["metadata"]["name"], picked, follow_to)
        return None
    raise BadPath(f"{kind.plural} have no logs; logs reads pods and workloads that own pods")


def _logs_of_pods(
    cluster: Cluster,
    location: Location,
    *,
    container: str | None,
    query_options: dict[str, Any],
    all_containers: bool,
    prefix: bool,
    selector: str | None,
    all_pods: bool,
    follow_to: TextIO | None = None,
    max_log_requests: int = 5,
) -> Text | None:
    """kubectl logs with -l, --all-containers, --prefix or --all-pods: pod after pod,
    container after container (pods by name; init, then app containers). Of a workload
    without `all_pods`, the one pod kubectl picks (a `PickedLog`). With `follow_to`, all
    of them are followed at once into it (`follow_many`) and nothing is returned."""
    pods_kind = cluster.discovery.lookup("pods")
    kind = location.kind
    namespace = location.namespace
    picked: tuple[str, int] | None = None  # (pod, of how many) when one was picked
    if selector is not None:
        if location.level is not Level.KIND or kind is None or kind.plural != "pods":
            raise BadPath(f"logs -l selects pods: give a pods directory, not {location.path}")
        found = listing.objects(cluster, pods_kind, namespace, selector)
    elif kind is not None and kind.group == "" and kind.plural == "pods":
        found = [get_object(cluster, location)]
    elif kind is not None and (kind.group, kind.plural) in POD_OWNERS:
        if location.level is not Level.OBJECT or location.sub:
            raise BadPath(f"logs reads one object of {kind.plural}, not {location.path}")
        owned = picking.pods_for_logs(cluster, location)
        found = owned if all_pods else owned[:1]
        if not all_pods:
            picked = (owned[0]["metadata"]["name"], len(owned))
    else:
        raise BadPath(f"{location.path} has no logs; logs reads pods and workloads that own pods")
    streams: list[tuple[Namespace, Name, str]] = []
    for pod in sorted(found, key=lambda item: item["metadata"]["name"]):
        spec, name = pod.get("spec") or {}, Name(pod["metadata"]["name"])
        if all_containers:
            names = [c["name"] for key in ("initContainers", "containers", "ephemeralContainers")
                     for c in spec.get(key) or []]  # fmt: skip
        else:
            names = [container or execution.default_container(pod) or ""]
        streams += [(Namespace(pod["metadata"]["namespace"]), name, each) for each in names]
    if follow_to is not None:
        follow_many(cluster, streams, query_options, follow_to, prefix=prefix,
                    max_log_requests=max_log_requests)  # fmt: skip
        return None
    parts: list[str] = []
    for pod_namespace, name, each in streams:
        data = cluster.connection.request(
            "GET",
            pods_kind.url(pod_namespace, name, "log"),
            query={**query_options, "container": each},
            raw=True,
            action=f"read the log of pods/{name}",
        )
        text = data.decode("utf-8", "replace")
        if prefix:
            text = "".join(f"[pod/{name}/{each}] {line}\n" for line in text.splitlines())
        parts.append(text)
    if picked is not None:
        return PickedLog("".join(parts), *picked)
    return Text("".join(parts))


def follow_many(
    cluster: Cluster,
    streams: list[tuple[Namespace, Name, str]],
    query: dict[str, Any],
    out: TextIO,
    *,
    prefix: bool,
    max_log_requests: int = 5,
) -> None:
    """Follow several containers' logs at once into `out`, whole lines at a time, until
    they all end or Ctrl-C (quietly), as `kubectl logs -f -l` (at most `max_log_requests`)."""
    import contextlib
    import threading

    if not streams:
        raise NotFound("logs -f: no pod to follow")
    if len(streams) > max_log_requests:
        raise BadArgument(
            f"you are attempting to follow {len(streams)} log streams, but at most "
            f"{max_log_requests} are followed at once; max_log_requests= "
            "(--max-log-requests) raises it, as kubectl's"
        )
    pods = cluster.discovery.lookup("pods")
    lock = threading.Lock()
    responses: list[Any] = []
    try:
        for namespace, name, container in streams:  # opened here: a refusal is one line
            responses.append(cluster.connection.open(
                "GET", pods.url(namespace, name, "log"),
                query={**query, "container": container, "follow": "true"},
                action=f"follow the log of pods/{name}", timeout=(5.0, None),
            ))  # fmt: skip

        def pump(response: Any, label: str) -> None:
            pending = b""
            with contextlib.suppress(Exception):  # shut from the main thread: the end
                for chunk in response.stream(4096, decode_content=True):
                    *lines, pending = (pending + chunk).split(b"\n")
                    if lines:
                        with lock:
                            for line in lines:
                                out.write(label + line.decode("utf-8", "replace") + "\n")
                            out.flush()
            if pending:
                with lock:
                    out.write(label + pending.decode("utf-8", "replace"))
                    out.flush()

        threads = [
            threading.Thread(
                target=pump, args=(response, f"[pod/{name}/{container}] " if prefix else ""),
                name=f"kjupyter-logs-{name}-{container}", daemon=True,
            )
            for response, (_, name, container) in zip(responses, streams, strict=False)
        ]  # fmt: skip
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            for thread in threads:
                thread.join(timeout=0.2)  # (a bounded join, so Ctrl-C reaches this thread)
    except KeyboardInterrupt:
        pass  # the user stopped following; what was shown stays
    finally:
        for response in responses:
            with contextlib.suppress(Exception):
                response.shutdown()  # a quiet stream's blocked read ends
            with contextlib.suppress(Exception):
                response.release_conn()
            with contextlib.suppress(Exception):
                response.close()


@dataclass(frozen=True)
class Description:
    """An object as kubectl describe shows it: its sections under kubectl's headings.

    `d["Containers"]["app"]["Last State"]["Exit Code"]`, `d.keys()`; the conditions,
    containers and events frames are also attributes (the tree widget draws them).
    """

    object: KubeObject
    conditions: Any
    containers: Any
    events: Any
    data: dict[str, Any] | None = None  # as kubectl shows it: values, a Secret's sizes
    sections: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.sections:  # built from its parts: the object alone gives its headings
            built = describing.sections(dict(self.object))
            if self.data is not None:
                built["Data"] = self.data
            if self.events is not None:
                built["Events"] = self.events
            object.__setattr__(self, "sections", built)

    def __getitem__(self, heading: str) -> Any:
        return self.sections[heading]

    def __contains__(self, heading: Any) -> bool:
        return heading in self.sections

    def __iter__(self) -> Iterator[str]:
        return iter(self.sections)

    def keys(self) -> KeysView[str]:
        return self.sections.keys()

    def get(self, heading: str, default: Any = None) -> Any:
        return self.sections.get(heading, default)

    def text(self) -> str:
        from kjupyter.cluster.describing import text

        return text.render(self.sections)

    def __str__(self) -> str:
        return self.text()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.text())


def _data_shown(kind: Any, data: dict[str, Any]) -> dict[str, Any]:
    """What describe shows of `data`, as kubectl: a Secret's sizes, anything else's values."""
    if kind != "Secret":
        return data
    import base64
    import binascii

    sizes: dict[str, Any] = {}
    for key, value in data.items():
        try:
            sizes[key] = f"{len(base64.b64decode(str(value), validate=True))} bytes"
        except (binascii.Error, ValueError):
            sizes[key] = "<hidden>"  # redacted, or not base64
    return sizes


def _pairs(mapping: dict[str, str] | None) -> str:
    if not mapping:
        return "<none>"
    return ", ".join(f"{k}={v}" for k, v in mapping.items())


def describe(cluster: Cluster, location: Location) -> Description:
    """The object (redacted) under kubectl describe's headings, with its events."""
    import pandas as pd

    if location.sub:
        raise BadPath(f"describe takes an object, not {location.path}")
    obj = get_object(cluster, location)
    conditions = (
        (obj.get("status") or {}).get("conditions") if isinstance(obj.get("status"), dict) else None
    )
    conditions_frame = None
    if conditions:
        conditions_frame = pd.DataFrame(conditions)
        if "type" in conditions_frame.columns:
            conditions_frame = conditions_frame.set_index("type")
    containers = listing.containers_frame(obj) if obj.get("kind") == "Pod" else None
    kind, _, name = object_target(cluster, location)
    if location.level is Level.NAMESPACE:  # about the namespace, not everything in it
        about = object_events(cluster, kind, Namespace(name), name)
    else:
        about = events(cluster, location)
    data = obj.get("data")
    shown = _data_shown(obj.get("kind"), data) if isinstance(data, dict) else None
    hidden = redact(obj)
    sections = describing.sections(hidden, related(cluster, obj))
    if shown is not None:
        sections["Data"] = shown
    sections["Events"] = about
    return Description(
        KubeObject(hidden, location.path), conditions_frame, containers, about, shown, sections
    )


def related(cluster: Cluster, obj: dict[str, Any]) -> dict[str, Any]:
    """What kubectl describe reads beside the object: a workload's pods, a node's lease....

    What this identity may not read is left out (its section is then missing or unknown).
    """
    from kjupyter.errors import KjupyterError

    kind, meta = obj.get("kind"), obj.get("metadata") or {}
    namespace, name = meta.get("namespace"), meta.get("name", "")
    spec = obj.get("spec") or {}
    wanted: dict[str, Any] = {}
    selects = bool(spec.get("selector"))
    if kind in _OWNS_PODS and selects:
        wanted["pods"] = ("pods", namespace, {"labelSelector": selectors.from_spec(obj)})
    if kind == "Deployment" and selects:
        wanted["replicasets"] = (
            "replicasets.apps", namespace, {"labelSelector": selectors.from_spec(obj)}
        )  # fmt: skip
    if kind == "Service":
        wanted["endpointslices"] = (
            "endpointslices.discovery.k8s.io", namespace,
            {"labelSelector": f"kubernetes.io/service-name={name}"},
        )  # fmt: skip
    if kind == "PersistentVolumeClaim":
        wanted["pods"] = ("pods", namespace, {})
    if kind == "Node":
        wanted["pods"] = ("pods", None, {"fieldSelector": f"spec.nodeName={name}"})
    found: dict[str, Any] = {}
    for key, (word, where, query) in wanted.items():
        try:
            found[key] = _items(cluster, cluster.discovery.lookup(word), where, query)
        except KjupyterError:
            continue
    if kind == "Node":
        try:
            leases = cluster.discovery.lookup("leases.coordination.k8s.io")
            found["lease"] = cluster.connection.request(
                "GET", leases.url(Namespace("kube-node-lease"), Name(name)), action="get lease"
            )
        except KjupyterError:
            pass
    return found


_OWNS_PODS = frozenset({"ReplicaSet", "StatefulSet", "DaemonSet", "ReplicationController"})


def _items(
    cluster: Cluster, kind: Kind, namespace: str | None, query: dict[str, Any]
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = cluster.connection.request(
            "GET",
            kind.url(Namespace(namespace) if namespace else None),
            query={**query, "limit": 500, "continue": token},
            action=f"list {kind.qualified}",
        )
        found += page.get("items") or []
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            return found
