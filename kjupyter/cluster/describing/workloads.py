"""Deployments, replica sets, stateful sets and jobs, as kubectl describes them."""

from __future__ import annotations

from typing import Any

from kjupyter.cluster.describing import common
from kjupyter.cluster.describing.common import NONE, Sections
from kjupyter.cluster.describing.pods import template


def deployment(obj: dict[str, Any], related: dict[str, Any]) -> Sections:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    out = common.head(obj)
    out["Labels"] = common.labels(obj) or NONE
    out["Annotations"] = common.annotations_of(obj) or NONE
    out["Selector"] = common.selector(spec.get("selector"))
    replicas = status.get("replicas", 0)
    out["Replicas"] = (
        f"{spec.get('replicas', 1)} desired | {status.get('updatedReplicas', 0)} updated | "
        f"{replicas} total | {status.get('availableReplicas', 0)} available | "
        f"{status.get('unavailableReplicas', 0)} unavailable"
    )
    strategy = spec.get("strategy") or {}
    out["StrategyType"] = strategy.get("type", "")
    out["MinReadySeconds"] = spec.get("minReadySeconds", 0)
    rolling = strategy.get("rollingUpdate")
    if strategy.get("type") == "RollingUpdate" and rolling:
        out["RollingUpdateStrategy"] = (
            f"{rolling.get('maxUnavailable')} max unavailable, {rolling.get('maxSurge')} max surge"
        )
    out["Pod Template"] = template(spec.get("template") or {})
    conditions = common.conditions(obj, ("Type", "Status", "Reason"))
    if conditions is not None:
        out["Conditions"] = conditions
    if "replicasets" in related:
        new, old = _replica_sets(obj, related["replicasets"])
        out["OldReplicaSets"] = ", ".join(old) or NONE
        out["NewReplicaSet"] = new or NONE
    return out


def _replica_sets(deployment: dict[str, Any], sets: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """The deployment's current replica set and its older ones, as `name (1/1 replicas created)`."""
    uid = common.meta(deployment).get("uid")
    revision = common.annotations_of(deployment).get("deployment.kubernetes.io/revision")
    new, old = "", []
    for rs in sets:
        owners = common.meta(rs).get("ownerReferences") or []
        if not any(o.get("uid") == uid for o in owners):
            continue
        spec, status = rs.get("spec") or {}, rs.get("status") or {}
        shown = (
            f"{common.meta(rs).get('name')} ({status.get('replicas', 0)}/{spec.get('replicas', 0)} "
            "replicas created)"
        )
        if common.annotations_of(rs).get("deployment.kubernetes.io/revision") == revision:
            new = shown
        elif spec.get("replicas", 0) or status.get("replicas", 0):
            old.append(shown)
    return new, old


def _owned_head(obj: dict[str, Any], spec: dict[str, Any]) -> Sections:
    """The opening lines kubectl gives a ReplicaSet and a Job: name to its controller."""
    out = common.head(obj, created=False)
    out["Selector"] = common.selector(spec.get("selector"))
    out["Labels"] = common.labels(obj) or NONE
    out["Annotations"] = common.annotations_of(obj) or NONE
    controller = common.controlled_by(obj)
    if controller:
        out["Controlled By"] = controller
    return out


def replica_set(obj: dict[str, Any], related: dict[str, Any]) -> Sections:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    out = _owned_head(obj, spec)
    out["Replicas"] = f"{status.get('replicas', 0)} current / {spec.get('replicas', 1)} desired"
    out["Pods Status"] = common.pods_status(related)
    out["Pod Template"] = template(spec.get("template") or {})
    conditions = common.conditions(obj, ("Type", "Status", "Reason"))
    if conditions is not None:
        out["Conditions"] = conditions
    return out


def stateful_set(obj: dict[str, Any], related: dict[str, Any]) -> Sections:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    out = common.head(obj)
    out["Selector"] = common.selector(spec.get("selector"))
    out["Labels"] = common.labels(obj) or NONE
    out["Annotations"] = common.annotations_of(obj) or NONE
    out["Replicas"] = f"{spec.get('replicas', 1)} desired | {status.get('replicas', 0)} total"
    strategy = spec.get("updateStrategy") or {}
    update: Sections = {"Update Strategy": strategy.get("type", "")}
    if strategy.get("type") == "RollingUpdate":
        update["Partition"] = (strategy.get("rollingUpdate") or {}).get("partition", 0)
    out["Update Strategy"] = update
    out["Pods Status"] = common.pods_status(related)
    out["Pod Template"] = template(spec.get("template") or {})
    claims = {
        (c.get("metadata") or {}).get("name", ""): _claim_template(c)
        for c in spec.get("volumeClaimTemplates") or []
    }
    out["Volume Claims"] = claims or NONE
    return out


def _claim_template(claim: dict[str, Any]) -> Sections:
    spec = claim.get("spec") or {}
    return {
        "StorageClass": spec.get("storageClassName", ""),
        "Labels": dict((claim.get("metadata") or {}).get("labels") or {}) or NONE,
        "Capacity": ((spec.get("resources") or {}).get("requests") or {}).get("storage", ""),
        "Access Modes": ", ".join(spec.get("accessModes") or []),
    }


def job(obj: dict[str, Any], related: dict[str, Any]) -> Sections:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    out = _owned_head(obj, spec)
    out["Parallelism"] = spec.get("parallelism", 1)
    out["Completions"] = spec.get("completions", "<unset>")
    out["Completion Mode"] = spec.get("completionMode", "NonIndexed")
    out["Suspend"] = bool(spec.get("suspend", False))
    out["Backoff Limit"] = spec.get("backoffLimit", 6)
    if spec.get("activeDeadlineSeconds") is not None:
        out["Active Deadline Seconds"] = f"{spec['activeDeadlineSeconds']}s"
    if spec.get("ttlSecondsAfterFinished") is not None:
        out["TTL Seconds After Finished"] = spec["ttlSecondsAfterFinished"]
    started, done = (
        common.instant(status.get("startTime")),
        common.instant(status.get("completionTime")),
    )
    if started:
        out["Start Time"] = started
    if done:
        out["Completed At"] = done
    if started and done:
        out["Duration"] = done - started
    out["Pods Statuses"] = (
        f"{status.get('active', 0)} Active ({status.get('ready', 0)} Ready) / "
        f"{status.get('succeeded', 0)} Succeeded / {status.get('failed', 0)} Failed"
    )
    out["Pod Template"] = template(spec.get("template") or {})
    return out
