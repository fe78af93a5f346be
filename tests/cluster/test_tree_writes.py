"""Writes say who made them (issue 10, defect 8) and discovery forgets a deleted CRD's kind
(defect 9): a 404 from a kind discovery listed refreshes it, as a miss does."""

from __future__ import annotations

import time
import uuid

import pytest

import kjupyter
from kjupyter.errors import BadPath, NotFound
from tests.cluster.conftest import deployment_yaml
from tests.cluster.test_tree_crd import crd
from tests.cluster.waiting import until


def test_scale_restart_and_safe_changes_are_managed_by_kjupyter(k8s, cluster, namespace):
    from kubernetes import client, config

    k8s.apply(deployment_yaml("web", cluster.worker_image, replicas=0))
    k8s.scale("deploy/web", 0)
    k8s.scale("deploy/web", 1)
    k8s.restart("deploy/web")
    # the safe changes (issue 10, item 5) write as kjupyter too
    k8s.label("deploy/web", "tier=front")
    k8s.annotate("deploy/web", "note=x")
    k8s.patch("deploy/web", {"spec": {"minReadySeconds": 1}})
    k8s.set_image("deploy/web", "app=other:1")
    k8s.rollout_pause("deploy/web")
    k8s.rollout_resume("deploy/web")
    api = client.AppsV1Api(config.new_client_from_config(config_file=cluster.kubeconfig))
    fields = api.read_namespaced_deployment("web", namespace).metadata.managed_fields
    ours = {f.manager for f in fields if f.operation in ("Update", "Apply")}
    ours -= {"kube-controller-manager"}
    assert ours == {"kjupyter"}, ours
    assert k8s.connection.api_client.user_agent.startswith("kjupyter/")


def test_a_deleted_crds_kind_is_forgotten(k8s, core_api, cluster):
    from kubernetes import client

    group = f"t{uuid.uuid4().hex[:8]}.kjupyter.dev"
    extensions = client.ApiextensionsV1Api(core_api.api_client)
    k8s.apply(crd(group))
    until(
        extensions.list_custom_resource_definition,
        lambda c: any(x.type == "Established" and x.status == "True"
                      for x in (c.status.conditions or [])),
        field_selector=f"metadata.name=gadgets.{group}",
    )  # fmt: skip
    probe = kjupyter.connect(kubeconfig=cluster.kubeconfig)
    try:
        deadline = time.monotonic() + 60
        while True:  # until the server lists it (Established comes before discovery)
            try:
                probe.ls(f"gadgets.{group}")
                break
            except BadPath:
                assert time.monotonic() < deadline, "the CRD was never served"
                time.sleep(0.2)
        assert k8s.ls(f"gadgets.{group}").empty  # k8s now caches the kind
        extensions.delete_custom_resource_definition(f"gadgets.{group}")
        url = f"/apis/{group}/v1/gadgets"
        deadline = time.monotonic() + 60
        while True:  # until the server stops serving it
            try:
                probe.connection.request("GET", url, action="probe")
            except NotFound:
                break
            assert time.monotonic() < deadline, "the deleted CRD is still served"
            time.sleep(0.2)
    finally:
        probe.close()
    with pytest.raises(BadPath, match="unknown kind"):
        k8s.ls(f"gadgets.{group}")
    with pytest.raises(BadPath, match="unknown kind"):
        k8s.ls("gadgets/x")
