"""Fake nodes for scale tests: KWOK's pin, command line, Stages and node plan (pure parts).

The full `up --fake-nodes N` run belongs to the cluster's owner; tests/cluster/test_scale_*
start KWOK against the running cluster.
"""

from __future__ import annotations

import re

import pytest

from tools.devcluster import __main__ as cli
from tools.devcluster import kwok, layout


def test_kwok_pin_uses_the_client_go_minor_of_the_cluster():
    go_mod = (layout.GOBUILD / "kwok" / "go.mod").read_text()
    assert f"sigs.k8s.io/kwok {kwok.VERSION}" in go_mod
    assert "tool sigs.k8s.io/kwok/cmd/kwok" in go_mod
    client_go = re.search(r"k8s\.io/client-go v0\.(\d+)\.\d+", go_mod)
    assert client_go is not None
    cluster_minor = layout.KUBERNETES_VERSION.lstrip("v").split(".")[1]
    assert client_go.group(1) == cluster_minor


def test_kwok_manages_only_labelled_nodes_with_our_stages(tmp_path):
    lay = layout.Layout.under(tmp_path)
    command = kwok.argv(lay)
    assert command[0] == str(lay.bin / "kwok")
    assert f"--config={lay.bin / kwok.STAGES_FILE}" in command
    assert "--manage-all-nodes=false" in command
    assert "--manage-nodes-with-label-selector=type=kwok" in command
    assert f"--kubeconfig={lay.kubeconfig('admin')}" in command
    cidr = next(a for a in command if a.startswith("--cidr="))
    assert cidr.split("=", 1)[1] != layout.POD_CIDR  # fake pod IPs never collide with real ones


def test_a_fake_node_is_tainted_and_labelled_so_real_pods_never_land_there():
    node = kwok.node_manifest(7)
    assert node["metadata"]["name"] == "kwok-7"
    assert node["metadata"]["labels"]["type"] == "kwok"
    assert node["spec"]["taints"] == [
        {"key": "kwok.x-k8s.io/node", "value": "fake", "effect": "NoSchedule"}
    ]
    toleration = kwok.TOLERATION
    assert (toleration["key"], toleration["effect"]) == ("kwok.x-k8s.io/node", "NoSchedule")


@pytest.mark.parametrize(
    ("existing", "count", "create", "delete"),
    [
        ([], 3, [0, 1, 2], []),
        (["kwok-0", "kwok-1", "kwok-2"], 3, [], []),
        (["kwok-0", "kwok-1", "kwok-2"], 1, [], ["kwok-1", "kwok-2"]),
        (["kwok-0", "kwok-5"], 2, [1], ["kwok-5"]),
        (["kwok-0", "kwok-1"], 0, [], ["kwok-0", "kwok-1"]),
    ],
    ids=["from-none", "unchanged", "shrink", "fill-gaps", "remove-all"],
)
def test_plan_reaches_exactly_count_fake_nodes(existing, count, create, delete):
    assert kwok.plan(existing, count) == (create, delete)


def test_plan_refuses_a_negative_count():
    with pytest.raises(ValueError, match="0 or more"):
        kwok.plan([], -1)


def test_stages_are_the_modules_own_documents_in_one_file(tmp_path):
    for relative in kwok.STAGE_SOURCES:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\nkind: Stage\nmetadata:\n  name: {path.stem}\n")
    text = kwok.stages_text(tmp_path)
    documents = [d for d in text.split("---\n") if d.strip()]
    assert len(documents) == len(kwok.STAGE_SOURCES)
    assert "node-heartbeat-with-lease" in text  # nodes stay Ready, not only become so
    assert "pod-ready" in text and "pod-delete" in text


@pytest.mark.parametrize("bad", ["-1", "many", "2.5"])
def test_fake_nodes_command_refuses_a_bad_count_in_one_line(bad, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["fake-nodes", bad])
    assert exit_.value.code == 2
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert "fake-nodes" in message and "Traceback" not in message


def test_up_takes_a_fake_node_count(capsys):
    with pytest.raises(SystemExit):
        cli.main(["up", "--fake-nodes", "-3"])
    assert "give 0 or more" in capsys.readouterr().err
