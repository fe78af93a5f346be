"""kubectl as the oracle (issue 10): every listable kind the server serves, listed by kjupyter
and by a kubectl of the cluster's own version, normal and wide, compared row by row and cell
by cell (ages aside); a CRD with printer columns of every type; `-A`.

Known differences, kept on purpose (tests/cluster/oracle.py handles them):
- kjupyter indexes every table by name (and namespace with -A). kubectl prints events' Name
  last (wide) or hides it: kjupyter's Name stays the index, the other columns must match.
- A count's "(5m ago)" is kjupyter's `Last Restart` column beside the count.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest

import kjupyter
from kjupyter.cluster import paths
from tests.cluster import oracle
from tests.cluster.waiting import until

pytestmark = pytest.mark.timeout(900)  # seeding waits for pods on a shared, busy cluster


def crd(group: str) -> str:
    """A CRD whose printer columns have every type kubectl knows, one of them wide only."""
    return f"""\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {{name: widgets.{group}, labels: {{kjupyter.dev/test: "true"}}}}
spec:
  group: {group}
  scope: Namespaced
  names: {{plural: widgets, singular: widget, kind: Widget}}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {{status: {{}}}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {{type: integer}}
              ratio: {{type: number}}
              shiny: {{type: boolean}}
              colour: {{type: string}}
              since: {{type: string, format: date-time}}
          status:
            type: object
            properties:
              phase: {{type: string}}
    additionalPrinterColumns:
    - {{name: Size, type: integer, jsonPath: .spec.size}}
    - {{name: Ratio, type: number, jsonPath: .spec.ratio}}
    - {{name: Shiny, type: boolean, jsonPath: .spec.shiny}}
    - {{name: Since, type: date, jsonPath: .spec.since}}
    - {{name: Phase, type: string, jsonPath: .status.phase}}
    - {{name: Colour, type: string, jsonPath: .spec.colour, priority: 1}}
    - {{name: Age, type: date, jsonPath: .metadata.creationTimestamp}}
"""


@pytest.fixture(scope="module")
def space(core_api) -> Iterator[str]:
    """One namespace for this module's tests: seeding it (pods that must settle) takes a while."""
    from kubernetes import client

    from tests.conftest import TEST_LABEL, _await_default_service_account, _await_namespace_gone

    name = f"kjt-{uuid.uuid4().hex[:8]}"
    core_api.create_namespace(
        client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels={TEST_LABEL: "true"}))
    )
    _await_default_service_account(core_api, name)
    yield name
    core_api.delete_namespace(name, grace_period_seconds=0)
    _await_namespace_gone(core_api, name)


@pytest.fixture(scope="module")
def kube(cluster, space) -> Iterator[kjupyter.cluster.Cluster]:
    """The admin's `Cluster` in this module's namespace."""
    connected = kjupyter.connect(kubeconfig=cluster.kubeconfig)
    connected.cd(f"/namespaces/{space}")
    yield connected
    connected.close()


@pytest.fixture(scope="module")
def widgets(kube, cluster):
    """A served CRD of this test (cluster-scoped, a unique group), deleted after it."""
    from kubernetes import client, config

    group = f"o{uuid.uuid4().hex[:8]}.kjupyter.dev"
    kube.apply(crd(group))
    api = client.ApiextensionsV1Api(config.new_client_from_config(cluster.kubeconfig))
    until(
        api.list_custom_resource_definition,
        lambda c: any(x.type == "Established" and x.status == "True"
                      for x in (c.status.conditions or [])),
        field_selector=f"metadata.name=widgets.{group}",
    )  # fmt: skip
    deadline = time.monotonic() + 60  # Established comes before discovery lists the group
    while kube.discovery.refresh().get(f"widgets.{group}") is None:
        assert time.monotonic() < deadline, "discovery never listed the CRD"
        time.sleep(0.2)
    yield group
    kube.delete(f"/crd/widgets.{group}", wait=True, yes=True)


@pytest.fixture(scope="module")
def seeded(kube, cluster, core_api, space, widgets) -> str:
    """The namespace with one object of each common kind, its pods settled, and two widgets."""
    kube.apply(oracle.seed(cluster.worker_image))
    kube.apply(f"""\
apiVersion: v1
kind: Pod
metadata: {{name: crashy}}
spec:
  terminationGracePeriodSeconds: 0
  tolerations: [{{key: dedicated, operator: Equal, value: ml, effect: NoSchedule}}]
  nodeSelector: {{kubernetes.io/os: linux}}
  volumes:
  - {{name: settings, configMap: {{name: settings}}}}
  - {{name: scratch, emptyDir: {{}}}}
  containers:
  - name: app
    image: {cluster.worker_image}
    imagePullPolicy: Never
    command: [python3, -c]
    args: ["raise SystemExit(3)"]
    ports: [{{containerPort: 8080}}]
    env:
    - {{name: COLOUR, value: teal}}
    - {{name: SIZE, valueFrom: {{configMapKeyRef: {{name: settings, key: size}}}}}}
    - {{name: MY_POD, valueFrom: {{fieldRef: {{fieldPath: metadata.name}}}}}}
    envFrom: [{{configMapRef: {{name: settings}}}}]
    resources: {{requests: {{cpu: 100m, memory: 64Mi}}, limits: {{memory: 128Mi}}}}
    readinessProbe: {{exec: {{command: ["true"]}}, periodSeconds: 5}}
    volumeMounts:
    - {{name: settings, mountPath: /etc/settings, readOnly: true}}
    - {{name: scratch, mountPath: /scratch}}
---
apiVersion: {widgets}/v1
kind: Widget
metadata: {{name: w1}}
spec: {{size: 7, ratio: 0.25, shiny: true, colour: teal, since: "2024-02-29T12:00:00Z"}}
---
apiVersion: {widgets}/v1
kind: Widget
metadata: {{name: w2}}
spec: {{size: 0, shiny: false}}
""")

    states: dict[str, bool] = {}

    def settled(pod) -> bool:  # called on each pod listed, then on each change watched
        statuses = pod.status.container_statuses or []
        labels = pod.metadata.labels or {}
        name = labels.get("app") or labels.get("job-name") or pod.metadata.name
        if name == "crashy":
            states[name] = bool(statuses) and statuses[0].restart_count >= 1
        elif name == "once":
            states[name] = pod.status.phase == "Succeeded"
        else:
            states[name] = bool(statuses) and all(s.ready for s in statuses)
        return set(states) == {"web", "db", "agent", "once", "crashy"} and all(states.values())

    until(core_api.list_namespaced_pod, settled, space, timeout=240)
    return space


def _kubectl_spelling(kind) -> str:
    """`plural.version.group` (exact); the core group's plural alone (kubectl prefers it)."""
    return f"{kind.plural}.{kind.version}.{kind.group}" if kind.group else kind.plural


def test_every_listable_kind_matches_kubectl_get(kube, cluster, kubectl_binary, seeded, widgets):
    from kubernetes import client, config

    api = client.ApiextensionsV1Api(config.new_client_from_config(cluster.kubeconfig))
    others = {c.spec.group for c in api.list_custom_resource_definition().items} - {widgets}
    kinds = [
        kind
        for kind in kube.discovery.catalog.preferred()
        if kind.can("list") and kind.group not in others  # other tests' CRDs come and go
    ]
    assert any(kind.group == widgets for kind in kinds)

    def get(*args: str) -> str:
        return oracle.kubectl(kubectl_binary, cluster.kubeconfig, "get", *args)

    problems: dict[str, list[str]] = {}
    compared = 0
    for kind in kinds:
        spelled = _kubectl_spelling(kind)
        segment = paths.segment(kind, kube.discovery)
        path = f"/namespaces/{seeded}/{segment}" if kind.namespaced else f"/{segment}"
        where = ["-n", seeded] if kind.namespaced else []
        for wide in (False, True):
            shape = ["-o", "wide"] if wide else []
            before = get(spelled, *where, *shape)
            frame = kube.ls(path, wide=wide)
            after = get(spelled, *where, *shape)
            found = oracle.compare(before, after, frame)
            compared += len(frame)
            if found:
                problems[f"{spelled}{' -o wide' if wide else ''}"] = found
    for plural in ("pods", "deployments.apps", "events"):  # -A: namespace and name as index
        before = get(plural, "-A", "-o", "wide")
        frame = kube.ls(plural, all_namespaces=True, wide=True)
        after = get(plural, "-A", "-o", "wide")
        found = oracle.compare(before, after, frame, key_width=2)
        if found:
            problems[f"{plural} -A -o wide"] = found
    for plural in ("pods", "deployments.apps"):  # --show-labels, -L app
        before = get(plural, "-n", seeded, "--show-labels", "-L", "app")
        frame = kube.ls(plural, show_labels=True, label_columns=["app"])
        after = get(plural, "-n", seeded, "--show-labels", "-L", "app")
        found = oracle.compare(before, after, frame)
        if found:
            problems[f"{plural} --show-labels -L app"] = found
    for plural in ("pods", "deployments.apps", "configmaps"):  # -o name, jsonpath, --sort-by
        for shape in ("name", "jsonpath={.items[*].metadata.name}"):
            if get(plural, "-n", seeded, "-o", shape) != kube.get(plural, shape):
                problems[f"{plural} -o {shape}"] = [kube.get(plural, shape)]
        by_uid = get(plural, "-n", seeded, "--sort-by", ".metadata.uid", "-o", "name")
        mine = kube.ls(plural, sort_by=".metadata.uid")
        if [line.split("/", 1)[1] for line in by_uid.split()] != list(mine.index):
            problems[f"{plural} --sort-by .metadata.uid"] = [by_uid, list(mine.index)]
    assert not problems, json.dumps(problems, indent=1)
    assert compared > 2 * 40, "the seeded namespace and the cluster gave too few rows"


def test_the_oracle_sees_a_changed_cell(kube, cluster, kubectl_binary, widgets, space):
    """The comparison itself can fail: a wrong value, a missing row, a lost column."""
    kube.apply(
        f"apiVersion: {widgets}/v1\nkind: Widget\nmetadata: {{name: w9}}\n"
        "spec: {size: 7, shiny: true, colour: teal}\n"
    )
    text = oracle.kubectl(
        kubectl_binary, cluster.kubeconfig, "get", f"widgets.{widgets}/w9", "-n", space,
        "-o", "wide",
    )  # fmt: skip
    frame = kube.ls(f"widgets.{widgets}/w9", wide=True)
    assert oracle.compare(text, text, frame) == []
    changed = frame.copy()
    changed.loc["w9", "Shiny"] = False
    assert oracle.compare(text, text, changed) == [
        "row ('w9',) SHINY: kubectl 'true', kjupyter False"
    ]
    assert "kubectl shows it" in oracle.compare(text, text, frame.iloc[0:0])[0]
    assert oracle.compare(text, text, frame.drop(columns=["Colour"]))[0].startswith("headings")


# kubectl headings kjupyter spells otherwise, with the reason.
KNOWN_HEADINGS = {
    ("IPs", "IP"): "kjupyter's IPs is the list of addresses; kubectl labels each one IP",
}


def test_describe_has_kubectls_headings(kube, cluster, kubectl_binary, seeded, widgets):
    """Pod (state, last state, exit code, env, mounts, volumes, QoS, tolerations), workloads,
    service, node, claim, job and a custom resource: kubectl's headings are kjupyter's keys."""
    replica_set = kube.ls("replicasets").index[0]
    node = cluster.node_name or kube.ls("/nodes").index[0]
    targets = {
        "pods/crashy": "pod/crashy",
        "deployments/web": "deployment/web",
        f"replicasets/{replica_set}": f"replicaset/{replica_set}",
        "statefulsets/db": "statefulset/db",
        "services/web": "service/web",
        f"/nodes/{node}": f"node/{node}",
        "persistentvolumeclaims/data": "persistentvolumeclaim/data",
        "jobs/once": "job/once",
        f"widgets.{widgets}/w1": f"widgets.{widgets}/w1",
    }
    missing, counted = {}, {}
    for path, spelled in targets.items():
        where = [] if path.startswith("/nodes") else ["-n", seeded]
        text = oracle.kubectl(kubectl_binary, cluster.kubeconfig, "describe", spelled, *where)
        counted[path] = len(oracle.describe_headings(text))
        found = oracle.missing_headings(text, kube.describe(path).sections, KNOWN_HEADINGS)
        if found:
            missing[path] = found
    assert not missing, json.dumps(missing, indent=1)
    assert min(counted.values()) >= 10, counted  # kubectl's text was read, heading by heading
    crashy = kube.describe("pods/crashy")
    app = crashy["Containers"]["app"]
    assert app["Last State"]["Exit Code"] == 3 and app["Last State"]["Last State"] == "Terminated"
    assert app["Environment"]["COLOUR"] == "teal" and "/scratch from scratch (rw)" in app["Mounts"]
    assert crashy["QoS Class"] == "Burstable" and "dedicated=ml:NoSchedule" in crashy["Tolerations"]
    assert kube.describe(f"widgets.{widgets}/w1")["Spec"]["size"] == 7
