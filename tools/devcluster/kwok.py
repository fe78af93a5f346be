"""Fake nodes for scale tests: KWOK as a host process, managing only the nodes we label.

KWOK (sigs.k8s.io/kwok, built from its Go module like the other components) plays the
kubelet of every node labelled `type=kwok`: its Stages mark those nodes Ready (a Lease keeps
them so) and the pods bound to them Running, with no container anywhere. What it scales is
the control plane and kjupyter's client side, on the real API server of the local cluster.

Fake nodes carry a NoSchedule taint, so pods that do not tolerate it (every real test pod)
never land on them; scale benches add the toleration. The real node is never touched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools.devcluster import layout, processes

NAME = "kwok"
VERSION = "v0.8.0"  # pinned in gobuild/kwok/go.mod (its client-go matches the cluster's v1.36)
STAGES_FILE = "kwok-stages.yaml"  # next to the binary: derived from the same pinned module
NODE_PREFIX = "kwok-"
LABEL_KEY, LABEL_VALUE = "type", "kwok"  # KWOK's own convention
SELECTOR = f"{LABEL_KEY}={LABEL_VALUE}"
TAINT = {"key": "kwok.x-k8s.io/node", "value": "fake", "effect": "NoSchedule"}
TOLERATION = {"key": TAINT["key"], "operator": "Exists", "effect": "NoSchedule"}
POD_CIDR = "10.245.0.0/16"  # fake pods' IPs: apart from the real pod bridge's 10.244.0.0/24
LEASE_NAMESPACE = "kube-node-lease"
LEASE_SECONDS = 40  # node leases renewed by KWOK; full status only every ~10 min (its stage)
# The Stages KWOK needs, as the module ships them (kustomize/stage/...): nodes become Ready and
# stay so by lease, pods become Running, finish when their containers would, go when deleted.
STAGE_SOURCES = (
    "kustomize/stage/node/fast/node-initialize.yaml",
    "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "kustomize/stage/pod/fast/pod-ready.yaml",
    "kustomize/stage/pod/fast/pod-complete.yaml",
    "kustomize/stage/pod/fast/pod-delete.yaml",
)


def stages_text(module_root: Path) -> str:
    """One multi-document YAML of the Stages, read from the pinned module's source tree."""
    documents = []
    for relative in STAGE_SOURCES:
        text = (module_root / relative).read_text().strip()
        documents.append(text.removeprefix("---").strip())
    return "---\n" + "\n---\n".join(documents) + "\n"


def module_root(gobuild: Path) -> Path:
    """Where Go keeps the pinned KWOK module's source (downloaded by the build if missing)."""
    result = processes.run(
        ["go", "list", "-mod=mod", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/kwok"], cwd=gobuild
    )
    return Path(result.stdout.strip())


def write_stages(lay: layout.Layout) -> Path:
    """Copy the Stages beside the binary (CI starts from an empty home, not an empty cache)."""
    target = lay.bin / STAGES_FILE
    target.write_text(stages_text(module_root(layout.GOBUILD / NAME)))
    return target


def argv(lay: layout.Layout) -> list[str]:
    """KWOK's command line: our Stages, only `type=kwok` nodes, no server of its own."""
    return [
        str(lay.bin / NAME),
        f"--config={lay.bin / STAGES_FILE}",
        f"--kubeconfig={lay.kubeconfig('admin')}",
        "--manage-all-nodes=false",
        f"--manage-nodes-with-label-selector={SELECTOR}",
        f"--node-lease-duration-seconds={LEASE_SECONDS}",
        f"--cidr={POD_CIDR}",
        f"--node-ip={layout.NODE_IP}",
        "--server-address=",  # no kubelet API: logs and exec of fake pods are not served
        "--v=WARN",  # INFO logs every patch: gigabytes at 50,000 pods
    ]


def node_name(index: int) -> str:
    return f"{NODE_PREFIX}{index}"


def node_manifest(index: int) -> dict[str, Any]:
    """A fake node: labelled for KWOK, tainted so only pods that tolerate it land there."""
    name = node_name(index)
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                LABEL_KEY: LABEL_VALUE,
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/role": "agent",
            },
            "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
        },
        "spec": {"taints": [dict(TAINT)]},
    }


def plan(existing: list[str], count: int) -> tuple[list[int], list[str]]:
    """Which fake nodes to create (indices) and delete (names) to have exactly `count`.

    The nodes kept are kwok-0 .. kwok-(count-1); any other `type=kwok` node goes.
    """
    if count < 0:
        raise ValueError(f"fake node count must be 0 or more, not {count}")
    wanted = {node_name(i): i for i in range(count)}
    create = sorted(i for name, i in wanted.items() if name not in existing)
    delete = sorted(name for name in existing if name not in wanted)
    return create, delete


def existing(lay: layout.Layout) -> list[str]:
    """The names of the fake nodes the cluster has (whether or not KWOK runs)."""
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=str(lay.kubeconfig("admin")))
    with api_client:
        nodes = client.CoreV1Api(api_client).list_node(label_selector=SELECTOR).items
    return [n.metadata.name for n in nodes]


def running(lay: layout.Layout) -> int | None:
    return processes.running(NAME, lay.pids)


def start(lay: layout.Layout, before: Any = None) -> bool:
    """Start KWOK unless it already runs with this very command line; True if it started.

    `before` runs between stopping an old KWOK and starting the new one.
    """
    command = argv(lay)
    if running(lay) is not None:
        if processes.started_with(NAME, lay.pids, command):
            return False
        processes.stop(NAME, lay.pids)
    if not (lay.bin / NAME).exists() or not (lay.bin / STAGES_FILE).exists():
        raise RuntimeError(f"{lay.bin / NAME} is not built: `python -m tools.devcluster up` first")
    if before is not None:
        before()
    processes.start(NAME, command, lay.pids, lay.logs)
    return True


def stop(lay: layout.Layout) -> bool:
    return processes.stop(NAME, lay.pids, timeout=5.0)


def set_fake_nodes(lay: layout.Layout, count: int, timeout: float = 300.0, log=print) -> int:
    """Have exactly `count` fake nodes, all Ready; 0 removes them all and stops KWOK.

    Returns how many fake nodes there are now.
    """
    from kubernetes import client, config

    if count < 0:
        raise ValueError(f"fake node count must be 0 or more, not {count}")
    api_client = config.new_client_from_config(config_file=str(lay.kubeconfig("admin")))
    with api_client:
        core = client.CoreV1Api(api_client)
        existing = [n.metadata.name for n in core.list_node(label_selector=SELECTOR).items]
        create, delete = plan(existing, count)
        leases = client.CoordinationV1Api(api_client)
        # A new KWOK waits for the old one's node leases to expire (it takes over leases, as
        # replicas of it would): the fake nodes' leases go first, so it holds them at once.
        if count and start(lay, before=lambda: _drop_leases(leases, existing)):
            log("started kwok")
        for name in delete:
            _delete_node(core, name)
        for index in create:
            _create_node(core, node_manifest(index))
        if delete or create:
            log(f"fake nodes: {len(create)} created, {len(delete)} deleted")
        if count:
            processes.wait_for(
                f"{count} fake nodes Ready",
                lambda: _ready_count(core) >= count and _held_leases(leases) >= count,
                timeout,
                lay.logs / f"{NAME}.log",
            )
        else:
            processes.wait_for(
                "fake nodes gone",
                lambda: not core.list_node(label_selector=SELECTOR).items,
                timeout,
            )
            if stop(lay):
                log("stopped kwok")
    return count


def _create_node(core: Any, body: dict[str, Any]) -> None:
    from kubernetes.client.exceptions import ApiException

    try:
        core.create_node(body)
    except ApiException as err:
        if err.status != 409:
            raise


def _delete_node(core: Any, name: str) -> None:
    from kubernetes.client.exceptions import ApiException

    try:
        core.delete_node(name)
    except ApiException as err:
        if err.status != 404:
            raise


def _drop_leases(leases: Any, names: list[str]) -> None:
    from kubernetes.client.exceptions import ApiException

    for name in names:
        try:
            leases.delete_namespaced_lease(name, LEASE_NAMESPACE)
        except ApiException as err:
            if err.status != 404:
                raise


def _held_leases(leases: Any) -> int:
    """Fake nodes whose lease KWOK holds (it creates them as it takes a node over)."""
    found = leases.list_namespaced_lease(LEASE_NAMESPACE).items
    return sum(1 for lease in found if lease.metadata.name.startswith(NODE_PREFIX))


def _ready_count(core: Any) -> int:
    nodes = core.list_node(label_selector=SELECTOR).items
    return sum(
        any(c.type == "Ready" and c.status == "True" for c in (n.status.conditions or []))
        for n in nodes
    )
