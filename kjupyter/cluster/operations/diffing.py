"""`diff`: what an apply would change, as `kubectl diff --server-side` shows it.

Each document is applied as a server-side dry run (the server merges, defaults, validates
and runs admission, and stores nothing); the live object and the dry run's result are written
as YAML with sorted keys (as kubectl writes them) and compared as a unified diff. As kubectl,
managedFields are left out and a Secret's values are masked (`***`, `*** (before)`/`(after)`
where they differ), so a diff never shows a secret.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kjupyter.cluster.kinds import Kind, Name, Namespace
from kjupyter.cluster.objects import Text
from kjupyter.cluster.operations import pruning
from kjupyter.cluster.operations.applying import live_object, plan, server_side_apply

if TYPE_CHECKING:
    from kjupyter.cluster.handle import ClusterHandle as Cluster


class Diff(Text):
    """A unified diff (empty when nothing would change); `.changed` names what would,
    `.pruned` what an apply with `--prune` would delete (among `.changed` too)."""

    changed: list[str]
    pruned: list[str]

    def __new__(cls, text: str, changed: list[str], pruned: list[str] | None = None) -> Diff:
        made = super().__new__(cls, text)
        made.changed, made.pruned = changed, list(pruned or [])
        return made

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self) if self else "no differences")


@dataclass(frozen=True)
class Compared:
    """One document: its file name as kubectl names it, the live and the merged YAML."""

    name: str
    live: str
    merged: str


def diff(
    cluster: Cluster,
    text: str,
    *,
    namespace: Namespace,
    force: bool = False,
    selector: str | None = None,
    prune: bool = False,
    all_: bool = False,
) -> Diff:
    """The unified diff of every document's live object against its server-side dry run.

    `selector` diffs the documents it matches (kubectl's `-l`); with `prune`, what an apply
    with `--prune` would delete is shown deleted (its live object against nothing), as
    `kubectl diff --prune`; nothing is deleted.
    """
    pruning.check(prune, selector, all_)
    planned = pruning.selected(plan(cluster, text, namespace), selector)
    compared_all = [
        _compare(cluster, kind, target, name, doc, force=force)
        for kind, target, name, doc in planned
    ]
    doomed = pruning.prunable(cluster, planned, selector) if prune else []
    compared_all += [_gone(p) for p in doomed]
    names = [f"{kind.plural}/{name}" for kind, _, name, _ in planned]
    names += [p.path for p in doomed]
    parts, changed = [], []
    for compared, path in zip(compared_all, names, strict=True):
        lines = list(
            difflib.unified_diff(
                compared.live.splitlines(keepends=True),
                compared.merged.splitlines(keepends=True),
                fromfile=f"LIVE/{compared.name}",
                tofile=f"MERGED/{compared.name}",
            )
        )
        if lines:
            changed.append(path)
            parts.append("".join(lines))
    return Diff("".join(parts), changed, [p.path for p in doomed])


def _gone(found: pruning.Prunable) -> Compared:
    """A pruned object: its live YAML against nothing (a Secret's values masked)."""
    live = _shown(found.object)
    assert live is not None
    if live.get("kind") == "Secret" and isinstance(live.get("data"), dict):
        live = {**live, "data": dict.fromkeys(live["data"], "***")}
    return Compared(_file_name(found.kind, found.namespace, found.name), _yaml(live), "")


def _compare(
    cluster: Cluster,
    kind: Kind,
    target: Namespace | None,
    name: Name,
    doc: dict[str, Any],
    *,
    force: bool,
) -> Compared:
    live = live_object(cluster, kind, target, name)
    merged = server_side_apply(
        cluster, kind, target, name, doc, force=force, dry_run=True, verb="diff"
    )
    live, merged = _masked(live, merged)
    return Compared(_file_name(kind, target, name), _yaml(live), _yaml(merged))


def _file_name(kind: Kind, target: Namespace | None, name: Name) -> str:
    """kubectl diff's file name: `apps.v1.Deployment.NS.NAME`."""
    version = kind.version if not kind.group else f"{kind.group}.{kind.version}"
    return ".".join(p for p in (version, kind.kind, target or "", name) if p)


def _shown(obj: dict[str, Any] | None) -> dict[str, Any] | None:
    if obj is None:
        return None
    metadata = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "managedFields"}
    return {**obj, "metadata": metadata}


def _masked(
    live: dict[str, Any] | None, merged: dict[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Both sides without managedFields; a Secret's values masked as kubectl masks them."""
    live, shown = _shown(live), _shown(merged)
    assert shown is not None
    if shown.get("kind") != "Secret":
        return live, shown
    before = dict((live or {}).get("data") or {})
    after = dict(shown.get("data") or {})
    for key in set(before) | set(after):
        differ = key in before and key in after and before[key] != after[key]
        if key in before:
            before[key] = "*** (before)" if differ else "***"
        if key in after:
            after[key] = "*** (after)" if differ else "***"
    if live is not None and "data" in live:
        live = {**live, "data": before}
    if "data" in shown:
        shown = {**shown, "data": after}
    return live, shown


def _yaml(obj: dict[str, Any] | None) -> str:
    """YAML with sorted keys, as kubectl's serializer writes (absent: an empty file)."""
    if obj is None:
        return ""
    import yaml

    return yaml.safe_dump(obj, sort_keys=True, default_flow_style=False, allow_unicode=True)
