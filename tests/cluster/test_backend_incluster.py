"""A kernel inside a pod: in-cluster config, its own image by default, pod IPs, ownerReference.

The "kernel" is a pod of the worker image running a script under a ServiceAccount bound to a
Role made here; it maps over two worker pods and prints what it saw as JSON on its log.
"""

from __future__ import annotations

import json
import textwrap

from kubernetes import client

from tests.cluster import waiting

KERNEL = textwrap.dedent("""\
    import json
    import kjupyter
    from kjupyter.run import pool
    values = kjupyter.map(lambda x: x + 1, range(20), workers=2, values=True, quiet=True,
                          backend="kubernetes")
    backend = pool.pools()[0][1].backend
    owners = {}
    for name in backend.workers:
        pod = backend.conn.request("GET", f"/api/v1/namespaces/{backend.namespace}/pods/{name}",
                                   action="get")
        owners[name] = [o["name"] for o in pod["metadata"].get("ownerReferences", [])]
    print(json.dumps({"values": values, "reach": backend.reach, "image": backend.image,
                      "owner": backend.owner.name, "owners": owners}), flush=True)
    pool.shutdown_all()
""")


def test_kernel_in_a_pod_uses_pod_ips_and_owns_its_workers(cluster, core_api, namespace):
    rbac = client.RbacAuthorizationV1Api(core_api.api_client)
    core_api.create_namespaced_service_account(
        namespace, client.V1ServiceAccount(metadata=client.V1ObjectMeta(name="kernel"))
    )
    rules = [
        client.V1PolicyRule(
            api_groups=[""],
            resources=["pods", "secrets"],
            verbs=["get", "list", "watch", "create", "delete", "patch"],
        ),
        client.V1PolicyRule(api_groups=[""], resources=["pods/portforward"], verbs=["create"]),
    ]
    rbac.create_namespaced_role(
        namespace, client.V1Role(metadata=client.V1ObjectMeta(name="kernel"), rules=rules)
    )
    rbac.create_namespaced_role_binding(
        namespace,
        client.V1RoleBinding(
            metadata=client.V1ObjectMeta(name="kernel"),
            role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role",
                                      name="kernel"),
            subjects=[client.RbacV1Subject(kind="ServiceAccount", name="kernel",
                                           namespace=namespace)],
        ),
    )  # fmt: skip
    core_api.create_namespaced_pod(
        namespace,
        client.V1Pod(
            metadata=client.V1ObjectMeta(name="notebook"),
            spec=client.V1PodSpec(
                service_account_name="kernel",
                restart_policy="Never",
                containers=[
                    client.V1Container(
                        name="kernel",
                        image=cluster.worker_image,
                        image_pull_policy="Never",
                        command=["python3", "-W", "ignore", "-c", KERNEL],
                    )
                ],
            ),
        ),
    )
    done = waiting.pod_phase(core_api, namespace, "notebook", {"Succeeded", "Failed"}, 240)
    log = core_api.read_namespaced_pod_log("notebook", namespace)
    assert done.status.phase == "Succeeded", log
    seen = json.loads(log.strip().splitlines()[-1])
    assert seen["values"] == [x + 1 for x in range(20)]
    assert seen["reach"] == "pod-ip"
    assert seen["image"] == cluster.worker_image  # the notebook pod's own image
    assert seen["owner"] == "notebook"
    assert len(seen["owners"]) == 2 and all(o == ["notebook"] for o in seen["owners"].values())
