"""The pod bridge keeps one MAC address while pods come and go.

A bridge left to choose its address takes its lowest port's, so a pod's veth joining or
leaving could move the gateway to a new MAC; pods kept the old one in their ARP cache, and
what a pod sent to this host was dropped until it expired. Seen as a worker pod whose
handshake reply was retransmitted for 10 s, unacknowledged, while other pods started
(3 of 56 pods connected to as soon as they ran; the bridge's addr_assign_type was 1,
"random", which the kernel recalculates from the ports).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cluster import conftest as cluster_fixtures
from tools.devcluster import layout

BRIDGE = Path("/sys/class/net") / layout.BRIDGE
NET_ADDR_SET = "3"  # addr_assign_type of an address set by hand: never recalculated


@pytest.fixture
def own_cluster(cluster):
    if os.environ.get("KJUPYTER_TEST_KUBECONFIG"):
        pytest.skip("tests the local cluster that tools/devcluster starts, not a given one")


def test_the_bridge_keeps_its_address_while_a_pod_joins(
    own_cluster, k8s, cluster, core_api, namespace
):
    assert (BRIDGE / "addr_assign_type").read_text().strip() == NET_ADDR_SET
    assert (BRIDGE / "address").read_text().strip() == layout.BRIDGE_MAC
    ports_before = set(os.listdir(BRIDGE / "brif"))

    k8s.apply(cluster_fixtures.deployment_yaml("joins", cluster.worker_image))
    cluster_fixtures.await_ready_pods(core_api, namespace, "app=joins", 1)
    assert set(os.listdir(BRIDGE / "brif")) - ports_before  # its veth is a port now
    assert (BRIDGE / "address").read_text().strip() == layout.BRIDGE_MAC
