"""Configuration files of containerd, CNI, the kubelet and kube-proxy, as text.

Each setting that differs from a default is here because this machine needs it; the reasons are
in `shared/notes/local-cluster.md` and repeated next to the setting.
"""

from __future__ import annotations

import json

from tools.devcluster import layout


def containerd_toml(lay: layout.Layout) -> str:
    """containerd 1.6 (Debian) with its own root, state and socket, and runc via cgroupfs."""
    cri = 'plugins."io.containerd.grpc.v1.cri"'
    return f"""version = 2
root = "{lay.containerd / "root"}"
state = "{lay.containerd / "state"}"
disabled_plugins = [
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "{lay.containerd_socket}"

[ttrpc]
  address = "{lay.containerd / "containerd.sock.ttrpc"}"

[plugins."io.containerd.internal.v1.opt"]
  path = "{lay.containerd / "opt"}"

[{cri}]
  sandbox_image = "{layout.PAUSE_IMAGE}"
  # root lacks CAP_SYS_RESOURCE here: a negative oom_score_adj cannot be written
  restrict_oom_score_adj = true
  disable_apparmor = true
  enable_selinux = false
  max_container_log_line_size = 65536

[{cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[{cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[{cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false

[{cri}.cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "{lay.cni_conf}"
"""


def cni_conflist(lay: layout.Layout) -> str:
    """A bridge with host-local IPAM; no masquerade: pod traffic stays on this machine."""
    return json.dumps(
        {
            "cniVersion": "1.0.0",
            "name": "kjupyter",
            "plugins": [
                {
                    "type": "bridge",
                    "bridge": layout.BRIDGE,
                    "isGateway": True,
                    "isDefaultGateway": True,  # pods reach ClusterIPs via the node
                    "ipMasq": False,
                    "hairpinMode": True,
                    "ipam": {
                        "type": "host-local",
                        "ranges": [[{"subnet": layout.POD_CIDR, "gateway": layout.NODE_IP}]],
                        "dataDir": str(lay.cni_ipam),
                    },
                },
                {"type": "portmap", "capabilities": {"portMappings": True}},
                {"type": "loopback"},
            ],
        },
        indent=2,
    )


def kubelet_config(lay: layout.Layout) -> str:
    """KubeletConfiguration for cgroup v1, a capped open-files limit and images that stay."""
    return json.dumps(
        {
            "apiVersion": "kubelet.config.k8s.io/v1beta1",
            "kind": "KubeletConfiguration",
            "authentication": {
                "anonymous": {"enabled": False},
                "webhook": {"enabled": True},
                "x509": {"clientCAFile": str(lay.pki / "ca.crt")},
            },
            "authorization": {"mode": "Webhook"},
            "cgroupDriver": "cgroupfs",  # matches containerd's SystemdCgroup = false
            "failCgroupV1": False,  # this kernel offers cgroup v1 only
            "maxOpenFiles": 10000,  # the hard limit here is 20000
            "containerRuntimeEndpoint": f"unix://{lay.containerd_socket}",
            "imageServiceEndpoint": f"unix://{lay.containerd_socket}",
            "imageGCHighThresholdPercent": 100,  # images cannot be pulled back: never GC them
            "imageGCLowThresholdPercent": 99,
            "evictionHard": {
                "memory.available": "100Mi",
                "nodefs.available": "1%",
                "imagefs.available": "1%",
                "nodefs.inodesFree": "1%",
            },
            "failSwapOn": False,
            "resolvConf": "/etc/resolv.conf",
            "serializeImagePulls": False,
            "registerNode": True,
            "rotateCertificates": False,
            "serverTLSBootstrap": False,
            "tlsCertFile": str(lay.pki / "kubelet-serving.crt"),
            "tlsPrivateKeyFile": str(lay.pki / "kubelet-serving.key"),
            "healthzPort": 10248,
            "port": 10250,
            "readOnlyPort": 0,
            "staticPodPath": "",
            "maxPods": 250,
            "podPidsLimit": -1,
            "localStorageCapacityIsolation": True,
            "nodeStatusReportFrequency": "10s",
            "fileCheckFrequency": "20s",
            "syncFrequency": "10s",
            "containerLogMaxSize": "10Mi",
        },
        indent=2,
    )


def kube_proxy_config(lay: layout.Layout) -> str:
    """iptables mode; conntrack sysctls are left alone (maxPerCore 0)."""
    return json.dumps(
        {
            "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
            "kind": "KubeProxyConfiguration",
            "mode": "iptables",
            "clientConnection": {"kubeconfig": str(lay.kubeconfig("kube-proxy"))},
            "clusterCIDR": layout.POD_CIDR,
            "hostnameOverride": layout.NODE_NAME,
            "conntrack": {"maxPerCore": 0, "min": 0},
            "metricsBindAddress": "127.0.0.1:10249",
            "healthzBindAddress": "127.0.0.1:10256",
        },
        indent=2,
    )
