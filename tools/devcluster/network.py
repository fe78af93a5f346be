"""The pod network on this machine: a bridge whose gateway is the node IP, kept off the outside.

The kubelet refuses a loopback node IP, so the pod bridge's gateway address serves as the node
IP; pod traffic leaving the pod subnet is dropped (a chain of ours in FORWARD) so that nothing a
test runs can reach past this machine.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tools.devcluster import layout
from tools.devcluster.processes import run

CHAIN = "KJUPYTER-DEVCLUSTER"


def _quiet(argv: list[str]) -> int:
    return subprocess.run(argv, capture_output=True).returncode


def up() -> None:
    """Create the bridge with the node IP and the FORWARD guard (idempotent)."""
    if _quiet(["ip", "link", "show", layout.BRIDGE]) != 0:
        run(["ip", "link", "add", layout.BRIDGE, "type", "bridge"])
    prefix = layout.POD_CIDR.split("/")[1]
    addresses = run(["ip", "-o", "addr", "show", "dev", layout.BRIDGE]).stdout
    if f" {layout.NODE_IP}/" not in addresses:
        run(["ip", "addr", "add", f"{layout.NODE_IP}/{prefix}", "dev", layout.BRIDGE])
    # A fixed address: a bridge left to choose takes its lowest port's MAC and changes it
    # when a pod's veth joins or leaves. Pods keep the old gateway MAC in their ARP cache,
    # and what they send to this host is dropped until it expires: a worker pod connected
    # to while another pod started had its handshake reply lost for 10 s (seen here).
    run(["ip", "link", "set", layout.BRIDGE, "address", layout.BRIDGE_MAC])
    run(["ip", "link", "set", layout.BRIDGE, "up"])
    if _quiet(["iptables", "-w", "-n", "-L", CHAIN]) != 0:
        run(["iptables", "-w", "-N", CHAIN])
    run(["iptables", "-w", "-F", CHAIN])
    run(
        ["iptables", "-w", "-A", CHAIN, "-s", layout.POD_CIDR, "!", "-d", layout.POD_CIDR,
         "-j", "DROP"]
    )  # fmt: skip
    if _quiet(["iptables", "-w", "-C", "FORWARD", "-j", CHAIN]) != 0:
        run(["iptables", "-w", "-I", "FORWARD", "1", "-j", CHAIN])


def down(lay: layout.Layout) -> list[str]:
    """Remove what `up` and the pods left: mounts, pod netns, the bridge, our chain."""
    removed: list[str] = []
    for mount in _mounts_under([lay.state, lay.containerd]):
        if _quiet(["umount", "-l", mount]) == 0:
            removed.append(f"mount {mount}")
    netns_dir = Path("/var/run/netns")
    for netns in sorted(netns_dir.glob("cni-*")) if netns_dir.exists() else []:
        if _pod_netns_is_ours(netns.name):
            _quiet(["umount", "-l", str(netns)])
            if _quiet(["ip", "netns", "delete", netns.name]) == 0:
                removed.append(f"netns {netns.name}")
    if _quiet(["ip", "link", "show", layout.BRIDGE]) == 0:
        _quiet(["ip", "link", "delete", layout.BRIDGE])
        removed.append(f"bridge {layout.BRIDGE}")
    if _quiet(["iptables", "-w", "-C", "FORWARD", "-j", CHAIN]) == 0:
        _quiet(["iptables", "-w", "-D", "FORWARD", "-j", CHAIN])
        _quiet(["iptables", "-w", "-F", CHAIN])
        _quiet(["iptables", "-w", "-X", CHAIN])
        removed.append(f"iptables chain {CHAIN}")
    return removed


def _pod_netns_is_ours(name: str) -> bool:
    """CNI namespaces holding an interface on our pod subnet (others are left alone)."""
    result = subprocess.run(
        ["ip", "-n", name, "-o", "addr"], capture_output=True, text=True, check=False
    )
    prefix = layout.POD_CIDR.rsplit(".", 1)[0] + "."
    return result.returncode != 0 or f"inet {prefix}" in result.stdout


def _mounts_under(roots: list[Path]) -> list[str]:
    """Mount points below `roots`, deepest first, from /proc/self/mountinfo."""
    found = []
    prefixes = [str(root.resolve()) + "/" for root in roots]
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if any(point.startswith(prefix) for prefix in prefixes):
            found.append(point)
    return sorted(set(found), key=lambda p: p.count("/"), reverse=True)
