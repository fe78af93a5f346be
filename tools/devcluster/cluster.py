"""Bring the local cluster up and down: the order of things and what "ready" means for each."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

from tools.devcluster import (
    build,
    configs,
    images,
    kwok,
    layout,
    metrics,
    network,
    pki,
    processes,
)

COMPONENTS = (
    "containerd",
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
    "kube-proxy",
    "metrics-server",
)
API = f"https://127.0.0.1:{layout.API_PORT}"
#: s a component gets after SIGTERM before SIGKILL. The API server drains its watches for about
#: a minute; it keeps no state of its own (etcd does), so it is not waited for.
STOP_TIMEOUT = {"kube-apiserver": 2.0, "kube-controller-manager": 2.0, "kube-scheduler": 2.0}


def _https_ok(lay: layout.Layout, path: str) -> bool:
    context = ssl.create_default_context(cafile=str(lay.pki / "ca.crt"))
    context.load_cert_chain(str(lay.pki / "admin.crt"), str(lay.pki / "admin.key"))
    with urllib.request.urlopen(f"{API}{path}", context=context, timeout=3) as response:
        return response.status == 200


def _metrics_live(lay: layout.Layout) -> bool:
    context = ssl.create_default_context(cafile=str(lay.pki / "ca.crt"))
    url = f"https://{layout.NODE_IP}:{layout.METRICS_SERVER_PORT}/livez"
    with urllib.request.urlopen(url, context=context, timeout=3) as response:
        return response.status == 200


def _http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=3) as response:
        return response.status == 200


class Timer:
    """Named durations of the steps of `up`, reported at the end."""

    def __init__(self, log) -> None:
        self.log = log
        self.figures: dict[str, float] = {}
        self.started = time.monotonic()

    def mark(self, name: str, seconds: float) -> None:
        self.figures[name] = round(seconds, 2)
        self.log(f"  {name}: {seconds:.1f} s")


def _start(lay: layout.Layout, name: str, argv: list[str]) -> None:
    """Start NAME unless it runs with these very arguments (a changed flag restarts it)."""
    if processes.running(name, lay.pids) is not None:
        if processes.started_with(name, lay.pids, argv):
            return
        processes.stop(name, lay.pids)
    processes.start(name, argv, lay.pids, lay.logs)


def _write_configs(lay: layout.Layout) -> None:
    for directory in (lay.state, lay.cni_conf, lay.containerd, lay.kubelet_root):
        directory.mkdir(parents=True, exist_ok=True)
    _write_if_changed(lay.state / "containerd.toml", configs.containerd_toml(lay))
    _write_if_changed(lay.cni_conf / "10-kjupyter.conflist", configs.cni_conflist(lay))
    _write_if_changed(lay.state / "kubelet.json", configs.kubelet_config(lay))
    # kube-proxy exits when its config file is written to, even with the same content
    _write_if_changed(lay.state / "kube-proxy.json", configs.kube_proxy_config(lay))
    for stem in (
        "admin",
        "kubelet",
        "controller-manager",
        "scheduler",
        "kube-proxy",
        "metrics-server",
    ):
        pki.write_kubeconfig(lay, stem, API)
    pki.write_kubeconfig(lay, "restricted", API, namespace=layout.RESTRICTED_NAMESPACE)


def _write_if_changed(path: Path, text: str) -> None:
    """Write `text` unless the file already holds it (running components watch some files)."""
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _start_containerd(lay: layout.Layout) -> None:
    _start(lay, "containerd", ["containerd", "--config", str(lay.state / "containerd.toml")])
    processes.wait_for(
        "containerd",
        lambda: subprocess.run([*images.ctr(lay), "version"], capture_output=True).returncode == 0,
        60,
        lay.logs / "containerd.log",
    )


def _start_control_plane(lay: layout.Layout, timer: Timer) -> None:
    bin_, pki_dir = lay.bin, lay.pki
    etcd_url = f"http://127.0.0.1:{layout.ETCD_CLIENT_PORT}"
    peer_url = f"http://127.0.0.1:{layout.ETCD_PEER_PORT}"
    _start(
        lay,
        "etcd",
        [
            str(bin_ / "etcd"), "--name", "kjupyter", "--data-dir", str(lay.etcd_data),
            "--listen-client-urls", etcd_url, "--advertise-client-urls", etcd_url,
            "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
            "--initial-cluster", f"kjupyter={peer_url}", "--log-level", "warn",
            "--unsafe-no-fsync",  # a test cluster: speed over durability
        ],
    )  # fmt: skip
    timer.mark(
        "etcd healthy",
        processes.wait_for(
            "etcd", lambda: _http_ok(f"{etcd_url}/health"), 60, lay.logs / "etcd.log"
        ),
    )
    _start(
        lay,
        "kube-apiserver",
        [
            str(bin_ / "kube-apiserver"), f"--etcd-servers={etcd_url}",
            "--bind-address=0.0.0.0", f"--secure-port={layout.API_PORT}",
            f"--advertise-address={layout.NODE_IP}",
            f"--tls-cert-file={pki_dir / 'apiserver.crt'}",
            f"--tls-private-key-file={pki_dir / 'apiserver.key'}",
            f"--client-ca-file={pki_dir / 'ca.crt'}",
            f"--service-account-key-file={pki_dir / 'sa.pub'}",
            f"--service-account-signing-key-file={pki_dir / 'sa.key'}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--authorization-mode=Node,RBAC",
            f"--service-cluster-ip-range={layout.SERVICE_CIDR}",
            f"--kubelet-client-certificate={pki_dir / 'apiserver-kubelet-client.crt'}",
            f"--kubelet-client-key={pki_dir / 'apiserver-kubelet-client.key'}",
            "--kubelet-preferred-address-types=InternalIP",
            "--allow-privileged=true", "--profiling=false", "--event-ttl=2h",
            *metrics.apiserver_flags(lay),
        ],
    )  # fmt: skip
    timer.mark(
        "api server ready",
        processes.wait_for(
            "kube-apiserver", lambda: _https_ok(lay, "/readyz"), 180,
            lay.logs / "kube-apiserver.log",
        ),
    )  # fmt: skip
    _start(
        lay,
        "kube-controller-manager",
        [
            str(bin_ / "kube-controller-manager"),
            f"--kubeconfig={lay.kubeconfig('controller-manager')}",
            f"--authentication-kubeconfig={lay.kubeconfig('controller-manager')}",
            f"--authorization-kubeconfig={lay.kubeconfig('controller-manager')}",
            f"--service-account-private-key-file={pki_dir / 'sa.key'}",
            f"--root-ca-file={pki_dir / 'ca.crt'}",
            "--use-service-account-credentials=true",
            f"--cluster-signing-cert-file={pki_dir / 'ca.crt'}",
            f"--cluster-signing-key-file={pki_dir / 'ca.key'}",
            "--leader-elect=false", "--bind-address=127.0.0.1",
        ],
    )  # fmt: skip
    _start(
        lay,
        "kube-scheduler",
        [
            str(bin_ / "kube-scheduler"),
            f"--kubeconfig={lay.kubeconfig('scheduler')}",
            f"--authentication-kubeconfig={lay.kubeconfig('scheduler')}",
            f"--authorization-kubeconfig={lay.kubeconfig('scheduler')}",
            "--leader-elect=false", "--bind-address=127.0.0.1",
        ],
    )  # fmt: skip


def _start_node(lay: layout.Layout) -> None:
    _start(
        lay,
        "kubelet",
        [
            str(lay.bin / "kubelet"), f"--config={lay.state / 'kubelet.json'}",
            f"--kubeconfig={lay.kubeconfig('kubelet')}",
            f"--hostname-override={layout.NODE_NAME}", f"--node-ip={layout.NODE_IP}",
            f"--root-dir={lay.kubelet_root}", f"--cert-dir={lay.pki}",
        ],
    )  # fmt: skip
    _start(
        lay,
        "kube-proxy",
        [str(lay.bin / "kube-proxy"), f"--config={lay.state / 'kube-proxy.json'}"],
    )


def _api(lay: layout.Layout):
    from kubernetes import client, config

    return client, config.new_client_from_config(config_file=str(lay.kubeconfig("admin")))


def _node_ready(lay: layout.Layout) -> bool:
    client, api_client = _api(lay)
    with api_client:
        node = client.CoreV1Api(api_client).read_node(layout.NODE_NAME)
    return any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])


def _bootstrap_rbac(lay: layout.Layout) -> None:
    """The restricted test user: pods, logs, exec, port-forward, configmaps, events; one NS."""
    client, api_client = _api(lay)
    namespace = layout.RESTRICTED_NAMESPACE
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "kjupyter-restricted", "namespace": namespace},
        "rules": [
            {
                "apiGroups": [""],
                "resources": ["pods", "configmaps"],
                "verbs": ["get", "list", "watch", "create", "update", "patch", "delete",
                          "deletecollection"],
            },
            {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
            {"apiGroups": [""], "resources": ["pods/exec", "pods/portforward"],
             "verbs": ["get", "create"]},
            {"apiGroups": ["", "events.k8s.io"], "resources": ["events"],
             "verbs": ["get", "list", "watch"]},
        ],
    }  # fmt: skip
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "kjupyter-restricted", "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                    "name": "kjupyter-restricted"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User",
                      "name": layout.RESTRICTED_USER}],
    }  # fmt: skip
    with api_client:
        core, rbac = client.CoreV1Api(api_client), client.RbacAuthorizationV1Api(api_client)
        _create_or_keep(lambda: core.create_namespace({"metadata": {"name": namespace}}))
        _create_or_keep(lambda: rbac.create_namespaced_role(namespace, role))
        rbac.replace_namespaced_role("kjupyter-restricted", namespace, role)
        _create_or_keep(lambda: rbac.create_namespaced_role_binding(namespace, binding))


def _create_or_keep(create) -> None:
    from kubernetes.client.exceptions import ApiException

    try:
        create()
    except ApiException as err:
        if err.status != 409:
            raise


def _default_service_account(lay: layout.Layout, namespace: str) -> bool:
    client, api_client = _api(lay)
    with api_client:
        return bool(
            client.CoreV1Api(api_client)
            .list_namespaced_service_account(namespace, field_selector="metadata.name=default")
            .items
        )


def add_worker_image(lay: layout.Layout, log=print) -> str:
    """Build this tree's worker image and import it into the running containerd.

    For a branch's worker-side changes (`KJUPYTER_TEST_WORKER_IMAGE=<name>` in its tests):
    the cluster's recorded default image stays, so other users of the cluster are unaffected.
    """
    if processes.running("containerd", lay.pids) is None:
        raise RuntimeError("containerd is not running: `python -m tools.devcluster up` first")
    name, archive = images.worker_image(lay, lambda *a, **k: None)
    images.import_image(lay, name, archive)
    return name


def up(
    lay: layout.Layout, fresh: bool = False, log=print, fake_nodes: int | None = None
) -> dict[str, float]:
    """Build what is missing, start every component, wait for a Ready node; return timings.

    `fake_nodes` N: also N KWOK nodes, Ready (0 removes them); None leaves fake nodes as they
    are (KWOK restarted if it managed some before, so they stay Ready).
    """
    timer = Timer(log)
    recorded = [name for name in COMPONENTS if (lay.pids / f"{name}.pid").exists()]
    running = [name for name in recorded if processes.running(name, lay.pids) is not None]
    if fresh or (recorded and not running):
        # Nothing of the old cluster runs (the machine restarted): clear what it left behind.
        # When some of it runs, only the missing components start again (`_start`), and the
        # pods and the rest stay up: a stopped API server is no reason to kill every pod.
        down(lay, purge=fresh, log=log)
    for name, seconds in build.ensure_binaries(lay, log).items():
        timer.mark(f"go build {name}", seconds)
    pki.ensure_pki(lay)
    network.up()
    _write_configs(lay)
    started = time.monotonic()
    _start_containerd(lay)
    timer.mark("containerd ready", time.monotonic() - started)
    started = time.monotonic()
    pause = images.pause_image(lay)
    worker_name, worker_archive = images.worker_image(lay, log)
    timer.mark("images built", time.monotonic() - started)
    started = time.monotonic()
    images.import_image(lay, layout.PAUSE_IMAGE, pause)
    images.import_image(lay, worker_name, worker_archive)
    images.prune_archives(lay, keep={worker_archive})
    timer.mark("images imported", time.monotonic() - started)
    control_started = time.monotonic()
    _start_control_plane(lay, timer)
    _start_node(lay)
    processes.wait_for("node Ready", lambda: _node_ready(lay), 180, lay.logs / "kubelet.log")
    _bootstrap_rbac(lay)
    metrics.register(lay)
    _start(lay, metrics.NAME, metrics.argv(lay))
    processes.wait_for(
        "metrics API available",
        lambda: _metrics_live(lay) and metrics.available(lay),
        120,
        lay.logs / "metrics-server.log",
    )
    for namespace in ("default", layout.RESTRICTED_NAMESPACE):
        processes.wait_for(
            f"serviceaccount/default in {namespace}",
            lambda ns=namespace: _default_service_account(lay, ns),
            120,
            lay.logs / "kube-controller-manager.log",
        )
    timer.mark("cluster up (etcd start → node Ready)", time.monotonic() - control_started)
    state = {
        "admin_kubeconfig": str(lay.kubeconfig("admin")),
        "restricted_kubeconfig": str(lay.kubeconfig("restricted")),
        "restricted_namespace": layout.RESTRICTED_NAMESPACE,
        "worker_image": worker_name,
        "pause_image": layout.PAUSE_IMAGE,
        "node_name": layout.NODE_NAME,
        "node_ip": layout.NODE_IP,
        "api_server": API,
        "kubernetes_version": layout.KUBERNETES_VERSION,
        "kubectl": str(lay.bin / "kubectl"),
        "timings": timer.figures,
    }
    lay.cluster_file.write_text(json.dumps(state, indent=2))
    if fake_nodes is None:
        fake_nodes = len(kwok.existing(lay)) or None  # KWOK again for fake nodes `down` left
    if fake_nodes is not None:
        started = time.monotonic()
        kwok.set_fake_nodes(lay, fake_nodes, log=log)
        timer.mark("fake nodes Ready", time.monotonic() - started)
    return timer.figures


def fake_nodes(lay: layout.Layout, count: int, log=print) -> dict[str, float]:
    """Add or remove KWOK nodes on a running cluster (building KWOK first if needed)."""
    if processes.running("kube-apiserver", lay.pids) is None:
        raise RuntimeError("the cluster is not up: `python -m tools.devcluster up` first")
    figures = {f"go build {n}": s for n, s in build.ensure_binaries(lay, log, ("kwok",)).items()}
    started = time.monotonic()
    kwok.set_fake_nodes(lay, count, log=log)
    figures["fake nodes Ready"] = round(time.monotonic() - started, 2)
    return figures


def _remove_pod_containers(lay: layout.Layout) -> int:
    """Kill and remove every container of our containerd (pods outlive the kubelet)."""
    ctr = images.ctr(lay)
    if subprocess.run([*ctr, "version"], capture_output=True).returncode != 0:
        return 0
    listing = subprocess.run([*ctr, "tasks", "ls"], capture_output=True, text=True).stdout
    tasks = [line.split()[0] for line in listing.splitlines()[1:] if line.strip()]
    for task in tasks:
        subprocess.run([*ctr, "tasks", "kill", "-a", "-s", "SIGKILL", task],
                       capture_output=True)  # fmt: skip
    for task in tasks:
        for _ in range(50):
            gone = subprocess.run([*ctr, "tasks", "delete", "-f", task], capture_output=True)
            if gone.returncode == 0 or b"not found" in gone.stderr:
                break
            time.sleep(0.1)
    containers = subprocess.run(
        [*ctr, "containers", "ls", "-q"], capture_output=True, text=True
    ).stdout.split()
    if containers:
        subprocess.run([*ctr, "containers", "rm", *containers], capture_output=True)
    return len(tasks)


def down(lay: layout.Layout, purge: bool = False, log=print) -> None:
    """Stop what `up` started (by PID), its pods, mounts and network; `purge` wipes state."""
    if kwok.stop(lay):  # fake nodes stay in etcd: the next `up` restarts KWOK for them
        log("stopped kwok")
    for name in ("metrics-server", "kube-proxy", "kubelet"):
        if processes.stop(name, lay.pids):
            log(f"stopped {name}")
    if processes.running("containerd", lay.pids) is not None:
        killed = _remove_pod_containers(lay)
        if killed:
            log(f"removed {killed} pod containers")
    for name in ("kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd",
                 "containerd"):  # fmt: skip
        if processes.stop(name, lay.pids, timeout=STOP_TIMEOUT.get(name, 20.0)):
            log(f"stopped {name}")
    _kill_orphan_shims(lay)
    if (lay.bin / "kube-proxy").exists():
        subprocess.run(
            [str(lay.bin / "kube-proxy"), "--cleanup", "--proxy-mode=iptables"],
            capture_output=True,
        )
    for item in network.down(lay):
        log(f"removed {item}")
    lay.cluster_file.unlink(missing_ok=True)
    if purge:
        # containerd's state dir is its /run: shim bundles of containers that no longer run.
        # Its root (imported images) stays: images cannot be pulled back.
        for directory in (lay.state, lay.containerd / "state"):
            if directory.exists():
                shutil.rmtree(directory, ignore_errors=True)
                log(f"purged {directory}")


def _kill_orphan_shims(lay: layout.Layout) -> None:
    """Shims of our containerd left behind (only those naming our socket)."""
    marker = str(lay.containerd_socket).encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if b"containerd-shim" in cmdline and marker in cmdline:
            subprocess.run(["kill", "-9", proc.name], capture_output=True)


def status(lay: layout.Layout) -> dict[str, object]:
    """Which components run (PIDs), and whether the node is Ready."""
    report: dict[str, object] = {name: processes.running(name, lay.pids) for name in COMPONENTS}
    report[kwok.NAME] = kwok.running(lay)
    try:
        report["node_ready"] = _node_ready(lay)
    except Exception as err:
        report["node_ready"] = f"unknown ({type(err).__name__})"
    return report
