"""`ls` and `children`: what a location holds, as kubectl's table or as names.

Collections are listed in the server's Table format, paged with `limit`/`continue`: the
fast path (no typed models), and kubectl's own columns for every kind.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from kjupyter.cluster import paths, selectors, tables
from kjupyter.cluster.kinds import Kind, Name, Namespace
from kjupyter.cluster.operations import getting
from kjupyter.cluster.paths import POD_OWNERS, Level, Location
from kjupyter.errors import BadArgument, BadPath, NotFound

if TYPE_CHECKING:
    import pandas as pd

    from kjupyter.cluster.handle import ClusterHandle as Cluster


def ls(
    cluster: Cluster,
    location: Location,
    *,
    wide: bool = False,
    selector: str | None = None,
    field_selector: str | None = None,
    all_namespaces: bool = False,
    chunk_size: int = 500,
    label_columns: Sequence[str] = (),
    show_labels: bool = False,
) -> pd.DataFrame:
    """A DataFrame of the kinds (at `/` and in a namespace) or objects at `location`."""
    if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1:
        raise BadArgument(f"chunk_size must be a positive integer, not {chunk_size!r}")
    level = location.level
    if level is Level.ROOT:
        return kinds_frame(
            cluster, (k for k in cluster.discovery.catalog.preferred() if not k.namespaced)
        )
    if level is Level.NAMESPACE and not all_namespaces:
        return kinds_frame(
            cluster, (k for k in cluster.discovery.catalog.preferred() if k.namespaced)
        )
    if level is Level.NAMESPACE:
        raise BadArgument("all-namespaces needs a kind: ls pods -A")
    assert location.kind is not None
    if level is Level.OBJECT and location.sub:
        return _ls_sub(
            cluster, location, wide=wide, selector=selector, field_selector=field_selector
        )
    namespace = None if all_namespaces else location.namespace
    if level is Level.OBJECT:
        assert location.name is not None
        field_selector = selectors.join(f"metadata.name={location.name}", field_selector)
    frame = list_table(
        cluster,
        location.kind,
        namespace,
        wide=wide,
        selector=selector,
        field_selector=field_selector,
        limit=chunk_size,
        label_columns=label_columns,
        show_labels=show_labels,
    )
    if level is Level.OBJECT:
        if frame.empty and not (selector or all_namespaces):
            raise NotFound(f"{location.path} does not exist")
        return frame
    if level is Level.MATCH:
        assert location.name is not None
        pattern = location.name
        names = frame.index.get_level_values(-1)  # (namespace, name) with all namespaces
        frame = frame[[fnmatch.fnmatchcase(str(n), pattern) for n in names]]
    return frame


def watch(
    cluster: Cluster,
    location: Location,
    out: TextIO,
    *,
    wide: bool = False,
    selector: str | None = None,
    field_selector: str | None = None,
    all_namespaces: bool = False,
) -> pd.DataFrame:
    """`kubectl get -w`: print the list, then each change as one row, until Ctrl-C.

    Returns the latest rows as a DataFrame. Watches from the list's resourceVersion, so no
    change in between is missed; a watch the server ends is resumed, an expired one relisted.
    """
    from kjupyter.cluster import watching

    if location.level not in (Level.KIND, Level.MATCH, Level.OBJECT) or location.sub:
        raise BadArgument(f"watch needs a kind, a glob or an object, not {location.path}")
    kind = location.kind
    assert kind is not None
    namespace = None if all_namespaces else location.namespace
    if location.level is Level.OBJECT:
        field_selector = selectors.join(f"metadata.name={location.name}", field_selector)
    every_namespace = kind.namespaced and namespace is None
    pattern = location.name if location.level is Level.MATCH else None

    def matching(frame: Any) -> Any:
        if pattern is None:
            return frame
        names = frame.index.get_level_values(-1)
        return frame[[fnmatch.fnmatchcase(str(n), pattern) for n in names]]

    def relist() -> tuple[Any, list[dict[str, Any]], str]:
        pages = list(
            table_pages(cluster, kind, namespace, selector=selector, field_selector=field_selector)
        )
        frame = matching(tables.to_frame(pages, wide=wide, namespace_column=every_namespace))
        version = str((pages[-1].get("metadata") or {}).get("resourceVersion") or "")
        return frame, pages[0].get("columnDefinitions") or [], version

    frame, definitions, version = relist()
    out.write(frame.to_string() + "\n")
    out.flush()
    query = {"labelSelector": selector, "fieldSelector": field_selector}
    try:
        while True:
            for event in watching.events(
                cluster.connection,
                kind.url(namespace),
                {**query, "resourceVersion": version, "allowWatchBookmarks": "true"},
                action=f"watch {kind.qualified}",
                timeout=(5.0, None),
                accept=tables.TABLE_ACCEPT,
            ):
                kind_of, table = event.get("type"), event.get("object") or {}
                if kind_of == "ERROR":  # expired (410): list again, go on from there
                    frame, definitions, version = relist()
                    break
                metadata = table.get("metadata") or {}
                rows = table.get("rows") or []
                if rows:
                    row_meta = (rows[0].get("object") or {}).get("metadata") or {}
                    version = str(row_meta.get("resourceVersion") or version)
                else:
                    version = str(metadata.get("resourceVersion") or version)
                if kind_of == "BOOKMARK" or not rows:
                    continue
                changed = matching(
                    tables.to_frame(
                        [{**table, "columnDefinitions": definitions}],
                        wide=wide,
                        namespace_column=every_namespace,
                    )
                )
                if changed.empty:
                    continue
                frame = frame.drop(index=[i for i in changed.index if i in frame.index])
                if kind_of != "DELETED":
                    frame = _concat(frame, changed)
                text = changed.to_string(header=False)
                out.write(f"{text}  ({str(kind_of).lower()})\n")
                out.flush()
    except KeyboardInterrupt:
        return frame  # the user stopped watching: the latest rows


def _concat(frame: Any, more: Any) -> Any:
    import pandas as pd

    return more if frame.empty else pd.concat([frame, more])


def list_table(
    cluster: Cluster,
    kind: Kind,
    namespace: Namespace | None,
    *,
    wide: bool = False,
    selector: str | None = None,
    field_selector: str | None = None,
    limit: int = 500,
    label_columns: Sequence[str] = (),
    show_labels: bool = False,
) -> pd.DataFrame:
    """Every object of `kind` (in `namespace`, or all) as kubectl's table, page by page."""
    if not kind.can("list"):
        raise BadPath(
            f"{kind.plural} cannot be listed: the server only serves "
            f"{', '.join(kind.verbs) or 'nothing'} on them"
        )
    pages = table_pages(
        cluster, kind, namespace, selector=selector, field_selector=field_selector, limit=limit
    )
    every_namespace = kind.namespaced and namespace is None
    frame = tables.to_frame(
        pages,
        wide=wide,
        namespace_column=every_namespace,
        label_columns=label_columns,
        show_labels=show_labels,
    )
    frame.attrs["kind"] = kind.qualified
    return frame


def table_pages(
    cluster: Cluster,
    kind: Kind,
    namespace: Namespace | None,
    *,
    selector: str | None = None,
    field_selector: str | None = None,
    limit: int = 500,
) -> Iterator[dict[str, Any]]:
    """The Table pages of a list, following `continue` tokens (the next page downloading
    while the caller reads this one: `paging`)."""
    from kjupyter.cluster import paging

    where = f" in {namespace}" if namespace else ""

    def fetch(token: str | None) -> bytes:
        return cluster.connection.request(
            "GET",
            kind.url(namespace),
            accept=tables.TABLE_ACCEPT,
            query={
                "limit": limit,
                "continue": token,
                "labelSelector": selector,
                "fieldSelector": field_selector,
            },
            action=f"list {kind.qualified}{where}",
            raw=True,
        )

    for data in paging.prefetched(fetch):
        yield paging.decode(data)


def names(
    cluster: Cluster, kind: Kind, namespace: Namespace | None, selector: str | None = None
) -> list[str]:
    """Names of the objects of a kind (metadata only: cheap enough for completion)."""
    accept = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"
    found: list[str] = []
    token: str | None = None
    while True:
        page = cluster.connection.request(
            "GET",
            kind.url(namespace),
            accept=accept,
            query={"limit": 500, "continue": token, "labelSelector": selector},
            action=f"list {kind.qualified}",
        )
        found += [(item.get("metadata") or {}).get("name", "") for item in page.get("items") or []]
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            return found


def objects(
    cluster: Cluster, kind: Kind, namespace: Namespace | None, selector: str | None = None
) -> list[dict[str, Any]]:
    """The whole objects of a kind (every page): for when names are not enough."""
    found: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = cluster.connection.request(
            "GET",
            kind.url(namespace),
            query={"limit": 500, "continue": token, "labelSelector": selector},
            action=f"list {kind.qualified}",
        )
        found += page.get("items") or []
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            return found


def kinds_frame(cluster: Cluster, kinds: Any) -> pd.DataFrame:
    """The kinds found at a directory (`/` or a namespace), one row each, plural as index."""
    import pandas as pd

    rows = [
        {
            "Name": paths.segment(kind, cluster.discovery),
            "Kind": kind.kind,
            "Group": kind.group,
            "Version": kind.version,
            "Short names": ",".join(kind.short_names),
        }
        for kind in kinds
        if kind.can("list")
    ]
    frame = pd.DataFrame(rows, columns=["Name", "Kind", "Group", "Version", "Short names"])
    return frame.set_index("Name")


def _ls_sub(cluster: Cluster, location: Location, **options: Any) -> Any:
    kind, sub = location.kind, location.sub
    assert kind is not None and location.name is not None
    if sub == ("pods",):
        owner = getting.get_object(
            cluster,
            location.__class__(
                location.path, Level.OBJECT, location.namespace, kind, location.name
            ),
        )
        pods = cluster.discovery.lookup("pods")
        return list_table(
            cluster,
            pods,
            location.namespace,
            wide=options["wide"],
            selector=selectors.join(selectors.from_spec(owner), options["selector"]),
            field_selector=options["field_selector"],
        )
    if sub[0] == "containers":
        pod = getting.get_object(
            cluster, Location(location.path, Level.OBJECT, location.namespace, kind, location.name)
        )
        frame = containers_frame(pod)
        if len(sub) == 1:
            return frame
        if sub[1] not in frame.index:
            raise NotFound(
                f"pod {location.name} has no container {sub[1]!r}; "
                f"containers: {', '.join(frame.index)}"
            )
        if len(sub) == 2:
            return frame.loc[[sub[1]]]
    raise BadPath(f"{location.path} is not a list; use cat (or logs) on it")


def containers_frame(pod: dict[str, Any]) -> pd.DataFrame:
    """The containers of a pod (init, regular, ephemeral) with their state, one row each."""
    import pandas as pd

    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    statuses = {}
    for key in ("initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"):
        for entry in status.get(key) or []:
            statuses[entry["name"]] = entry
    rows = []
    for key, role in (
        ("initContainers", "init"),
        ("containers", "app"),
        ("ephemeralContainers", "ephemeral"),
    ):
        for container in spec.get(key) or []:
            state = statuses.get(container["name"], {})
            current: dict[str, Any] = state.get("state") or {}
            detail = (next(iter(current.values())) or {}) if current else {}
            rows.append(
                {
                    "Name": container["name"],
                    "Role": role,
                    "Image": container.get("image", ""),
                    "Ready": bool(state.get("ready", False)),
                    "State": next(iter(current), "waiting"),
                    "Reason": detail.get("reason", ""),
                    "Restarts": int(state.get("restartCount", 0)),
                }
            )
    frame = pd.DataFrame(
        rows, columns=["Name", "Role", "Image", "Ready", "State", "Reason", "Restarts"]
    )
    return frame.set_index("Name")


def children(cluster: Cluster, location: Location) -> list[str]:
    """What completion offers one level below `location`; directories end with `/`."""
    catalog = cluster.discovery.catalog
    level = location.level
    if level is Level.ROOT:
        return sorted(
            f"{paths.segment(k, cluster.discovery)}/"
            for k in catalog.preferred()
            if not k.namespaced and k.can("list")
        )
    if level is Level.NAMESPACE:
        return sorted(
            f"{paths.segment(k, cluster.discovery)}/"
            for k in catalog.preferred()
            if k.namespaced and k.can("list")
        )
    kind = location.kind
    assert kind is not None
    if level is Level.KIND:
        found = names(cluster, kind, location.namespace)
        is_dir = (
            kind.plural == "namespaces"
            or kind.plural == "pods"
            or ((kind.group, kind.plural) in POD_OWNERS)
        )
        return sorted(f"{n}/" if is_dir else n for n in found)
    if level is Level.OBJECT and kind.group == "" and kind.plural == "pods":
        if location.sub == ("containers",):
            pod = _pod(cluster, location)
            return sorted(f"{c}/" for c in containers_frame(pod).index)
        if len(location.sub) == 2 and location.sub[0] == "containers":
            return ["log"]
        if not location.sub:
            return ["containers/", "log"]
    if level is Level.OBJECT and not location.sub and (kind.group, kind.plural) in POD_OWNERS:
        return ["pods"]
    return []


def _pod(cluster: Cluster, location: Location) -> dict[str, Any]:
    assert location.kind is not None and location.name is not None
    return getting.get_object(
        cluster,
        Location(
            location.path, Level.OBJECT, location.namespace, location.kind, Name(location.name)
        ),
    )
