"""RBAC preflight: ask the API server what we may do before creating anything.

A run that creates three pods and then learns it may not port-forward to them leaves work
half done and a vague error. So the backend asks first (SelfSubjectAccessReviews, which every
authenticated user may send) and names each missing permission in one line, as kubectl would
write the rule. Secrets are optional: without `create secrets` the backend switches to the
loopback mode (see `kjupyter.run.kubernetes`), which needs `pods/portforward` instead.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from kjupyter.cluster.connection import Connection
from kjupyter.errors import Forbidden


@dataclass(frozen=True)
class Need:
    """One permission: `verb` on `resource` (with `subresource`) in the namespace."""

    verb: str
    resource: str
    subresource: str = ""

    def __str__(self) -> str:
        sub = f"/{self.subresource}" if self.subresource else ""
        return f"{self.verb} {self.resource}{sub}"


PODS = (Need("create", "pods"), Need("delete", "pods"), Need("list", "pods"), Need("watch", "pods"))
PORT_FORWARD = Need("create", "pods", "portforward")
SECRETS = Need("create", "secrets")


@dataclass(frozen=True)
class Grants:
    """What the preflight found: whether Secrets and port-forwards are possible."""

    secrets: bool
    port_forward: bool


def allowed(conn: Connection, namespace: str, need: Need) -> bool:
    """One SelfSubjectAccessReview."""
    attributes = {"namespace": namespace, "verb": need.verb, "resource": need.resource}
    if need.subresource:
        attributes["subresource"] = need.subresource
    review = conn.request(
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        body={
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attributes},
        },
        action=f"review access to {need} in {namespace}",
    )
    return bool((review.get("status") or {}).get("allowed"))


def check(conn: Connection, namespace: str, user: str, reach: str) -> Grants:
    """Raise `Forbidden` naming what is missing; return the optional grants found."""
    needs = [*PODS, PORT_FORWARD, SECRETS]
    with ThreadPoolExecutor(len(needs)) as pool:
        found = pool.map(lambda n: allowed(conn, namespace, n), needs)
        answers = dict(zip(needs, found, strict=True))
    missing = [need for need in PODS if not answers[need]]
    secrets, port_forward = answers[SECRETS], answers[PORT_FORWARD]
    if reach == "port-forward" and not port_forward:
        missing.append(PORT_FORWARD)
    elif not secrets and not port_forward:
        # Without a Secret the key travels over the port-forward: one of the two is needed.
        missing.append(PORT_FORWARD)
    if missing:
        raise Forbidden(
            f"kubernetes backend: user {user!r} may not {', '.join(map(str, missing))} in "
            f"namespace {namespace!r}; ask for a Role granting it, or pick another namespace "
            f"(namespace=...)"
        )
    return Grants(secrets=secrets, port_forward=port_forward)
