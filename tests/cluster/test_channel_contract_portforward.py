"""The channel contract (tests/local/test_channel_contract.py) over the port-forward bridge.

Both ends of each channel are port-forwards (`kjupyter.run.k8s.portforward`, the path a kernel
outside the cluster takes) to one relay pod, which splices each two connections it accepts:
every frame crosses the API server, the kubelet and the bridge twice, sealed and signed-only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from kubernetes import client

from kjupyter.run.channel import StreamChannel
from kjupyter.run.k8s.portforward import PortForward
from tests.cluster import waiting
from tests.conftest import TEST_LABEL, _await_default_service_account, _await_namespace_gone
from tests.local import test_channel_contract as contract

PORT = 7777
RELAY = f"""
import socket, threading
def pump(src, dst):
    while True:
        data = src.recv(1 << 16)
        if not data:
            break
        dst.sendall(data)
    dst.shutdown(socket.SHUT_WR)
server = socket.create_server(("127.0.0.1", {PORT}))
open("/tmp/listening", "w").close()  # the readiness probe's fact
while True:
    a, b = server.accept()[0], server.accept()[0]
    for pair in ((a, b), (b, a)):
        threading.Thread(target=pump, args=pair, daemon=True).start()
"""


@pytest.fixture(scope="module")
def relay(core_api, cluster) -> Iterator[tuple[str, str]]:
    """(namespace, pod) of a relay pod, for the whole module."""
    namespace = f"kjt-pf-{uuid.uuid4().hex[:6]}"
    core_api.create_namespace(
        client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace, labels={TEST_LABEL: "1"}))
    )
    _await_default_service_account(core_api, namespace)
    container = client.V1Container(
        name="relay", image=cluster.worker_image, image_pull_policy="Never",
        command=["python3", "-c", RELAY],
        readiness_probe=client.V1Probe(
            _exec=client.V1ExecAction(command=["test", "-e", "/tmp/listening"]),
            period_seconds=1,
        ),
    )  # fmt: skip
    core_api.create_namespaced_pod(namespace, client.V1Pod(
        metadata=client.V1ObjectMeta(name="relay"),
        spec=client.V1PodSpec(containers=[container], termination_grace_period_seconds=0),
    ))  # fmt: skip
    waiting.pod_ready(core_api, namespace, "relay")
    yield namespace, "relay"
    core_api.delete_namespace(namespace, grace_period_seconds=0)
    _await_namespace_gone(core_api, namespace)


@pytest.fixture(params=sorted(contract.MODES))
def connect(request, relay, core_api) -> Iterator:
    """As the local contract's `connect`, with both ends port-forwarded to the relay."""
    namespace, pod = relay
    forwards: list[PortForward] = []
    opened: list[StreamChannel] = []

    def make(kernel_secret: bytes = contract.SECRET, worker_secret: bytes = contract.SECRET):
        ends = []
        for _ in range(2):
            forward = PortForward(core_api.api_client, namespace, pod, PORT)
            forwards.append(forward)
            ends.append(forward.socket)
        sealed = contract.MODES[request.param]
        kernel = StreamChannel(ends[0], kernel_secret, "kernel", encrypt=sealed)
        worker = StreamChannel(ends[1], worker_secret, "worker", encrypt=sealed)
        opened.extend((kernel, worker))
        return contract.handshaken(kernel, worker, 30)

    yield make
    for channel in opened:
        channel.close()
    for forward in forwards:
        forward.close()


test_messages_and_attachments_round_trip_both_ways = (
    contract.test_messages_and_attachments_round_trip_both_ways
)
test_many_frames_in_flight_arrive_in_order = contract.test_many_frames_in_flight_arrive_in_order
test_concurrent_senders_never_interleave_frames = (
    contract.test_concurrent_senders_never_interleave_frames
)
test_end_of_stream_is_channel_closed = contract.test_end_of_stream_is_channel_closed
test_a_peer_with_another_key_is_refused_and_the_channel_not_reused = (
    contract.test_a_peer_with_another_key_is_refused_and_the_channel_not_reused
)
test_recv_times_out_when_nothing_comes = contract.test_recv_times_out_when_nothing_comes
