"""`Cluster`: the cluster as a tree you walk (`cd`, `ls`, `cat`) and act on.

The object scripts, tests and the `%k8s` magics all use. It holds the connection, the cached
discovery and the current directory; the work of each verb lives in `operations/`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from kjupyter import deprecation
from kjupyter.cluster import paths
from kjupyter.cluster.connection import Connection, load
from kjupyter.cluster.discovery import Discovery
from kjupyter.cluster.kinds import Namespace
from kjupyter.cluster.objects import ExecResult, KubeObject, Text
from kjupyter.cluster.operations import (
    access,
    applying,
    changing,
    copying,
    descriptions,
    diffing,
    editing,
    execution,
    forwarding,
    listing,
    metadata_lists,
    metrics,
    picking,
    reading,
    revisions,
    rollouts,
    sessions,
    several,
)
from kjupyter.cluster.operations import output as outputs
from kjupyter.cluster.paths import Level, Location
from kjupyter.errors import BadArgument, BadPath, Forbidden, NoSuchResource, NotFound

if TYPE_CHECKING:
    import pandas as pd

Method = TypeVar("Method", bound=Callable[..., Any])


def rediscovering(method: Method) -> Method:
    """Refresh discovery when a kind it listed answers "404 page not found", then retry once.

    A CRD deleted since discovery leaves a cached kind whose URLs are gone (issue 10): as on a
    miss, the catalog is fetched again, so the kind is unknown (`BadPath`) or found anew.
    """

    @functools.wraps(method)
    def wrapper(self: Cluster, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except NoSuchResource:
            path = args[0] if args else kwargs.get("path", ".")
            before = self.resolve(path)
            self.discovery.refresh()
            if self.resolve(path) == before:  # still served as it was: the 404 stands
                raise
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _words(given: tuple[Any, ...]) -> Any:
    """`("a=1", "b-")` as given, or the one mapping given instead (`{"a": "1", "b": None}`)."""
    return given[0] if len(given) == 1 and isinstance(given[0], Mapping) else given


def connect(
    context: str | None = None, kubeconfig: str | os.PathLike[str] | None = None
) -> Cluster:
    """Connect to a cluster: a kubeconfig context (default: the current one) or in-cluster.

    In [1]: k = kjupyter.connect()
    In [2]: k.ls("pods")
    """
    return Cluster(load(context=context, kubeconfig=kubeconfig))


class Cluster:
    """One identity on one cluster, with a current directory (starts at `~`)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.discovery = Discovery(self._fetch_discovery)
        self._cwd = f"/namespaces/{connection.namespace}"
        # the targets of the last unconfirmed delete: the same delete next confirms it
        self.armed_delete: tuple[Any, ...] | None = None
        self.forwards: dict[int, forwarding.Forward] = {}  # port-forwards kept until stopped

    def __repr__(self) -> str:
        return f"<Cluster context={self.context!r} server={self.connection.server} cwd={self._cwd}>"

    def _fetch_discovery(self, path: str, accept: str) -> dict[str, Any]:
        return self.connection.request("GET", path, accept=accept, action="discover kinds")

    # -- where we are ---------------------------------------------------------------------

    @property
    def context(self) -> str | None:
        return self.connection.context

    @property
    def home(self) -> str:
        """The context's default namespace (what `~` means)."""
        return self.connection.namespace

    @property
    def namespace(self) -> Namespace:
        """The namespace of the current directory, or the context's default outside one."""
        segments = paths.normalize(self._cwd, "/", self.home)
        if len(segments) >= 2 and segments[0] == "namespaces":
            return Namespace(segments[1])
        return Namespace(self.home)

    def resolve(self, path: str = ".") -> Location:
        """The location `path` names from the current directory (raises `BadPath`)."""
        if not isinstance(path, str):
            raise BadPath(f"a path is a string, not {type(path).__name__}")
        return paths.resolve(path, self._cwd, self.home, self.discovery)

    def pwd(self) -> str:
        return self._cwd

    def cd(self, path: str = "~") -> str:
        """Change the current directory to `path` (a namespace, kind or object); return it."""
        location = self.resolve(path)
        if location.level is Level.MATCH:
            raise BadPath(f"cannot cd into a glob ({location.path})")
        if location.level in (Level.OBJECT, Level.NAMESPACE):
            try:
                reading.get_object(self, location)  # NotFound before we move
            except Forbidden:
                if location.level is Level.OBJECT:
                    raise  # (who may not read namespaces may still work inside one)
        self._cwd = location.path
        return self._cwd

    def use(self, context: str) -> Cluster:
        """A new `Cluster` on another context of the same kubeconfig."""
        return connect(context=context, kubeconfig=self.connection.kubeconfig)

    def refresh(self) -> None:
        """Forget discovered kinds (after installing a CRD elsewhere)."""
        self.discovery.refresh()

    def close(self) -> None:
        self.stop_port_forward()
        self.connection.close()

    # -- reading --------------------------------------------------------------------------

    @rediscovering
    def ls(
        self,
        path: str = ".",
        *,
        wide: bool = False,
        selector: str | None = None,
        field_selector: str | None = None,
        all_namespaces: bool = False,
        chunk_size: int = 500,
        limit: int | None = None,
        label_columns: Sequence[str] = (),
        show_labels: bool = False,
        sort_by: str | None = None,
    ) -> pd.DataFrame | several.Tables:
        """A DataFrame of what `path` holds, with the columns `kubectl get` shows.

        Lists are read `chunk_size` objects a request (kubectl's `--chunk-size`); every page is
        read. `limit=` is the deprecated spelling of `chunk_size=`.
        `label_columns` adds a column per label key (kubectl's `-L`), `show_labels` a `Labels`
        column (`--show-labels`), `sort_by` orders rows by a JSONPath field (`.spec.replicas`).
        """
        if limit is not None:
            deprecation.renamed("Cluster.ls", "limit", "chunk_size", stacklevel=4)  # (decorated)
            chunk_size = limit
        if isinstance(label_columns, str):
            label_columns = [key for key in label_columns.split(",") if key]
        expanded = several.expand(self, path)
        if expanded is not None:  # `pods,svc` or a category (`all`): a table per kind
            frames = {
                one.rsplit("/", 1)[-1]: self.ls(
                    one, wide=wide, selector=selector, field_selector=field_selector,
                    all_namespaces=all_namespaces, chunk_size=chunk_size,
                    label_columns=label_columns, show_labels=show_labels, sort_by=sort_by,
                )
                for one in expanded
            }  # fmt: skip
            return several.Tables({kind: f for kind, f in frames.items() if len(f)})
        location = self.resolve(path)
        frame = listing.ls(
            self,
            location,
            wide=wide,
            selector=selector,
            field_selector=field_selector,
            all_namespaces=all_namespaces,
            chunk_size=chunk_size,
            label_columns=list(label_columns),
            show_labels=show_labels,
        )
        if sort_by:
            frame = outputs.sort_by(
                self, frame, location, sort_by, selector=selector, all_namespaces=all_namespaces
            )
        return frame

    @rediscovering
    def get(
        self,
        path: str = ".",
        output: str = "yaml",
        *,
        selector: str | None = None,
        all_namespaces: bool = False,
        reveal: bool = False,
    ) -> KubeObject | Text | pd.DataFrame:
        """`kubectl get -o name|yaml|json|jsonpath=TEMPLATE|custom-columns=SPEC`: the objects
        at `path` in that form (custom-columns: a DataFrame of those columns).

        In [1]: k.get("pods", "jsonpath={.items[*].status.podIP}")
        In [2]: k.get("pods", "custom-columns=NAME:.metadata.name,NODE:.spec.nodeName")
        """
        kind, found, one = outputs.objects(
            self, self.resolve(path), selector=selector, all_namespaces=all_namespaces
        )
        return outputs.render(kind, found, one, output, reveal=reveal)

    @rediscovering
    def watch(
        self,
        path: str = ".",
        *,
        out: Any = None,
        wide: bool = False,
        selector: str | None = None,
        field_selector: str | None = None,
        all_namespaces: bool = False,
    ) -> pd.DataFrame:
        """`kubectl get -w`: print the list and then each change into `out` (default: stdout)
        until Ctrl-C; return the latest rows as a DataFrame."""
        import sys

        return listing.watch(
            self,
            self.resolve(path),
            out or sys.stdout,
            wide=wide,
            selector=selector,
            field_selector=field_selector,
            all_namespaces=all_namespaces,
        )

    @rediscovering
    def children(self, path: str = ".") -> list[str]:
        """Names one level below `path` (directories end with `/`): completion, widgets."""
        return listing.children(self, self.resolve(path))

    @rediscovering
    def cat(self, path: str, *, reveal: bool = False) -> KubeObject | Text:
        """The object at `path`, shown as YAML; Secrets' values redacted unless `reveal`."""
        return reading.cat(self, self.resolve(path), reveal=reveal)

    @rediscovering
    def describe(
        self, path: str, *, selector: str | None = None
    ) -> reading.Description | descriptions.Descriptions:
        """The object with its conditions, containers and events, as kubectl describe shows.

        A kind, a glob or `selector` describes each object (a `Descriptions` by name); a name
        no object has describes those it starts, as kubectl does (`describe("pods/web")`).
        """
        location = self.resolve(path)
        if location.level in (Level.KIND, Level.MATCH) or selector:
            return descriptions.many(self, location, selector)
        try:
            return reading.describe(self, location)
        except NotFound:
            found = descriptions.by_prefix(self, location)
            if found is None:
                raise
            return found

    @rediscovering
    def events(
        self, path: str = ".", *, wide: bool = False, types: str | Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Events of the namespace, kind or object at `path`, oldest first; `types` keeps
        Normal or Warning ones (`"Warning"`, `["Normal", "Warning"]`: kubectl's --types)."""
        return reading.events(self, self.resolve(path), wide=wide, types=types)

    @rediscovering
    def logs(
        self,
        path: str,
        *,
        container: str | None = None,
        tail: int | None = None,
        previous: bool = False,
        since_seconds: int | None = None,
        timestamps: bool = False,
        follow: bool = False,
        out: Any = None,
        since_time: str | None = None,
        limit_bytes: int | None = None,
        all_containers: bool = False,
        prefix: bool = False,
        selector: str | None = None,
        all_pods: bool = False,
        max_log_requests: int = 5,
    ) -> Text | None:
        """Logs of a pod, as text; of a workload or service, of the pod kubectl picks (the
        `PickedLog`'s `.pod`, `.note`: "Found 3 pods, using pod/web-abc"), or with `all_pods`
        of every pod, each line prefixed `[pod/NAME/CONTAINER] ` (kubectl's `--all-pods`).

        `follow` streams the log into `out` (default: stdout) until Ctrl-C, as `kubectl logs
        -f`, and returns None; with `selector`, `all_containers` or `all_pods`, every stream
        at once, line by line (at most `max_log_requests`, kubectl's `--max-log-requests`).
        `since_time`, `limit_bytes`, `all_containers`, `prefix` and
        `selector` (on a pods directory) are kubectl's flags of the same names.

        In [1]: k.logs("deploy/web", tail=20).pod
        """
        import sys

        return reading.logs(
            self,
            self.resolve(path),
            container=container,
            tail=tail,
            previous=previous,
            since_seconds=since_seconds,
            timestamps=timestamps,
            follow_to=(out or sys.stdout) if follow else None,
            since_time=since_time,
            limit_bytes=limit_bytes,
            all_containers=all_containers,
            prefix=prefix,
            selector=selector,
            all_pods=all_pods,
            max_log_requests=max_log_requests,
        )

    @rediscovering
    def top(
        self,
        path: str = ".",
        *,
        all_namespaces: bool = False,
        selector: str | None = None,
        sort_by: str | None = None,
    ) -> pd.DataFrame:
        """CPU and memory use of pods or nodes (with CPU % and Memory % of what nodes can
        allocate) from the metrics API; one-line error without it. `sort_by`: cpu or memory."""
        return metrics.top(
            self,
            self.resolve(path),
            all_namespaces=all_namespaces,
            selector=selector,
            sort_by=sort_by,
        )

    def can_i(
        self, verb: str | None = None, path: str | None = None, *, namespace: str | None = None
    ) -> pd.DataFrame | bool:
        """What this identity may do in a namespace (a DataFrame), or whether it may `verb path`."""
        if verb is not None:
            return access.allowed(self, verb, self.resolve(path or "."))
        return access.rules(self, Namespace(namespace) if namespace else self.namespace)

    # -- changing -------------------------------------------------------------------------

    @rediscovering
    def delete(
        self,
        path: str,
        *,
        all: bool = False,
        selector: str | None = None,
        grace_period: int | None = None,
        wait: bool = False,
        timeout: float = 120.0,
        yes: bool = False,
        dry_run: bool = False,
        force: bool = False,
        now: bool = False,
    ) -> pd.DataFrame:
        """Delete the object(s) at `path`; a whole collection needs `all=True` (as kubectl).

        A namespace, a cluster-scoped object, a glob's matches or a `.`/`..` path need `yes`
        or the same call repeated (the first raises `ConfirmationNeeded`, deleting nothing).
        `now` (grace period 1 s) and `force` (0 s, not waiting for the containers; a grace
        period of 0 without it is 1 s) are kubectl's `--now` and `--force`.
        """
        return changing.delete(
            self,
            self.resolve(path),
            all_=all,
            selector=selector,
            grace_period=grace_period,
            wait=wait,
            timeout=timeout,
            yes=yes,
            dry_run=dry_run,
            dotted=paths.has_dots(path) if isinstance(path, str) else False,
            force=force,
            now=now,
        )

    @rediscovering
    def rollout_status(self, path: str, *, timeout: float = 300.0, out: Any = None) -> Text:
        """`kubectl rollout status`: print each step into `out` (default: stdout) until done."""
        import sys

        return rollouts.status(self, self.resolve(path), timeout=timeout, out=out or sys.stdout)

    @rediscovering
    def wait(
        self,
        path: str,
        *,
        condition: str | None = None,
        value: str = "True",
        delete: bool = False,
        all: bool = False,
        selector: str | None = None,
        timeout: float = 30.0,
        jsonpath: str | None = None,
        equals: str | None = None,
        create: bool = False,
    ) -> pd.DataFrame:
        """`kubectl wait`: until the object(s) have `condition` = `value`, have a `jsonpath`
        value (`equals` it, or any), or are gone (`delete`); `create` waits for the object
        to exist first, as kubectl's `--for=create`.

        In [1]: k.wait("pods/web-0", jsonpath="{.status.phase}", equals="Running")
        """
        return changing.wait(
            self,
            self.resolve(path),
            condition=condition,
            value=value,
            delete=delete,
            all_=all,
            selector=selector,
            timeout=timeout,
            jsonpath=jsonpath,
            equals=equals,
            create=create,
        )

    @rediscovering
    def scale(self, path: str, replicas: int) -> pd.DataFrame:
        """Set the replicas of a deployment, statefulset, replicaset (any kind with `/scale`)."""
        return changing.scale(self, self.resolve(path), replicas)

    @rediscovering
    def restart(self, path: str) -> pd.DataFrame:
        """Rolling restart of a deployment, statefulset or daemonset (kubectl rollout restart)."""
        return changing.restart(self, self.resolve(path))

    def apply(
        self,
        manifest: str,
        *,
        namespace: str | None = None,
        force_conflicts: bool = False,
        dry_run: bool = False,
        force: bool | None = None,
        selector: str | None = None,
        prune: bool = False,
        all: bool = False,
        yes: bool = False,
    ) -> pd.DataFrame:
        """Server-side apply every document of a YAML text; a DataFrame says what changed.

        `force_conflicts` takes over fields another manager owns (kubectl's
        `--force-conflicts`); `force=` is its deprecated spelling. `selector` applies the
        documents it matches (kubectl's `-l`). `prune` (with `selector`, or `all`) deletes
        the objects of that selector kjupyter applied before that the manifest no longer
        has (kubectl's `--prune -l`; see `diff(..., prune=True)`): it needs `yes` or the same
        call again (the first raises `ConfirmationNeeded`, changing nothing); `dry_run` shows it.

        In [1]: k.apply(open("app.yaml").read(), selector="app=web", prune=True, yes=True)
        """
        if force is not None:
            deprecation.renamed("Cluster.apply", "force", "force_conflicts")
            force_conflicts = force
        return applying.apply(
            self,
            manifest,
            namespace=Namespace(namespace) if namespace else self.namespace,
            force=force_conflicts,
            dry_run=dry_run,
            selector=selector,
            prune=prune,
            all_=all,
            yes=yes,
        )

    def diff(
        self,
        manifest: str,
        *,
        namespace: str | None = None,
        force_conflicts: bool = False,
        selector: str | None = None,
        prune: bool = False,
        all: bool = False,
    ) -> diffing.Diff:
        """What `apply(manifest)` would change, as `kubectl diff --server-side`: a unified diff
        of each live object against the server's dry run of the apply (empty: no change).
        `selector` diffs the documents it matches; `prune` (with `selector` or `all`) shows
        what `apply(..., prune=True)` would delete as deleted (`.pruned`), deleting nothing.

        In [1]: print(k.diff(open("deploy.yaml").read()))
        In [2]: k.diff(open("app.yaml").read(), selector="app=web", prune=True).pruned
        """
        return diffing.diff(
            self,
            manifest,
            namespace=Namespace(namespace) if namespace else self.namespace,
            force=force_conflicts,
            selector=selector,
            prune=prune,
            all_=all,
        )

    @rediscovering
    def patch(
        self,
        path: str,
        patch: Any,
        *,
        type: str = "strategic",
        all: bool = False,
        selector: str | None = None,
        dry_run: bool = False,
    ) -> pd.DataFrame:
        """`kubectl patch --type strategic|merge|json`: `patch` is a dict, a list (json) or
        its JSON/YAML text.

        In [1]: k.patch("deploy/web", {"spec": {"replicas": 2}})
        """
        return editing.patch(
            self, self.resolve(path), patch, patch_type=type, all_=all, selector=selector,
            dry_run=dry_run,
        )  # fmt: skip

    @rediscovering
    def label(
        self,
        path: str,
        *changes: str | Mapping[str, str | None],
        overwrite: bool = False,
        all: bool = False,
        selector: str | None = None,
        dry_run: bool = False,
    ) -> pd.DataFrame:
        """`kubectl label`: `KEY=VALUE` sets, `KEY-` removes (or one mapping, None removes);
        changing a value needs `overwrite` (otherwise nothing changes, `BadArgument` says why).

        In [1]: k.label("pods/web-0", "tier=front", "old-")
        """
        return editing.relabel(
            self, self.resolve(path), _words(changes), field="labels", overwrite=overwrite,
            all_=all, selector=selector, dry_run=dry_run,
        )  # fmt: skip

    @rediscovering
    def annotate(
        self,
        path: str,
        *changes: str | Mapping[str, str | None],
        overwrite: bool = False,
        all: bool = False,
        selector: str | None = None,
        dry_run: bool = False,
    ) -> pd.DataFrame:
        """`kubectl annotate`: as `label`, on metadata.annotations."""
        return editing.relabel(
            self, self.resolve(path), _words(changes), field="annotations", overwrite=overwrite,
            all_=all, selector=selector, dry_run=dry_run,
        )  # fmt: skip

    @rediscovering
    def labels(
        self, path: str, *, all: bool = False, selector: str | None = None
    ) -> pd.Series | pd.DataFrame:
        """`kubectl label --list`: one object's labels (a Series by key), or of several (a glob,
        `selector`, `all`: a DataFrame by Name and Label, column Value). Nothing is written.

        In [1]: k.labels("pods/web-0")["app"]
        """
        return metadata_lists.listed(
            self, self.resolve(path), field="labels", all_=all, selector=selector
        )

    @rediscovering
    def annotations(
        self, path: str, *, all: bool = False, selector: str | None = None
    ) -> pd.Series | pd.DataFrame:
        """`kubectl annotate --list`: as `labels`, of metadata.annotations."""
        return metadata_lists.listed(
            self, self.resolve(path), field="annotations", all_=all, selector=selector
        )

    @rediscovering
    def set_image(
        self,
        path: str,
        *images: str | Mapping[str, str],
        all: bool = False,
        selector: str | None = None,
        dry_run: bool = False,
    ) -> pd.DataFrame:
        """`kubectl set image`: `CONTAINER=IMAGE` per container, `*=IMAGE` for all of them.

        In [1]: k.set_image("deploy/web", "app=nginx:2")
        """
        return editing.set_image(
            self, self.resolve(path), _words(images), all_=all, selector=selector,
            dry_run=dry_run,
        )

    @rediscovering
    def rollout_history(self, path: str, *, revision: int | None = None) -> Any:
        """`kubectl rollout history`: revisions and change causes, or one revision's template."""
        return revisions.history(self, self.resolve(path), revision=revision)

    @rediscovering
    def rollout_undo(
        self, path: str, *, to_revision: int | None = None, dry_run: bool = False
    ) -> pd.DataFrame:
        """`kubectl rollout undo [--to-revision N]`: back to the previous (or Nth) revision."""
        return revisions.undo(self, self.resolve(path), to_revision=to_revision, dry_run=dry_run)

    @rediscovering
    def rollout_pause(self, path: str, *, dry_run: bool = False) -> pd.DataFrame:
        """`kubectl rollout pause`: template changes wait until resume (deployments)."""
        return revisions.pause(self, self.resolve(path), paused=True, dry_run=dry_run)

    @rediscovering
    def rollout_resume(self, path: str, *, dry_run: bool = False) -> pd.DataFrame:
        """`kubectl rollout resume`: a paused deployment rolls out again."""
        return revisions.pause(self, self.resolve(path), paused=False, dry_run=dry_run)

    @rediscovering
    def port_forward(
        self, path: str, *ports: str | int, connect: forwarding.Connect | None = None
    ) -> forwarding.Forward:
        """`kubectl port-forward`: 127.0.0.1:LOCAL reaches the port of the pod `path` names
        (a workload or service: the pod kubectl picks; a service port: its targetPort), kept
        until `stop_port_forward`. Ports: `8080:80`, `80`, `:80` (any free local port).

        Each connection gets its own tunnel through the API server
        (`kjupyter.cluster.portforward.PortForward`; `connect(api_client, namespace, pod,
        port)` opens another kind).

        In [1]: k.port_forward("svc/web", "8080:80")
        """
        if connect is None:
            from kjupyter.cluster.portforward import PortForward

            connect = PortForward
        forward = forwarding.start(self, self.resolve(path), list(ports), connect)
        self.forwards[forward.id] = forward
        return forward

    def port_forwards(self) -> pd.DataFrame:
        """The port-forwards this Cluster keeps: id, target, pod, ports, connections, errors."""
        import pandas as pd

        rows = [
            {"Id": f.id, "Target": f.target, "Pod": f.pod,
             "Ports": ", ".join(f"{local}->{remote}" for local, remote in f.ports),
             "Connections": f.connections, "Last Error": f.errors[-1] if f.errors else None}
            for f in self.forwards.values()
        ]  # fmt: skip
        columns = ["Id", "Target", "Pod", "Ports", "Connections", "Last Error"]
        return pd.DataFrame(rows, columns=columns).set_index("Id")

    def stop_port_forward(self, forward: int | None = None) -> list[int]:
        """Stop one port-forward by id (all of them without one); the ids stopped."""
        if forward is not None and forward not in self.forwards:
            known = ", ".join(map(str, self.forwards)) or "none"
            raise NotFound(f"no port-forward {forward} (running: {known})")
        chosen = [forward] if forward is not None else list(self.forwards)
        for number in chosen:
            self.forwards.pop(number).stop()
        return chosen

    def cp(self, source: str, destination: str, *, container: str | None = None) -> copying.Copied:
        """`kubectl cp`: one side is `PATH:FILE` in a pod (a workload or service: the pod
        kubectl picks), the other a local path; a directory is copied whole (tar over exec).

        In [1]: k.cp("pods/web-0:/etc/nginx/nginx.conf", "nginx.conf")
        In [2]: k.cp("data/", "deploy/web:/tmp/data")
        """
        remote_source, remote_destination = (
            isinstance(side, str) and ":" in side for side in (source, destination)
        )
        if remote_source == remote_destination:
            raise BadArgument(
                "cp copies between here and a pod: one side is PATH:FILE (pods/web-0:/tmp/x), "
                "the other a local path"
            )
        where, _, remote = (source if remote_source else destination).partition(":")
        if not remote:
            raise BadArgument(f"cp: {where}: names no file in the pod (pods/web-0:/tmp/x)")
        location = self.resolve(where)
        if picking.owns_pods(location):
            location = picking.pod_of(self, location)
        if remote_source:
            return copying.from_pod(self, location, remote, destination, container=container)
        return copying.to_pod(self, source, location, remote, container=container)

    @rediscovering
    def enter(
        self, path: str, *, container: str | None = None, python: bool = True
    ) -> sessions.ContainerSession:
        """A session in a pod's container (of a workload or service: the pod kubectl picks),
        where `%k8s enter` sends cells: Python that keeps its names, or `sh -c` per cell."""
        location = self.resolve(path)
        if picking.owns_pods(location):
            location = picking.pod_of(self, location)
        return sessions.ContainerSession(self, location, container=container, python=python)

    @rediscovering
    def exec(
        self,
        path: str,
        command: str | list[str],
        *,
        container: str | None = None,
        stdin: str | bytes | None = None,
        timeout: float | None = None,
        out: Any = None,
    ) -> ExecResult:
        """Run `command` in a pod's container (of a workload or service: the pod kubectl picks).

        `out` (a text stream) also gets stdout as it arrives. Ctrl-C stops the command there
        and raises `execution.Interrupted` (a KeyboardInterrupt).
        """
        location = self.resolve(path)
        if picking.owns_pods(location):  # `deploy/web`: one of its pods, as kubectl picks
            location = picking.pod_of(self, location)
        return execution.run(
            self,
            location,
            command,
            container=container,
            stdin=stdin,
            timeout=timeout,
            out=out,
        )
