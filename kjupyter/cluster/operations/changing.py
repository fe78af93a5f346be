"""`delete`, `scale`, `restart`: changes to existing objects.

Every argument is checked and every target resolved before the first request that changes
anything, so a command that fails validation leaves the cluster as it was.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from kjupyter.cluster.kinds import Kind, Name, Namespace
from kjupyter.cluster.paths import Level, Location
from kjupyter.errors import ApiError, BadArgument, BadPath, ConfirmationNeeded, NotFound

if TYPE_CHECKING:
    import pandas as pd

    from kjupyter.cluster.handle import ClusterHandle as Cluster

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
RESTARTABLE = frozenset({("apps", "deployments"), ("apps", "statefulsets"), ("apps", "daemonsets")})


def changes_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """What a change did, one row per object: Kind, Namespace, Result, name as index."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["Name", "Kind", "Namespace", "Result"])
    return frame.set_index("Name")


def targets(
    cluster: Cluster, location: Location, *, all_: bool, selector: str | None, verb: str
) -> tuple[Kind, Namespace | None, list[Name]]:
    """The objects a change acts on: one, those a glob/selector matches, or all with `all_`."""
    from kjupyter.cluster.operations import listing, reading

    if location.level is Level.OBJECT and location.sub:
        raise BadPath(f"{verb} acts on objects, not on {location.path}")
    if location.level in (Level.OBJECT, Level.NAMESPACE):
        if selector:
            raise BadArgument(f"{verb}: a selector needs a kind, not one object")
        kind, namespace, name = reading.object_target(cluster, location)
        return kind, namespace, [name]
    if location.level is Level.ROOT:
        raise BadPath(f"{verb} needs a kind or an object, not /")
    assert location.kind is not None
    kind = location.kind
    if location.level is Level.KIND and not (all_ or selector):
        how = "add --all (all=True) or a selector, or " if verb == "delete" else ""
        raise BadArgument(
            f"{verb} {location.path} would act on every {kind.kind}; "
            f"{how}name objects (a glob works: {location.path}/web-*)"
        )
    found = listing.names(cluster, kind, location.namespace, selector)
    if location.level is Level.MATCH:
        assert location.name is not None
        found = [n for n in found if fnmatch.fnmatchcase(n, location.name)]
    return kind, location.namespace, [Name(n) for n in sorted(found)]


def confirmation_reason(
    location: Location, kind: Kind, namespace: Namespace | None, dotted: bool
) -> str | None:
    """Why deleting these targets needs the user's word first, or None when it does not.

    A namespace takes everything in it, a cluster-scoped object is shared by every namespace,
    a glob may match more than the user looked at, and `.`/`..` name whatever the current
    directory happens to be (issue 10: `delete ..` from a kind deleted its namespace).
    """
    if kind.group == "" and kind.plural == "namespaces":
        return "namespaces are deleted with everything in them"
    if namespace is None:
        return f"{kind.plural} are cluster-scoped"
    if location.level is Level.MATCH:
        return "a glob may match more than you meant"
    if dotted:
        return "'.' and '..' name whatever the current directory is"
    return None


def describe_targets(kind: Kind, namespace: Namespace | None, chosen: list[Name]) -> str:
    """`namespace web`, `3 configmaps in ns (a, b, c)`: what a delete would remove, in words."""
    where = f" in {namespace}" if namespace else ""
    if len(chosen) == 1:
        return f"{kind.kind.lower()} {chosen[0]}{where}"
    shown = ", ".join(chosen[:10]) + (f" and {len(chosen) - 10} more" if len(chosen) > 10 else "")
    return f"{len(chosen)} {kind.plural}{where} ({shown})"


def delete(
    cluster: Cluster,
    location: Location,
    *,
    all_: bool = False,
    selector: str | None = None,
    grace_period: int | None = None,
    wait: bool = False,
    timeout: float = 120.0,
    yes: bool = False,
    dry_run: bool = False,
    dotted: bool = False,
    force: bool = False,
    now: bool = False,
) -> pd.DataFrame:
    """Delete each target; with `wait`, return once the server no longer has them.

    Deletes that reach wide (see `confirmation_reason`) need `yes`, or the same delete
    repeated: the first call arms, raises `ConfirmationNeeded` and changes nothing. `dry_run`
    asks the server what it would delete (`dryRun=All`) and changes nothing. As kubectl:
    `now` is a grace period of 1 s; 0 s becomes 1 s unless `force` (which defaults to 0 s:
    the object goes from the API at once, whether or not its containers stopped).
    """
    if grace_period is not None and (
        not isinstance(grace_period, int) or isinstance(grace_period, bool) or grace_period < 0
    ):
        raise BadArgument(f"grace_period must be a non-negative integer, not {grace_period!r}")
    grace_period = _grace(grace_period, force=force, now=now)
    kind, namespace, chosen = targets(
        cluster, location, all_=all_, selector=selector, verb="delete"
    )
    if not kind.can("delete"):
        raise BadPath(f"{kind.plural} cannot be deleted")
    armed, cluster.armed_delete = cluster.armed_delete, None  # any other delete disarms
    key = (kind.qualified, namespace, tuple(chosen), grace_period)
    reason = confirmation_reason(location, kind, namespace, dotted)
    if reason and chosen and not (yes or dry_run or armed == key):
        cluster.armed_delete = key
        raise ConfirmationNeeded(
            f"delete would remove {describe_targets(kind, namespace, chosen)}: nothing deleted "
            f"({reason}); repeat the same delete to confirm, or add --yes (yes=True); "
            "--dry-run shows it without deleting",
            targets=list(chosen),
        )
    body: dict[str, Any] = {
        "kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"
    }  # fmt: skip
    if grace_period is not None:
        body["gracePeriodSeconds"] = grace_period
    if dry_run:
        # in the body: the server reads a body's DeleteOptions instead of the query's, and a
        # `?dryRun=All` beside this body deleted the namespace for real (seen on v1.36)
        body["dryRun"] = ["All"]
    done = "would delete (dry run)" if dry_run else "deleted"
    rows = []
    uids: dict[Name, str | None] = {}
    for name in chosen:
        try:
            answer = cluster.connection.request(
                "DELETE",
                kind.url(namespace, name),
                body=body,
                action=f"delete {kind.qualified}/{name}",
            )
            metadata, details = answer.get("metadata") or {}, answer.get("details") or {}
            uids[name] = metadata.get("uid") or details.get("uid")
            result = done
        except NotFound:
            if location.level is Level.OBJECT:
                raise
            result = "already gone"
        rows.append({"Name": name, "Kind": kind.kind, "Namespace": namespace, "Result": result})
    if wait and not dry_run:
        _await_gone(cluster, kind, namespace, uids, timeout)
    return changes_frame(rows)


def _grace(grace_period: int | None, *, force: bool, now: bool) -> int | None:
    """kubectl delete's grace period rules for --now, --force and --grace-period."""
    if now and grace_period is not None:
        raise BadArgument("give now or grace_period, not both (as kubectl)")
    if force and grace_period:
        raise BadArgument("force deletes at once: give no grace_period above 0 with it")
    if now:
        return 1
    if force:
        import warnings

        warnings.warn(
            "Immediate deletion does not wait for confirmation that the running resource has "
            "been terminated. The resource may continue to run on the cluster indefinitely.",
            stacklevel=4,
        )
        return 0
    return 1 if grace_period == 0 else grace_period  # 0 needs force, as kubectl


def _await_gone(
    cluster: Cluster,
    kind: Kind,
    namespace: Namespace | None,
    uids: dict[Name, str | None],
    timeout: float,
) -> None:
    """Poll with a deadline until every object is gone (finalizers may hold them).

    An object of the same name with another uid is a new one (a controller recreated it, as
    for `kube-root-ca.crt`): the one deleted is gone.
    """
    deadline = time.monotonic() + timeout
    pending = list(uids)
    delay = 0.05
    while pending:
        still = []
        for name in pending:
            try:
                found = cluster.connection.request(
                    "GET", kind.url(namespace, name), action=f"get {kind.qualified}/{name}"
                )
                if uids[name] in (None, (found.get("metadata") or {}).get("uid")):
                    still.append(name)
            except NotFound:
                pass
        pending = still
        if pending and time.monotonic() > deadline:
            raise ApiError(f"still present after {timeout:g} s: {', '.join(pending)}")
        if pending:
            time.sleep(delay)  # a poll interval on a condition with a deadline
            delay = min(delay * 2, 1.0)


def scale(cluster: Cluster, location: Location, replicas: int) -> pd.DataFrame:
    """Set `spec.replicas` through the `scale` sub-resource of each target."""
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise BadArgument(f"replicas must be a non-negative integer, not {replicas!r}")
    kind, namespace, chosen = targets(cluster, location, all_=False, selector=None, verb="scale")
    if "scale" not in kind.subresources:
        raise BadPath(f"{kind.plural} cannot be scaled (they have no scale sub-resource)")
    rows = []
    for name in chosen:
        before = cluster.connection.request(
            "GET", kind.url(namespace, name, "scale"), action=f"get {kind.qualified}/{name}/scale"
        )
        cluster.connection.request(
            "PATCH",
            kind.url(namespace, name, "scale"),
            body={"spec": {"replicas": replicas}},
            content_type="application/merge-patch+json",
            action=f"scale {kind.qualified}/{name}",
        )
        old = (before.get("spec") or {}).get("replicas", 0)
        result = f"scaled {old} -> {replicas}" if old != replicas else "unchanged"
        rows.append({"Name": name, "Kind": kind.kind, "Namespace": namespace, "Result": result})
    return changes_frame(rows)


def restart_patch() -> dict[str, Any]:
    """The patch `kubectl rollout restart` sends: a new pod template annotation, so new pods."""
    # kubectl stamps whole seconds; microseconds make two restarts in one second two rollouts
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}


def restart_one(cluster: Cluster, url: str, what: str) -> dict[str, Any]:
    """Roll the pods of the workload at `url` (named `what` in errors); the patched object.

    What `restart` does per object, for callers that wait for its new generation (units).
    """
    return cluster.connection.request(
        "PATCH",
        url,
        body=restart_patch(),
        content_type="application/strategic-merge-patch+json",
        action=f"restart {what}",
    )


def restart(cluster: Cluster, location: Location) -> pd.DataFrame:
    """Rolling restart, as `kubectl rollout restart`: stamp the pod template's annotations."""
    kind, namespace, chosen = targets(cluster, location, all_=False, selector=None, verb="restart")
    if (kind.group, kind.plural) not in RESTARTABLE:
        raise BadPath(
            f"{kind.plural} cannot be restarted; restart takes deployments, "
            "statefulsets and daemonsets"
        )
    rows = []
    for name in chosen:
        restart_one(cluster, kind.url(namespace, name), f"{kind.qualified}/{name}")
        rows.append(
            {"Name": name, "Kind": kind.kind, "Namespace": namespace, "Result": "restarted"}
        )
    return changes_frame(rows)


def wait(
    cluster: Cluster,
    location: Location,
    *,
    condition: str | None = None,
    value: str = "True",
    delete: bool = False,
    all_: bool = False,
    selector: str | None = None,
    timeout: float = 30.0,
    jsonpath: str | None = None,
    equals: str | None = None,
    create: bool = False,
) -> pd.DataFrame:
    """`kubectl wait`: until each target has `condition` = `value`, has a `jsonpath` value
    (`equals` it, or any value without `equals`), or is gone (`delete`); `create` waits for
    it to exist first (alone: only that), as kubectl's --for=create.

    Watched from a list's resourceVersion (no change in between is missed), never polled.
    """
    asked = [c for c in (condition, jsonpath, delete or None) if c is not None]
    if len(asked) > 1 or not (asked or create):
        raise BadArgument(
            "wait needs one of --for=condition=NAME[=VALUE], --for=jsonpath='{.PATH}'[=VALUE] "
            "or --for=delete (--for=create may come beside the first two)"
        )
    if create and delete:
        raise BadArgument("wait: --for=create and --for=delete contradict each other")
    if not isinstance(timeout, int | float) or timeout <= 0:
        raise BadArgument(f"timeout must be a positive number of seconds, not {timeout!r}")
    met: Callable[[dict[str, Any]], bool] | None
    if condition is not None:
        what = f"condition {condition}={value}"
        met = lambda obj: _met(obj, condition, value)  # noqa: E731
    elif jsonpath is not None:
        from kjupyter.cluster.operations.output import relaxed_jsonpath

        expression = relaxed_jsonpath(jsonpath, "wait")
        what = f"jsonpath {expression}" + (f"={equals}" if equals is not None else "")
        met = lambda obj: _jsonpath_met(obj, expression, equals)  # noqa: E731
    elif delete:
        what, met = "delete", None
    else:
        what, met = "create", lambda obj: True
    if create and location.level in (Level.OBJECT, Level.NAMESPACE):  # (may not exist yet)
        from kjupyter.cluster.operations.getting import object_target

        if location.sub:
            raise BadPath(f"wait acts on objects, not on {location.path}")
        kind, namespace, name = object_target(cluster, location)
        chosen = [name]
    else:
        kind, namespace, chosen = targets(
            cluster, location, all_=all_, selector=selector, verb="wait"
        )
    deadline = time.monotonic() + timeout
    rows = []
    for name in chosen:
        result = _await_one(cluster, kind, namespace, name, met, deadline, create=create)
        if result is None:
            raise ApiError(
                f"wait {kind.plural}/{name}: timed out after {timeout:g} s waiting for {what}"
            )
        rows.append({"Name": name, "Kind": kind.kind, "Namespace": namespace, "Result": result})
    return changes_frame(rows)


def split_jsonpath_for(text: str) -> tuple[str, str | None]:
    """`{.status.phase}=Running` -> (expression, value); a single `=` splits, `==` does not."""
    import re

    parts = re.split(r"(?<!=)=(?!=)", text)
    if len(parts) > 2:
        raise BadArgument(
            "wait: --for=jsonpath='{.status.readyReplicas}'=3 or "
            "--for=jsonpath='{.status.readyReplicas}', not " + repr(text)
        )
    if len(parts) == 2:
        value = parts[1].strip("'\"")
        if not value:
            raise BadArgument(
                "wait: a value follows the '=' (--for=jsonpath='{.status.phase}'=Running)"
            )
        return parts[0], value
    return parts[0], None


def _jsonpath_met(obj: dict[str, Any], expression: str, equals: str | None) -> bool:
    """kubectl's JSONPath wait: one value found, equal to `equals` (any with None)."""
    from jsonpath_ng.ext import parse

    path = expression[1:-1].lstrip(".")
    try:
        found = [m.value for m in parse(f"$.{path}" if path else "$").find(obj)]
    except Exception as error:  # jsonpath-ng raises plain Exceptions as well as its own
        raise BadArgument(f"wait: cannot read {expression}: {error}") from None
    if not found:
        return False
    if len(found) > 1:
        raise BadArgument(f"wait: {expression} matches more than one value")
    if equals is None:
        return True
    value = found[0]
    if isinstance(value, dict | list):
        raise BadArgument(f"wait: {expression} leads to an object or a list, not a value")
    shown = str(value).lower() if isinstance(value, bool) else str(value)
    return shown.strip() == equals.strip()


def _met(obj: dict[str, Any], condition: str, value: str) -> bool:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return any(
        str(c.get("type", "")).lower() == condition.lower()
        and str(c.get("status", "")).lower() == value.lower()
        for c in conditions
        if isinstance(c, dict)
    )


def _await_one(
    cluster: Cluster,
    kind: Kind,
    namespace: Namespace | None,
    name: Name,
    met: Callable[[dict[str, Any]], bool] | None,
    deadline: float,
    *,
    create: bool = False,
) -> str | None:
    """ "condition met" / "deleted" once so (`met` None: deletion), None at the deadline.
    With `create`, an object not there yet is waited for instead of being an error."""
    from kjupyter.cluster import watching

    field = f"metadata.name={name}"
    done = "condition met"
    while True:
        listing = cluster.connection.request(
            "GET", kind.url(namespace), query={"fieldSelector": field}, action=f"get {name}"
        )
        items = listing.get("items") or []
        if met is None and not items:
            return "deleted"
        if met is not None and not items and not create:
            raise NotFound(f"wait: {kind.plural}/{name} does not exist")
        if met is not None and items and met(items[0]):
            return done
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        version = (listing.get("metadata") or {}).get("resourceVersion")
        query = {"fieldSelector": field, "resourceVersion": version,
                 "timeoutSeconds": str(max(1, int(left)))}  # fmt: skip
        for event in watching.events(
            cluster.connection, kind.url(namespace), query, action=f"watch {name}",
            timeout=(5.0, left + 5.0),
        ):  # fmt: skip
            kind_of, obj = event.get("type"), event.get("object") or {}
            if kind_of == "DELETED" and met is None:
                return "deleted"
            if kind_of in ("ADDED", "MODIFIED") and met is not None and met(obj):
                return done
            if kind_of == "ERROR":
                break  # expired: list again
        if time.monotonic() >= deadline:
            return None
