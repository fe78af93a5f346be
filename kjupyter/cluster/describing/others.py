"""Services, persistent volume claims, nodes, and kubectl's generic describer (CRs)."""

from __future__ import annotations

from typing import Any

from kjupyter.cluster.describing import common
from kjupyter.cluster.describing.common import NONE, Sections


def service(obj: dict[str, Any], related: dict[str, Any]) -> Sections:
    spec = obj.get("spec") or {}
    out = common.head(obj, created=False)
    out["Labels"] = common.labels(obj) or NONE
    out["Annotations"] = common.annotations_of(obj) or NONE
    out["Selector"] = ",".join(f"{k}={v}" for k, v in (spec.get("selector") or {}).items()) or (
        NONE
    )
    out["Type"] = spec.get("type", "ClusterIP")
    if spec.get("ipFamilyPolicy"):
        out["IP Family Policy"] = spec["ipFamilyPolicy"]
    if spec.get("ipFamilies"):
        out["IP Families"] = ", ".join(spec["ipFamilies"])
    out["IP"] = spec.get("clusterIP", "")
    out["IPs"] = ", ".join(spec.get("clusterIPs") or []) or NONE
    if spec.get("externalIPs"):
        out["External IPs"] = ", ".join(spec["externalIPs"])
    if spec.get("externalName"):
        out["External Name"] = spec["externalName"]
    ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    if ingress:
        out["LoadBalancer Ingress"] = ", ".join(
            i.get("ip") or i.get("hostname", "") for i in ingress
        )
    endpoints = _endpoints(related.get("endpointslices"))
    for port in spec.get("ports") or []:
        name = port.get("name") or "<unset>"
        out["Port"] = f"{name}  {port.get('port')}/{port.get('protocol', 'TCP')}"
        out["TargetPort"] = (
            f"{port.get('targetPort', port.get('port'))}/{port.get('protocol', 'TCP')}"
        )
        if port.get("nodePort"):
            out["NodePort"] = f"{name}  {port['nodePort']}/{port.get('protocol', 'TCP')}"
        out["Endpoints"] = endpoints.get(port.get("name") or "", "") if endpoints else ""
    out["Session Affinity"] = spec.get("sessionAffinity", "None")
    if spec.get("externalTrafficPolicy"):
        out["External Traffic Policy"] = spec["externalTrafficPolicy"]
    if spec.get("internalTrafficPolicy"):
        out["Internal Traffic Policy"] = spec["internalTrafficPolicy"]
    return out


def _endpoints(slices: list[dict[str, Any]] | None) -> dict[str, str]:
    """Ready endpoint addresses with their port, by port name (EndpointSlices)."""
    found: dict[str, list[str]] = {}
    for piece in slices or []:
        ready = [
            address
            for endpoint in piece.get("endpoints") or []
            if (endpoint.get("conditions") or {}).get("ready", True)
            for address in endpoint.get("addresses") or []
        ]
        for port in piece.get("ports") or []:
            found.setdefault(port.get("name") or "", []).extend(
                f"{a}:{port.get('port')}" for a in ready
            )
    return {name: ",".join(addresses) for name, addresses in found.items()}


def claim(obj: dict[str, Any], related: dict[str, Any]) -> Sections:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    out = common.head(obj, created=False)
    out["StorageClass"] = spec.get("storageClassName", "")
    out["Status"] = status.get("phase", "")
    out["Volume"] = spec.get("volumeName", "")
    out["Labels"] = common.labels(obj) or NONE
    out["Annotations"] = common.annotations_of(obj) or NONE
    out["Finalizers"] = list(common.meta(obj).get("finalizers") or [])
    out["Capacity"] = (status.get("capacity") or {}).get("storage", "")
    out["Access Modes"] = ",".join(_short_mode(m) for m in status.get("accessModes") or [])
    out["VolumeMode"] = spec.get("volumeMode", "Filesystem")
    if spec.get("dataSource"):
        out["DataSource"] = dict(spec["dataSource"])
    if "pods" in related:
        name = common.meta(obj).get("name")
        users = [
            common.meta(p).get("name", "")
            for p in related["pods"]
            if any(
                (v.get("persistentVolumeClaim") or {}).get("claimName") == name
                for v in (p.get("spec") or {}).get("volumes") or []
            )
        ]
        out["Used By"] = users or NONE
    conditions = common.conditions(obj, ("Type", "Status"))
    if conditions is not None:
        out["Conditions"] = conditions
    return out


def _short_mode(mode: str) -> str:
    return {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX",
            "ReadWriteOncePod": "RWOP"}.get(mode, mode)  # fmt: skip


def node(obj: dict[str, Any], related: dict[str, Any]) -> Sections:
    import pandas as pd

    from kjupyter.cluster import quantities

    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    out = common.head(obj, created=False)
    roles = sorted(
        key.split("/", 1)[1]
        for key in common.labels(obj)
        if key.startswith("node-role.kubernetes.io/") and "/" in key
    )
    out["Roles"] = ",".join(roles) or NONE
    out["Labels"] = common.labels(obj) or NONE
    out["Annotations"] = common.annotations_of(obj) or NONE
    out["CreationTimestamp"] = common.instant(common.meta(obj).get("creationTimestamp"))
    out["Taints"] = [
        f"{t.get('key')}{'=' + t['value'] if t.get('value') else ''}:{t.get('effect')}"
        for t in spec.get("taints") or []
    ] or NONE
    out["Unschedulable"] = bool(spec.get("unschedulable", False))
    lease = related.get("lease")
    if lease is not None:
        lease_spec = lease.get("spec") or {}
        out["Lease"] = {
            "HolderIdentity": lease_spec.get("holderIdentity", "<unset>"),
            "AcquireTime": common.instant(lease_spec.get("acquireTime")) or "<unset>",
            "RenewTime": common.instant(lease_spec.get("renewTime")) or "<unset>",
        }
    conditions = common.conditions(
        obj,
        ("Type", "Status", "Last Heartbeat Time", "Last Transition Time", "Reason", "Message"),
    )
    if conditions is not None:
        out["Conditions"] = conditions
    out["Addresses"] = {a.get("type"): a.get("address") for a in status.get("addresses") or []}
    out["Capacity"] = dict(status.get("capacity") or {})
    out["Allocatable"] = dict(status.get("allocatable") or {})
    info = status.get("nodeInfo") or {}
    out["System Info"] = {
        heading: info.get(key, "")
        for heading, key in (
            ("Machine ID", "machineID"),
            ("System UUID", "systemUUID"),
            ("Boot ID", "bootID"),
            ("Kernel Version", "kernelVersion"),
            ("OS Image", "osImage"),
            ("Operating System", "operatingSystem"),
            ("Architecture", "architecture"),
            ("Container Runtime Version", "containerRuntimeVersion"),
            ("Kubelet Version", "kubeletVersion"),
        )
    }
    if spec.get("podCIDR"):
        out["PodCIDR"] = spec["podCIDR"]
        out["PodCIDRs"] = ",".join(spec.get("podCIDRs") or [spec["podCIDR"]])
    if spec.get("providerID"):
        out["ProviderID"] = spec["providerID"]
    if "pods" in related:
        allocatable = status.get("allocatable") or {}
        pods = [
            p
            for p in related["pods"]
            if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        ]
        rows, totals = [], {r: [0.0, 0.0] for r in ("cpu", "memory", "ephemeral-storage")}
        for pod in pods:
            sums = _pod_resources(pod)
            for resource in totals:
                totals[resource][0] += sums[resource][0]
                totals[resource][1] += sums[resource][1]
            rows.append(
                {
                    "Namespace": common.meta(pod).get("namespace"),
                    "Name": common.meta(pod).get("name"),
                    **{
                        f"{label} {which}": _share(resource, sums[resource][i], allocatable)
                        for label, resource in (("CPU", "cpu"), ("Memory", "memory"))
                        for i, which in enumerate(("Requests", "Limits"))
                    },
                    "Age": _age(common.meta(pod).get("creationTimestamp")),
                }
            )
        out["Non-terminated Pods"] = pd.DataFrame(
            rows,
            columns=["Namespace", "Name", "CPU Requests", "CPU Limits", "Memory Requests",
                     "Memory Limits", "Age"],
        )  # fmt: skip
        allocated = []
        for resource, (requests, limits) in totals.items():
            whole = quantities.parse(allocatable.get(resource, "0") or "0")
            allocated.append(
                {
                    "Resource": resource,
                    "Requests": f"{_amount(resource, requests)} ({_percent(requests, whole)}%)",
                    "Limits": f"{_amount(resource, limits)} ({_percent(limits, whole)}%)",
                }
            )
        out["Allocated resources"] = pd.DataFrame(allocated).set_index("Resource")
    return out


def _share(resource: str, value: float, allocatable: dict[str, Any]) -> str:
    """`100m (5%)`: an amount and its share of the node's allocatable, as kubectl shows."""
    from kjupyter.cluster import quantities

    whole = quantities.parse(str(allocatable.get(resource, "0") or "0"))
    return f"{_amount(resource, value)} ({_percent(value, whole)}%)"


def _age(created: Any) -> Any:
    from datetime import datetime, timedelta, timezone

    start = common.instant(created)
    if start is None:
        return None
    return timedelta(seconds=int((datetime.now(timezone.utc) - start).total_seconds()))


def _percent(value: float, whole: float) -> int:
    return int(100 * value / whole) if whole else 0


def _amount(resource: str, value: float) -> str:
    """A quantity as kubectl writes it: `100m`, `2`, `64Mi`."""
    if resource == "cpu":
        millis = round(value * 1000)
        return f"{millis // 1000}" if millis % 1000 == 0 else f"{millis}m"
    number = int(value)
    for suffix, size in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if number and number % size == 0:
            return f"{number // size}{suffix}"
    return f"{number}"


def _pod_resources(pod: dict[str, Any]) -> dict[str, list[float]]:
    from kjupyter.cluster import quantities

    sums = {r: [0.0, 0.0] for r in ("cpu", "memory", "ephemeral-storage")}
    for container in (pod.get("spec") or {}).get("containers") or []:
        resources = container.get("resources") or {}
        for i, key in enumerate(("requests", "limits")):
            for resource, value in (resources.get(key) or {}).items():
                if resource in sums:
                    sums[resource][i] += quantities.parse(str(value))
    return sums


def generic(obj: dict[str, Any], related: dict[str, Any]) -> Sections:
    """kubectl's generic describer: metadata, then every top-level field (Spec, Status...)."""
    out = common.head(obj, created=False)
    out["Labels"] = common.labels(obj) or NONE
    out["Annotations"] = common.annotations_of(obj) or NONE
    out["API Version"] = obj.get("apiVersion", "")
    out["Kind"] = obj.get("kind", "")
    meta = {
        k: v
        for k, v in common.meta(obj).items()
        if k not in ("name", "namespace", "labels", "annotations", "managedFields")
    }
    out["Metadata"] = meta
    for key, value in obj.items():
        if key not in ("apiVersion", "kind", "metadata"):
            out[_heading(key)] = value
    return out


def _heading(field: str) -> str:
    """`spec` -> `Spec`, `data` -> `Data`: a top-level field as kubectl titles it."""
    return field[:1].upper() + field[1:]
