"""Pods, their containers (state, last state, env, mounts, probes) and pod templates."""

from __future__ import annotations

from typing import Any

from kjupyter.cluster.describing import common
from kjupyter.cluster.describing.common import NONE, Sections


def _state(state: dict[str, Any] | None, heading: str) -> Sections | None:
    """`State: Running` with `Started`, or `Terminated` with `Reason`, `Exit Code`, ...."""
    if not state:
        return None
    name, detail = next(iter(state.items()))
    detail = detail or {}
    out: Sections = {heading: name.capitalize()}
    if name == "running":
        out["Started"] = common.instant(detail.get("startedAt"))
    elif name == "waiting":
        if detail.get("reason"):
            out["Reason"] = detail["reason"]
        if detail.get("message"):
            out["Message"] = detail["message"]
    elif name == "terminated":
        if detail.get("reason"):
            out["Reason"] = detail["reason"]
        if detail.get("message"):
            out["Message"] = detail["message"]
        out["Exit Code"] = detail.get("exitCode")
        if detail.get("signal"):
            out["Signal"] = detail["signal"]
        out["Started"] = common.instant(detail.get("startedAt"))
        out["Finished"] = common.instant(detail.get("finishedAt"))
    return out


def _ports(ports: list[dict[str, Any]], key: str) -> str:
    shown = [f"{p.get(key, 0)}/{p.get('protocol', 'TCP')}" for p in ports]
    return ", ".join(shown) or NONE


def _probe(probe: dict[str, Any]) -> str:
    """A probe as kubectl sums it up: `http-get http://:8080/ delay=0s timeout=1s ...`."""
    if "exec" in probe:
        what = f"exec [{' '.join((probe['exec'] or {}).get('command') or [])}]"
    elif "httpGet" in probe:
        get = probe["httpGet"]
        what = f"http-get {get.get('scheme', 'HTTP').lower()}://{get.get('host', '')}:"
        what += f"{get.get('port')}{get.get('path', '')}"
    elif "tcpSocket" in probe:
        what = f"tcp-socket {probe['tcpSocket'].get('host', '')}:{probe['tcpSocket'].get('port')}"
    elif "grpc" in probe:
        what = f"grpc <pod>:{probe['grpc'].get('port')} {probe['grpc'].get('service', '')}"
    else:
        what = "unknown"
    return (
        f"{what} delay={probe.get('initialDelaySeconds', 0)}s "
        f"timeout={probe.get('timeoutSeconds', 1)}s period={probe.get('periodSeconds', 10)}s "
        f"#success={probe.get('successThreshold', 1)} #failure={probe.get('failureThreshold', 3)}"
    )


def _env_value(entry: dict[str, Any], pod: dict[str, Any] | None) -> str:
    if "value" in entry:
        return str(entry["value"])
    source = entry.get("valueFrom") or {}
    if "fieldRef" in source:
        ref = source["fieldRef"]
        path = ref.get("fieldPath", "")
        value = _field(pod, path) if pod else None
        return f"{value if value is not None else ''} ({ref.get('apiVersion', 'v1')}:{path})"
    if "resourceFieldRef" in source:
        ref = source["resourceFieldRef"]
        return f"{ref.get('resource')} ({ref.get('containerName', '')})"
    for key, what in (("configMapKeyRef", "config map"), ("secretKeyRef", "secret")):
        if key in source:
            ref = source[key]
            optional = "true" if ref.get("optional") else "false"
            return (
                f"<set to the key '{ref.get('key')}' of {what} '{ref.get('name')}'>  "
                f"Optional: {optional}"
            )
    return ""


def _field(obj: dict[str, Any] | None, path: str) -> Any:
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _container(
    spec: dict[str, Any], status: dict[str, Any] | None, pod: dict[str, Any] | None
) -> Sections:
    """One container as kubectl describes it (of a pod with its status, or of a template)."""
    out: Sections = {}
    if status and status.get("containerID"):
        out["Container ID"] = status["containerID"]
    out["Image"] = spec.get("image", "")
    if status and status.get("imageID"):
        out["Image ID"] = status["imageID"]
    ports = spec.get("ports") or []
    out["Ports" if len(ports) > 1 else "Port"] = _ports(ports, "containerPort")
    out["Host Ports" if len(ports) > 1 else "Host Port"] = _ports(ports, "hostPort")
    if spec.get("command"):
        out["Command"] = list(spec["command"])
    if spec.get("args"):
        out["Args"] = list(spec["args"])
    if status is not None:
        state = _state(status.get("state"), "State")
        if state:
            out["State"] = state
        last = _state(status.get("lastState"), "Last State")
        if last:
            out["Last State"] = last
        out["Ready"] = bool(status.get("ready", False))
        out["Restart Count"] = int(status.get("restartCount", 0))
    resources = spec.get("resources") or {}
    for heading, key in (("Limits", "limits"), ("Requests", "requests")):
        if resources.get(key):
            out[heading] = dict(resources[key])
    for heading, key in (
        ("Liveness", "livenessProbe"),
        ("Readiness", "readinessProbe"),
        ("Startup", "startupProbe"),
    ):
        if spec.get(key):
            out[heading] = _probe(spec[key])
    sources = spec.get("envFrom") or []
    if sources:
        out["Environment Variables from"] = [_env_from(s) for s in sources]
    env = {e["name"]: _env_value(e, pod) for e in spec.get("env") or [] if "name" in e}
    out["Environment"] = env or NONE
    mounts = [
        f"{m.get('mountPath')} from {m.get('name')} ({'ro' if m.get('readOnly') else 'rw'})"
        for m in spec.get("volumeMounts") or []
    ]
    out["Mounts"] = mounts or NONE
    return out


def _env_from(source: dict[str, Any]) -> str:
    for key, what in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
        if key in source:
            ref = source[key]
            prefix = source.get("prefix")
            optional = "true" if ref.get("optional") else "false"
            shown = f"{ref.get('name')}  {what}"
            shown += f" with prefix '{prefix}'" if prefix else ""
            return f"{shown}  Optional: {optional}"
    return str(source)


def _containers(
    specs: list[dict[str, Any]], statuses: list[dict[str, Any]] | None, pod: dict[str, Any] | None
) -> Sections:
    by_name = {s.get("name"): s for s in statuses or []}
    return {
        c["name"]: _container(c, by_name.get(c["name"], {}) if pod else None, pod) for c in specs
    }


# What kubectl prints for a volume field left unset.
_DEFAULTS: dict[str, Any] = {"optional": False, "readOnly": False, "sizeLimit": "<unset>"}


def _volume(volume: dict[str, Any]) -> Sections:
    """A volume's source as kubectl names it, with its main fields."""
    kinds = {
        "configMap": ("ConfigMap (a volume populated by a ConfigMap)", ("name", "optional")),
        "secret": ("Secret (a volume populated by a Secret)", ("secretName", "optional")),
        "emptyDir": (
            "EmptyDir (a temporary directory that shares a pod's lifetime)",
            ("medium", "sizeLimit"),
        ),
        "persistentVolumeClaim": (
            "PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)",
            ("claimName", "readOnly"),
        ),
        "hostPath": ("HostPath (bare host directory volume)", ("path", "type")),
        "projected": (
            "Projected (a volume that contains injected data from multiple sources)",
            (),
        ),
        "downwardAPI": ("DownwardAPI (a volume populated by information about the pod)", ()),
    }
    for key, (label, fields) in kinds.items():
        if key in volume:
            source = volume[key] or {}
            out: Sections = {"Type": label}
            for field in fields:
                heading = {"secretName": "SecretName", "claimName": "ClaimName",
                           "readOnly": "ReadOnly", "sizeLimit": "SizeLimit"}.get(
                    field, field.capitalize())  # fmt: skip
                value = source.get(field, _DEFAULTS.get(field))
                out[heading] = _text(value) if value is not None else ""
            if key == "projected":
                out.update(_projected(source))
            return out
    other = next((k for k in volume if k != "name"), "unknown")
    return {"Type": f"{other[0].upper()}{other[1:]}"}


def _projected(source: dict[str, Any]) -> Sections:
    out: Sections = {}
    for item in source.get("sources") or []:
        if "serviceAccountToken" in item:
            out["TokenExpirationSeconds"] = item["serviceAccountToken"].get("expirationSeconds")
        if "configMap" in item:
            out["ConfigMapName"] = item["configMap"].get("name")
            out["Optional"] = _text(bool(item["configMap"].get("optional", False)))
        if "secret" in item:
            out["SecretName"] = item["secret"].get("name")
        if "downwardAPI" in item:
            out["DownwardAPI"] = "true"
    return out


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _tolerations(tolerations: list[dict[str, Any]] | None) -> list[str] | str:
    shown = []
    for t in tolerations or []:
        text = t.get("key", "")
        if t.get("value"):
            text += f"={t['value']}"
        if t.get("effect"):
            text += f":{t['effect']}"
        if t.get("operator") == "Exists" and not t.get("value"):
            text += " op=Exists"
        if t.get("tolerationSeconds") is not None:
            text += f" for {t['tolerationSeconds']}s"
        shown.append(text)
    return shown or NONE


def _pod_spec_tail(spec: dict[str, Any]) -> Sections:
    volumes = {v["name"]: _volume(v) for v in spec.get("volumes") or [] if "name" in v}
    return {
        "Volumes": volumes or NONE,
        "Node-Selectors": dict(spec.get("nodeSelector") or {}) or NONE,
        "Tolerations": _tolerations(spec.get("tolerations")),
    }


def template(template: dict[str, Any]) -> Sections:
    """A workload's `Pod Template`, as kubectl prints it (no statuses)."""
    meta, spec = template.get("metadata") or {}, template.get("spec") or {}
    out: Sections = {"Labels": dict(meta.get("labels") or {}) or NONE}
    if meta.get("annotations"):
        out["Annotations"] = dict(meta["annotations"])
    if spec.get("serviceAccountName"):
        out["Service Account"] = spec["serviceAccountName"]
    if spec.get("initContainers"):
        out["Init Containers"] = _containers(spec["initContainers"], None, None)
    out["Containers"] = _containers(spec.get("containers") or [], None, None)
    out.update(_pod_spec_tail(spec))
    return out


def _qos(spec: dict[str, Any]) -> str:
    """The QoS class, as the kubelet computes it, when the status does not say it."""
    containers = spec.get("containers") or []
    requests = [((c.get("resources") or {}).get("requests") or {}) for c in containers]
    limits = [((c.get("resources") or {}).get("limits") or {}) for c in containers]
    if not any(requests) and not any(limits):
        return "BestEffort"
    guaranteed = all(
        lim.get(r) is not None and (req.get(r, lim.get(r)) == lim.get(r))
        for req, lim in zip(requests, limits, strict=True)
        for r in ("cpu", "memory")
    )
    return "Guaranteed" if guaranteed else "Burstable"


def pod(obj: dict[str, Any], related: dict[str, Any]) -> Sections:
    meta, spec, status = common.meta(obj), obj.get("spec") or {}, obj.get("status") or {}
    out = common.head(obj, created=False)
    out["Priority"] = spec.get("priority", 0)
    if spec.get("priorityClassName"):
        out["Priority Class Name"] = spec["priorityClassName"]
    if spec.get("runtimeClassName"):
        out["Runtime Class Name"] = spec["runtimeClassName"]
    out["Service Account"] = spec.get("serviceAccountName", "")
    node = spec.get("nodeName")
    out["Node"] = f"{node}/{status.get('hostIP', '')}" if node else NONE
    if status.get("startTime"):
        out["Start Time"] = common.instant(status["startTime"])
    out["Labels"] = common.labels(obj) or NONE
    out["Annotations"] = common.annotations_of(obj) or NONE
    if meta.get("deletionTimestamp"):
        out["Status"] = f"Terminating (lasts since {meta['deletionTimestamp']})"
        out["Termination Grace Period"] = f"{meta.get('deletionGracePeriodSeconds', 0)}s"
    else:
        out["Status"] = status.get("phase", "")
    for heading, key in (("Reason", "reason"), ("Message", "message")):
        if status.get(key):
            out[heading] = status[key]
    out["IP"] = status.get("podIP", "")
    out["IPs"] = [ip.get("ip") for ip in status.get("podIPs") or []] or NONE
    controller = common.controlled_by(obj)
    if controller:
        out["Controlled By"] = controller
    if status.get("nominatedNodeName"):
        out["NominatedNodeName"] = status["nominatedNodeName"]
    if spec.get("initContainers"):
        out["Init Containers"] = _containers(
            spec["initContainers"], status.get("initContainerStatuses"), obj
        )
    out["Containers"] = _containers(
        spec.get("containers") or [], status.get("containerStatuses"), obj
    )
    if spec.get("ephemeralContainers"):
        out["Ephemeral Containers"] = _containers(
            spec["ephemeralContainers"], status.get("ephemeralContainerStatuses"), obj
        )
    if spec.get("readinessGates"):
        out["Readiness Gates"] = [g.get("conditionType") for g in spec["readinessGates"]]
    conditions = common.conditions(obj, ("Type", "Status"))
    if conditions is not None:
        out["Conditions"] = conditions
    tail = _pod_spec_tail(spec)
    out["Volumes"] = tail.pop("Volumes")
    out["QoS Class"] = status.get("qosClass") or _qos(spec)
    out.update(tail)
    return out
