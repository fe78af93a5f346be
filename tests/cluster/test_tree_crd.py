"""CRDs: discovered after install (one refresh on a miss), printer columns, paths, apply."""

from __future__ import annotations

import time
import uuid

import pytest

import kjupyter
from tests.cluster.waiting import until


def crd(group: str) -> str:
    return f"""\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {{name: gadgets.{group}, labels: {{kjupyter.dev/test: "true"}}}}
spec:
  group: {group}
  scope: Namespaced
  names: {{plural: gadgets, singular: gadget, kind: Gadget, shortNames: [gdg]}}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {{type: integer}}
              colour: {{type: string}}
    additionalPrinterColumns:
    - {{name: Size, type: integer, jsonPath: .spec.size}}
    - {{name: Colour, type: string, jsonPath: .spec.colour, priority: 1}}
    - {{name: Age, type: date, jsonPath: .metadata.creationTimestamp}}
"""


@pytest.fixture
def gadgets(k8s, core_api, cluster):
    from kubernetes import client

    group = f"t{uuid.uuid4().hex[:8]}.kjupyter.dev"
    extensions = client.ApiextensionsV1Api(core_api.api_client)
    k8s.discovery.catalog  # cached before the CRD exists: the miss must refresh  # noqa: B018
    k8s.apply(crd(group))
    until(
        extensions.list_custom_resource_definition,
        lambda c: any(x.type == "Established" and x.status == "True"
                      for x in (c.status.conditions or [])),
        field_selector=f"metadata.name=gadgets.{group}",
    )  # fmt: skip
    # Established comes before the server's discovery lists the group: wait for that with
    # another client, so that `k8s` still holds a catalog without it (its miss must refresh)
    probe = kjupyter.connect(kubeconfig=cluster.kubeconfig)
    deadline = time.monotonic() + 60
    while probe.discovery.refresh().get(f"gadgets.{group}") is None:
        assert time.monotonic() < deadline, "discovery never listed the CRD"
        time.sleep(0.2)
    probe.close()
    yield group
    k8s.delete(f"/crd/gadgets.{group}", wait=True, yes=True)


def test_crd_kinds_printer_columns_and_paths(k8s, gadgets, namespace):
    applied = k8s.apply(
        f"apiVersion: {gadgets}/v1\nkind: Gadget\nmetadata: {{name: g1}}\n"
        "spec: {size: 7, colour: teal}\n"
    )
    assert applied.loc["g1", "Result"] == "created"
    for spelling in ("gadgets", "gadget", "gdg", "Gadget", f"gadgets.{gadgets}"):
        frame = k8s.ls(spelling)
        assert list(frame.index) == ["g1"], spelling
    frame = k8s.ls("gdg")
    assert list(frame.columns) == ["Size", "Age"] and frame.loc["g1", "Size"] == 7
    assert k8s.ls("gdg", wide=True).loc["g1", "Colour"] == "teal"
    assert k8s.cat("gadgets/g1")["spec"]["size"] == 7
    assert "gadgets" in k8s.ls(f"/namespaces/{namespace}").index
    assert k8s.pwd() == f"/namespaces/{namespace}"
    k8s.cd("gdg/g1")
    assert k8s.pwd() == f"/namespaces/{namespace}/gadgets/g1"
    k8s.delete(".", wait=True, yes=True)
    assert k8s.ls("..").empty
