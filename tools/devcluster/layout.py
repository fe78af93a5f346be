"""Where the local cluster keeps its binaries, images and state, and the versions it pins."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

KUBERNETES_VERSION = "v1.36.3"
ETCD_VERSION = "v3.6.16"
NODE_NAME = "kjupyter-node"
BRIDGE = "kjbr0"
#: the bridge's own MAC, set once: a bridge left to choose takes its lowest port's, so every
#: pod that starts or ends could move the pods' gateway to a new MAC (see network.up)
BRIDGE_MAC = "02:6b:6a:62:72:30"  # locally administered; "kjbr0"
POD_CIDR = "10.244.0.0/24"
NODE_IP = "10.244.0.1"  # the pod bridge's gateway doubles as the node IP (loopback is refused)
SERVICE_CIDR = "10.96.0.0/24"
SERVICE_IP = "10.96.0.1"  # ClusterIP of `kubernetes.default`
API_PORT = 6443
ETCD_CLIENT_PORT = 23790
ETCD_PEER_PORT = 23800
RESTRICTED_USER = "kjupyter-restricted"
RESTRICTED_NAMESPACE = "kjupyter-restricted"
METRICS_SERVER_VERSION = "v0.8.0"  # pinned in gobuild/metrics-server/go.mod
METRICS_SERVER_USER = "system:metrics-server"
METRICS_SERVER_PORT = 4443  # on NODE_IP: an aggregated API's endpoint may not be loopback
FRONT_PROXY_USER = "front-proxy-client"
IMAGE_REGISTRY = "kjupyter.local"
PAUSE_IMAGE = f"{IMAGE_REGISTRY}/pause:3.10"
REPO_ROOT = Path(__file__).resolve().parents[2]
GOBUILD = Path(__file__).resolve().parent / "gobuild"


@dataclass(frozen=True)
class Layout:
    """The directory tree under one home (`KJUPYTER_DEVCLUSTER_HOME`)."""

    home: Path
    bin: Path  # built binaries: pure build output keyed by go.mod, so kept outside the home

    @classmethod
    def default(cls) -> Layout:
        """The home named by the environment, else `~/.cache/kjupyter-devcluster`.

        Binaries go to `KJUPYTER_DEVCLUSTER_BIN`, else `~/.cache/kjupyter-devcluster-bin`: CI
        starts every run from an empty home (a set-up step that only an old home provided
        fails there, not on a user's new machine) and still skips the ~15 min Go build.
        """
        cache = Path.home() / ".cache"
        home = os.environ.get("KJUPYTER_DEVCLUSTER_HOME")
        binaries = os.environ.get("KJUPYTER_DEVCLUSTER_BIN")
        return cls(
            Path(home) if home else cache / "kjupyter-devcluster",
            Path(binaries) if binaries else cache / "kjupyter-devcluster-bin",
        )

    @classmethod
    def under(cls, home: Path) -> Layout:
        """Everything, binaries included, under one directory (tests of the layout itself)."""
        return cls(home, home / "bin")

    @property
    def images(self) -> Path:
        return self.home / "images"

    @property
    def state(self) -> Path:
        """Runtime state: wiped by `down --purge`, kept by `down` for a fast restart."""
        return self.home / "state"

    @property
    def pki(self) -> Path:
        return self.state / "pki"

    @property
    def logs(self) -> Path:
        return self.state / "logs"

    @property
    def pids(self) -> Path:
        return self.state / "pids"

    @property
    def etcd_data(self) -> Path:
        return self.state / "etcd"

    @property
    def containerd(self) -> Path:
        return self.home / "containerd"  # kept by --purge: imported images live here

    @property
    def containerd_socket(self) -> Path:
        return self.containerd / "containerd.sock"

    @property
    def kubelet_root(self) -> Path:
        return self.state / "kubelet"

    @property
    def cni_conf(self) -> Path:
        return self.state / "cni"

    @property
    def cni_ipam(self) -> Path:
        return self.state / "cni-ipam"

    @property
    def cluster_file(self) -> Path:
        """What tests read: kubeconfigs, worker image, node name."""
        return self.state / "cluster.json"

    def kubeconfig(self, user: str) -> Path:
        return self.state / f"kubeconfig-{user}"
