"""`apply`: server-side apply of every document of a YAML text.

All documents are parsed and their kinds resolved before the first one is sent, so a typo in
the third document changes nothing. A document the server refuses does not stop the others
(as kubectl): `ApplyFailed` then says what was applied beside what failed. Whether an object
was created, changed or left as it was is read from the server (the resourceVersion before
and after).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from kjupyter.cluster.kinds import Kind, Name, Namespace
from kjupyter.cluster.operations import pruning
from kjupyter.cluster.operations.changing import changes_frame, describe_targets
from kjupyter.errors import (
    ApplyFailed,
    BadArgument,
    ConfirmationNeeded,
    Conflict,
    KjupyterError,
    NotFound,
    Unreachable,
)

if TYPE_CHECKING:
    import pandas as pd

    from kjupyter.cluster.handle import ClusterHandle as Cluster

FIELD_MANAGER = "kjupyter"


def documents(text: str) -> list[dict[str, Any]]:
    """The objects of a YAML text: empty documents skipped, `kind: List` flattened."""
    import yaml

    if not isinstance(text, str):
        raise BadArgument(f"apply takes YAML text, not {type(text).__name__}")
    try:
        loaded = list(yaml.safe_load_all(text))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise BadArgument(f"the manifest is not valid YAML{where}: {problem}") from err
    found: list[dict[str, Any]] = []
    for number, doc in enumerate(loaded, 1):
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise BadArgument(f"document {number} is not a mapping (got {type(doc).__name__})")
        if doc.get("kind") == "List" or (
            doc.get("kind", "").endswith("List") and isinstance(doc.get("items"), list)
        ):
            found += [item for item in doc["items"] if isinstance(item, dict)]
        else:
            found.append(doc)
    if not found:
        raise BadArgument("the manifest holds no objects")
    return found


def plan(
    cluster: Cluster, text: str, namespace: Namespace
) -> list[tuple[Kind, Namespace | None, Name, dict[str, Any]]]:
    """Check every document and find its kind: (kind, namespace, name, object) per object."""
    planned = []
    for number, doc in enumerate(documents(text), 1):
        api_version, kind_name = doc.get("apiVersion"), doc.get("kind")
        metadata = doc.get("metadata")
        if not isinstance(api_version, str) or not isinstance(kind_name, str):
            raise BadArgument(f"document {number} needs apiVersion and kind")
        if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str):
            raise BadArgument(
                f"document {number} ({kind_name}) needs metadata.name "
                "(generateName cannot be applied)"
            )
        kind = cluster.discovery.for_manifest(api_version, kind_name)
        target: Namespace | None = None
        if kind.namespaced:
            target = Namespace(str(metadata.get("namespace") or namespace))
            doc = {**doc, "metadata": {**metadata, "namespace": target}}
        elif "namespace" in metadata:
            doc = {**doc, "metadata": {k: v for k, v in metadata.items() if k != "namespace"}}
        planned.append((kind, target, Name(metadata["name"]), doc))
    return planned


def apply(
    cluster: Cluster,
    text: str,
    *,
    namespace: Namespace,
    force: bool = False,
    dry_run: bool = False,
    selector: str | None = None,
    prune: bool = False,
    all_: bool = False,
    yes: bool = False,
) -> pd.DataFrame:
    """Apply each object with server-side apply; a DataFrame of created/configured/unchanged.

    Objects the server refuses are reported, beside the others' results, by `ApplyFailed`.
    `selector` applies only the documents it matches (kubectl's `-l`); `prune` then deletes
    what `pruning.prunable` finds (`all_`: without a selector), once confirmed: `yes`, or the
    same apply repeated (the first raises `ConfirmationNeeded` and changes nothing).
    """
    pruning.check(prune, selector, all_)
    planned = pruning.selected(plan(cluster, text, namespace), selector)
    if not planned:
        raise BadArgument(f"no document of the manifest matches the selector {selector!r}")
    doomed = pruning.prunable(cluster, planned, selector) if prune else []
    key = ("apply --prune", text, namespace, selector, tuple(p.path for p in doomed))
    armed = None
    if prune and not dry_run:  # as delete's: another call disarms (not a dry run, which
        armed, cluster.armed_delete = cluster.armed_delete, None  # shows what it would do)
    if doomed and not (yes or dry_run or armed == key):
        cluster.armed_delete = key
        listed = "; ".join(
            describe_targets(p.kind, p.namespace, [p.name]) for p in doomed
        )  # fmt: skip
        raise ConfirmationNeeded(
            f"apply --prune would delete {listed}: nothing applied, nothing deleted; repeat "
            "the same apply to confirm, or add --yes (yes=True); --dry-run shows it",
            targets=[p.path for p in doomed],
        )
    rows = []
    applied: list[str] = []
    failed: list[str] = []
    errors: list[KjupyterError] = []
    conflicts = False
    for kind, target, name, doc in planned:
        try:
            result = _apply_one(cluster, kind, target, name, doc, force=force, dry_run=dry_run)
            applied.append(f"{kind.plural}/{name} {result}")
        except Unreachable:
            raise  # the others would fail alike
        except KjupyterError as err:
            result = f"failed: {err}"
            failed.append(f"{kind.plural}/{name} failed: {err}")
            conflicts = conflicts or isinstance(err, Conflict)
            errors.append(err)
        rows.append({"Name": name, "Kind": kind.kind, "Namespace": target, "Result": result})
    for gone in doomed if not failed else []:  # a failed document: nothing is pruned
        try:
            result = pruning.delete(cluster, gone, dry_run=dry_run)
            applied.append(f"{gone.path} {result}")
        except Unreachable:
            raise
        except KjupyterError as err:
            result = f"failed: {err}"
            failed.append(f"{gone.path} prune failed: {err}")
            errors.append(err)
        rows.append(
            {"Name": gone.name, "Kind": gone.kind.kind, "Namespace": gone.namespace,
             "Result": result}
        )  # fmt: skip
    frame = changes_frame(rows)
    if doomed and failed and len(rows) == len(planned):
        failed[-1] += f" (nothing pruned: {len(doomed)} objects kept)"
    if len(rows) == 1 and errors:
        raise errors[0]  # one object: its own error (Forbidden, Invalid...) says it all
    if failed:
        raise ApplyFailed(
            f"{len(failed)} of {len(rows)} objects failed: {'; '.join(failed)}. "
            f"Applied: {', '.join(applied) or 'nothing'} (every row in .results)"
            + (
                "; --force-conflicts (force_conflicts=True) takes conflicting fields over"
                if conflicts
                else ""
            ),
            frame,
        )
    return frame


def _apply_one(
    cluster: Cluster,
    kind: Kind,
    target: Namespace | None,
    name: Name,
    doc: dict[str, Any],
    *,
    force: bool,
    dry_run: bool,
) -> str:
    """Server-side apply one object; whether it was created, configured or left unchanged."""
    existing = live_object(cluster, kind, target, name)
    before = None if existing is None else existing["metadata"].get("resourceVersion")
    after = server_side_apply(
        cluster, kind, target, name, doc, force=force, dry_run=dry_run, verb="apply"
    )
    new_version = (after.get("metadata") or {}).get("resourceVersion")
    if dry_run and existing is not None:  # a dry run never bumps the resourceVersion
        changed = _content(existing) != _content(after)
    else:
        changed = new_version != before
    if existing is None:
        result = "created"
    elif changed:
        result = "configured"
    else:
        result = "unchanged"
    return result + (" (dry run)" if dry_run else "")


def server_side_apply(
    cluster: Cluster,
    kind: Kind,
    target: Namespace | None,
    name: Name,
    doc: dict[str, Any],
    *,
    force: bool,
    dry_run: bool,
    verb: str,
) -> dict[str, Any]:
    """One server-side apply PATCH (a dry run with `dry_run`); the object as the server made it."""
    result: dict[str, Any] = cluster.connection.request(
        "PATCH",
        kind.url(target, name),
        body=json.dumps(doc),
        content_type="application/apply-patch+yaml",
        query={
            "fieldManager": FIELD_MANAGER,
            "force": "true" if force else None,
            "dryRun": "All" if dry_run else None,
        },
        action=f"{verb} {kind.qualified}/{name}",
    )
    return result


def live_object(
    cluster: Cluster, kind: Kind, namespace: Namespace | None, name: Name
) -> dict[str, Any] | None:
    try:
        return cluster.connection.request(
            "GET", kind.url(namespace, name), action=f"get {kind.qualified}/{name}"
        )
    except NotFound:
        return None


def _content(obj: dict[str, Any]) -> dict[str, Any]:
    """An object without the bookkeeping an apply changes even when nothing else does."""
    metadata = {
        k: v
        for k, v in (obj.get("metadata") or {}).items()
        if k not in ("managedFields", "resourceVersion", "generation")
    }
    return {**obj, "metadata": metadata}
