"""`patch`, `label`, `annotate`, `set image`: kubectl's in-place changes of existing objects.

Every argument is parsed and every target read before the first write, so a refused command
(a bad patch, a label that exists without `overwrite`, an unknown container) changes nothing.
A write the server refuses on one object does not stop the others (as kubectl goes on):
`PartlyChanged` then says what was done beside what failed, every row in `.results`.
A label or annotation write carries the resourceVersion its `--overwrite` check read, so a
value set meanwhile by someone else is checked again (re-read, retried), never overwritten.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from kjupyter.cluster.kinds import Kind, Name, Namespace
from kjupyter.cluster.operations.changing import changes_frame, targets
from kjupyter.cluster.paths import Location
from kjupyter.errors import BadArgument, BadPath, Conflict, Invalid, KjupyterError, Unreachable

if TYPE_CHECKING:
    import pandas as pd

    from kjupyter.cluster.handle import ClusterHandle as Cluster

PATCH_TYPES = {
    "strategic": "application/strategic-merge-patch+json",
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
}
RETRIES = 5  # conditional writes tried again after a conflict, each on a fresh read
JSON_PATCH_OPS = frozenset({"add", "remove", "replace", "move", "copy", "test"})
# A qualified name (kubectl's label and annotation keys): an optional DNS-subdomain prefix and
# a name of up to 63 alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric.
_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
_PREFIX = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
# where each kind `set image` knows keeps its pod spec (kubectl's set image kinds)
POD_SPEC_AT: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "pods"): ("spec",),
    ("", "replicationcontrollers"): ("spec", "template", "spec"),
    ("apps", "deployments"): ("spec", "template", "spec"),
    ("apps", "statefulsets"): ("spec", "template", "spec"),
    ("apps", "daemonsets"): ("spec", "template", "spec"),
    ("apps", "replicasets"): ("spec", "template", "spec"),
    ("batch", "jobs"): ("spec", "template", "spec"),
    ("batch", "cronjobs"): ("spec", "jobTemplate", "spec", "template", "spec"),
}


def parse_patch(patch: Any, patch_type: str) -> Any:
    """The patch as JSON data: a dict/list as given, or a JSON/YAML text (as kubectl -p)."""
    if patch_type not in PATCH_TYPES:
        raise BadArgument(f"patch type must be strategic, merge or json, not {patch_type!r}")
    if isinstance(patch, str):
        import yaml

        try:
            patch = json.loads(patch)
        except ValueError:
            try:
                patch = yaml.safe_load(patch)
            except yaml.YAMLError as err:
                raise BadArgument(
                    "the patch is neither JSON nor YAML; quote it: -p '{\"spec\": {...}}'"
                ) from err
    if patch_type == "json":
        if not isinstance(patch, list) or not patch:
            raise BadArgument(
                'a json patch is a list of operations: [{"op": "replace", "path": "/x", ...}]'
            )
        for number, op in enumerate(patch, 1):
            if not isinstance(op, dict) or op.get("op") not in JSON_PATCH_OPS:
                raise BadArgument(
                    f"json patch operation {number} needs op: one of "
                    f"{', '.join(sorted(JSON_PATCH_OPS))}"
                )
            if not isinstance(op.get("path"), str):
                raise BadArgument(f"json patch operation {number} needs a path (/spec/replicas)")
    elif not isinstance(patch, dict) or not patch:
        raise BadArgument(
            f"a {patch_type} patch is a mapping of the fields to change: '{{\"spec\": {{...}}}}'"
        )
    return patch


def _send(
    cluster: Cluster,
    kind: Kind,
    namespace: Namespace | None,
    name: Name,
    body: Any,
    patch_type: str,
    dry_run: bool,
    verb: str,
) -> dict[str, Any]:
    try:
        return cluster.connection.request(
            "PATCH",
            kind.url(namespace, name),
            body=body,
            content_type=PATCH_TYPES[patch_type],
            query={"dryRun": "All" if dry_run else None},
            action=f"{verb} {kind.qualified}/{name}",
        )
    except Invalid as err:
        # a custom resource: the server knows no strategy for it (415, "unknown format")
        if patch_type == "strategic" and "unknown format" in str(err):
            raise BadArgument(
                f"{kind.plural} take no strategic merge patch (a custom resource); "
                "use --type merge or --type json"
            ) from err
        raise


def _read(cluster: Cluster, kind: Kind, namespace: Namespace | None, name: Name) -> dict[str, Any]:
    return cluster.connection.request(
        "GET", kind.url(namespace, name), action=f"get {kind.qualified}/{name}"
    )


def _row(kind: Kind, namespace: Namespace | None, name: Name, result: str) -> dict[str, Any]:
    return {"Name": name, "Kind": kind.kind, "Namespace": namespace, "Result": result}


class PartlyChanged(KjupyterError):
    """A change failed on some of its objects and was made on the others; `.results` has a
    row per object (what was done, or `failed: ...`), `.errors` each failure."""

    def __init__(self, message: str, results: Any, errors: list[KjupyterError]) -> None:
        super().__init__(message)
        self.results = results
        self.errors = errors


def _each(
    kind: Kind, namespace: Namespace | None, names: Iterable[Name], change: Callable[[Name], str]
) -> pd.DataFrame:
    """`change` each object, on through failures (as kubectl goes on); the rows, or
    `PartlyChanged` with them when some failed (one object alone: its own error)."""
    rows, done, failed, errors = [], [], [], []
    for name in names:
        try:
            result = change(name)
            done.append(f"{kind.plural}/{name} {result}")
        except Unreachable:
            raise  # the others would fail alike
        except KjupyterError as err:
            result = f"failed: {err}"
            failed.append(f"{kind.plural}/{name}: {err}")
            errors.append(err)
        rows.append(_row(kind, namespace, name, result))
    frame = changes_frame(rows)
    if errors and len(rows) == 1:
        raise errors[0]
    if errors:
        raise PartlyChanged(
            f"{len(failed)} of {len(rows)} objects failed: {'; '.join(failed)}. "
            f"Changed: {', '.join(done) or 'nothing'} (every row in .results)",
            frame,
            errors,
        )
    return frame


def _same(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Whether a write left the object as it was (a dry run never bumps resourceVersion)."""

    def content(obj: dict[str, Any]) -> dict[str, Any]:
        meta = {k: v for k, v in (obj.get("metadata") or {}).items()
                if k not in ("managedFields", "resourceVersion", "generation")}  # fmt: skip
        return {**obj, "metadata": meta}

    return content(before) == content(after)


def patch(
    cluster: Cluster,
    location: Location,
    body: Any,
    *,
    patch_type: str = "strategic",
    all_: bool = False,
    selector: str | None = None,
    dry_run: bool = False,
) -> pd.DataFrame:
    """`kubectl patch --type`: "patched" or "patched (no change)" per object."""
    data = parse_patch(body, patch_type)
    kind, namespace, chosen = targets(cluster, location, all_=all_, selector=selector, verb="patch")
    if not kind.can("patch"):
        raise BadPath(f"{kind.plural} cannot be patched")

    def one(name: Name) -> str:
        before = _read(cluster, kind, namespace, name)
        after = _send(cluster, kind, namespace, name, data, patch_type, dry_run, "patch")
        result = "patched (no change)" if _same(before, after) else "patched"
        return result + (" (dry run)" if dry_run else "")

    return _each(kind, namespace, chosen, one)


def parse_changes(changes: Mapping[str, str | None] | Iterable[str], what: str) -> dict[str, Any]:
    """`["a=1", "b-"]` (or `{"a": "1", "b": None}`) as {key: value, key: None (removed)}."""
    if isinstance(changes, Mapping):
        pairs = list(changes.items())
    else:
        if isinstance(changes, str):
            changes = [changes]
        pairs = []
        for word in changes:
            if not isinstance(word, str):
                raise BadArgument(f"a {what} is KEY=VALUE or KEY-, not {word!r}")
            if "=" in word:
                key, value = word.split("=", 1)
                pairs.append((key, value))
            elif word.endswith("-"):
                pairs.append((word[:-1], None))
            else:
                raise BadArgument(f"{what} {word!r}: write KEY=VALUE to set, KEY- to remove")
    if not pairs:
        raise BadArgument(f"no {what}s given: KEY=VALUE to set, KEY- to remove")
    found: dict[str, Any] = {}
    for key, value in pairs:
        _check_key(key, what)
        if value is not None and not isinstance(value, str):
            raise BadArgument(f"{what} {key}: a value is a string, not {type(value).__name__}")
        if key in found and found[key] != value:
            raise BadArgument(f"{what} {key} is both set and removed (or set twice); say it once")
        found[key] = value
    return found


def _check_key(key: str, what: str) -> None:
    prefix, _, name = key.rpartition("/")
    if not (
        _NAME.fullmatch(name)
        and (not prefix or (len(prefix) <= 253 and _PREFIX.fullmatch(prefix)))
        and key.count("/") <= 1
    ):
        raise BadArgument(
            f"{what} key {key!r} is not valid: [prefix/]name, a name of up to 63 letters, "
            "digits, '-', '_', '.' starting and ending with a letter or digit"
        )


def relabel(
    cluster: Cluster,
    location: Location,
    changes: Mapping[str, str | None] | Iterable[str],
    *,
    field: str,
    overwrite: bool = False,
    all_: bool = False,
    selector: str | None = None,
    dry_run: bool = False,
) -> pd.DataFrame:
    """`kubectl label` / `annotate` (`field`: labels or annotations), with `--overwrite`.

    Without `overwrite`, a key that has another value already refuses the whole command
    before any object is written, as kubectl refuses; `KEY-` of an absent key is no change.
    """
    what = "label" if field == "labels" else "annotation"
    verb = "label" if field == "labels" else "annotate"
    wanted = parse_changes(changes, what)
    kind, namespace, chosen = targets(cluster, location, all_=all_, selector=selector, verb=verb)
    if not kind.can("patch"):
        raise BadPath(f"{kind.plural} cannot be changed ({verb} patches them)")
    current = {name: _read(cluster, kind, namespace, name) for name in chosen}
    if not overwrite:  # every object checked before the first is written
        _refuse_overwrites(kind, current, wanted, field, verb)
    done = {"labels": "labeled", "annotations": "annotated"}[field]

    def one(name: Name) -> str:
        obj = current[name]
        for _ in range(RETRIES):
            try:
                written = _relabel_one(
                    cluster, kind, namespace, name, obj, wanted, field, overwrite, dry_run, verb
                )
                break
            except Conflict:  # changed since read (a controller's status write): read again
                obj = _read(cluster, kind, namespace, name)
        else:
            raise Conflict(f"{verb} {kind.plural}/{name}: it kept changing; try again")
        return (done if written else f"not {done}") + (" (dry run)" if dry_run else "")

    return _each(kind, namespace, current, one)


def _relabel_one(
    cluster: Cluster,
    kind: Kind,
    namespace: Namespace | None,
    name: Name,
    obj: dict[str, Any],
    wanted: dict[str, Any],
    field: str,
    overwrite: bool,
    dry_run: bool,
    verb: str,
) -> bool:
    """Write the changes `obj` lacks, checked against the version read; whether any were."""
    metadata = obj.get("metadata") or {}
    have = metadata.get(field) or {}
    if not overwrite:
        _refuse_overwrites(kind, {name: obj}, wanted, field, verb)
    change = missing(have, wanted)
    if not change:
        return False
    # the resourceVersion makes the write conditional on the object the check read
    body = {"metadata": {field: change, "resourceVersion": metadata.get("resourceVersion")}}
    _send(cluster, kind, namespace, name, body, "merge", dry_run, verb)
    return True


def missing(have: dict[str, str], wanted: dict[str, str | None]) -> dict[str, str | None]:
    """What of `wanted` (None: removed) `have` lacks: the merge patch that makes it so."""
    return {
        key: value
        for key, value in wanted.items()
        if (value is None and key in have) or (value is not None and have.get(key) != value)
    }


def _refuse_overwrites(
    kind: Kind, objects: dict[Name, dict[str, Any]], wanted: dict[str, Any], field: str, verb: str
) -> None:
    refused = [
        f"{kind.plural}/{name}: {key!r} already has a value ({have[key]})"
        for name, obj in objects.items()
        for have in [(obj.get("metadata") or {}).get(field) or {}]
        for key, value in wanted.items()
        if value is not None and key in have and have[key] != value
    ]
    if refused:
        raise BadArgument(
            f"{verb} refused, nothing changed: {'; '.join(refused)}; "
            "add --overwrite (overwrite=True) to replace it"
        )


def set_image(
    cluster: Cluster,
    location: Location,
    images: Mapping[str, str] | Iterable[str],
    *,
    all_: bool = False,
    selector: str | None = None,
    dry_run: bool = False,
) -> pd.DataFrame:
    """`kubectl set image`: CONTAINER=IMAGE (`*=IMAGE`: every container, init ones too)."""
    wanted = _parse_images(images)
    kind, namespace, chosen = targets(
        cluster, location, all_=all_, selector=selector, verb="set image"
    )
    at = POD_SPEC_AT.get((kind.group, kind.plural))
    if at is None:
        raise BadPath(
            f"set image takes pods, deployments, statefulsets, daemonsets, replicasets, "
            f"replicationcontrollers, jobs and cronjobs, not {kind.plural}"
        )
    plans = {}
    for name in chosen:
        obj = _read(cluster, kind, namespace, name)
        spec: Any = obj
        for key in at:
            spec = (spec or {}).get(key) or {}
        plans[name] = _image_changes(spec, wanted, f"{kind.plural}/{name}")

    def one(name: Name) -> str:
        patch_spec, changed = plans[name]
        if not changed:
            return "unchanged" + " (dry run)" * dry_run
        body: dict[str, Any] = patch_spec
        for key in reversed(at):
            body = {key: body}
        _send(cluster, kind, namespace, name, body, "strategic", dry_run, "set image")
        return "image updated" + " (dry run)" * dry_run

    return _each(kind, namespace, plans, one)


def _parse_images(images: Mapping[str, str] | Iterable[str]) -> dict[str, str]:
    if isinstance(images, str):
        images = [images]
    if isinstance(images, Mapping):
        pairs = list(images.items())
    else:
        pairs = []
        for word in images:
            container, eq, image = str(word).partition("=")
            if not eq:
                raise BadArgument(
                    f"set image takes CONTAINER=IMAGE (app=nginx:2, *=nginx:2), not {word!r}"
                )
            pairs.append((container, image))
    if not pairs:
        raise BadArgument("set image needs CONTAINER=IMAGE (app=nginx:2, or *=nginx:2 for all)")
    for container, image in pairs:
        if (
            not container
            or not isinstance(image, str)
            or not image
            or any(c.isspace() for c in image)
        ):
            raise BadArgument(f"set image {container}={image}: name a container and an image")
    return dict(pairs)


def _image_changes(
    spec: dict[str, Any], wanted: dict[str, str], what: str
) -> tuple[dict[str, Any], bool]:
    """The strategic patch of `spec` that sets the images, and whether any image changes."""
    patch_spec: dict[str, Any] = {}
    changed = False
    matched: set[str] = set()
    for field in ("initContainers", "containers"):
        entries = []
        for container in spec.get(field) or []:
            name = container.get("name")
            image = wanted.get(name, wanted.get("*"))
            if image is None:
                continue
            matched.add(name if name in wanted else "*")
            entries.append({"name": name, "image": image})
            changed = changed or container.get("image") != image
        if entries:
            patch_spec[field] = entries
    missing = sorted(set(wanted) - matched)
    if missing:
        names = [c.get("name") for f in ("initContainers", "containers") for c in spec.get(f) or []]
        raise BadArgument(
            f"set image refused, nothing changed: {what} has no container "
            f"{', '.join(missing)} (its containers: {', '.join(map(str, names))})"
        )
    return patch_spec, changed
