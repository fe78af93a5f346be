"""A self-made CA and the certificates and kubeconfigs of every component and test user.

EC P-256 keys (fast to make); client identities follow Kubernetes' conventions: the CN is the
user name and O the groups (`system:masters` for the admin, `system:nodes` for the kubelet).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

from tools.devcluster import layout
from tools.devcluster.processes import run


@dataclass(frozen=True)
class Identity:
    """A client certificate to make: file stem, user name and groups."""

    stem: str
    user: str
    groups: tuple[str, ...] = ()


CLIENTS = (
    Identity("admin", "kjupyter-admin", ("system:masters",)),
    Identity("kubelet", f"system:node:{layout.NODE_NAME}", ("system:nodes",)),
    Identity("controller-manager", "system:kube-controller-manager"),
    Identity("scheduler", "system:kube-scheduler"),
    Identity("kube-proxy", "system:kube-proxy"),
    Identity("apiserver-kubelet-client", "kube-apiserver-kubelet-client", ("system:masters",)),
    Identity("restricted", layout.RESTRICTED_USER),
    Identity("metrics-server", layout.METRICS_SERVER_USER),
)


def _key(path: Path) -> None:
    if not path.exists():
        run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(path)])
        path.chmod(0o600)


def _ca(pki: Path, stem: str, subject: str) -> None:
    if not (pki / f"{stem}.crt").exists():
        _key(pki / f"{stem}.key")
        run(
            [
                "openssl", "req", "-x509", "-new", "-key", str(pki / f"{stem}.key"),
                "-days", "3650", "-subj", subject, "-out", str(pki / f"{stem}.crt"),
            ]
        )  # fmt: skip


def _sign(pki: Path, stem: str, subject: str, extensions: str, ca: str = "ca") -> None:
    key, cert = pki / f"{stem}.key", pki / f"{stem}.crt"
    if cert.exists():
        return
    _key(key)
    ext = pki / f"{stem}.ext"
    ext.write_text(extensions)
    csr = pki / f"{stem}.csr"
    run(["openssl", "req", "-new", "-key", str(key), "-subj", subject, "-out", str(csr)])
    run(
        [
            "openssl", "x509", "-req", "-in", str(csr), "-CA", str(pki / f"{ca}.crt"),
            "-CAkey", str(pki / f"{ca}.key"), "-CAcreateserial", "-days", "3650",
            "-extfile", str(ext), "-out", str(cert),
        ]
    )  # fmt: skip
    csr.unlink()
    ext.unlink()


def ensure_pki(lay: layout.Layout) -> None:
    """Make whatever key or certificate is missing (idempotent, kept across restarts)."""
    pki = lay.pki
    pki.mkdir(parents=True, exist_ok=True)
    _ca(pki, "ca", "/CN=kjupyter-devcluster-ca")
    # API aggregation (the metrics API): the API server proxies to metrics-server with a
    # client certificate of its own CA, which only it holds, so the user headers it adds can
    # be trusted (the Kubernetes convention: a front-proxy CA apart from the cluster CA).
    _ca(pki, "front-proxy-ca", "/CN=kjupyter-devcluster-front-proxy-ca")
    _sign(
        pki,
        "front-proxy-client",
        f"/CN={layout.FRONT_PROXY_USER}",
        "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n",
        ca="front-proxy-ca",
    )
    _sign(
        pki,
        "metrics-server-serving",
        "/CN=metrics-server",
        f"subjectAltName=DNS:metrics-server.kube-system.svc,IP:{layout.NODE_IP}\n"
        "extendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n",
    )
    sans = ",".join(
        [
            "DNS:kubernetes", "DNS:kubernetes.default", "DNS:kubernetes.default.svc",
            "DNS:kubernetes.default.svc.cluster.local", "DNS:localhost",
            "IP:127.0.0.1", f"IP:{layout.NODE_IP}", f"IP:{layout.SERVICE_IP}",
        ]
    )  # fmt: skip
    _sign(
        pki,
        "apiserver",
        "/CN=kube-apiserver",
        f"subjectAltName={sans}\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n",
    )
    _sign(
        pki,
        "kubelet-serving",
        f"/CN={layout.NODE_NAME}",
        f"subjectAltName=DNS:{layout.NODE_NAME},IP:{layout.NODE_IP},IP:127.0.0.1\n"
        "extendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n",
    )
    for client in CLIENTS:
        subject = f"/CN={client.user}" + "".join(f"/O={group}" for group in client.groups)
        _sign(pki, client.stem, subject, "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n")
    if not (pki / "sa.key").exists():
        _key(pki / "sa.key")
        run(["openssl", "ec", "-in", str(pki / "sa.key"), "-pubout", "-out", str(pki / "sa.pub")])


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def write_kubeconfig(
    lay: layout.Layout, stem: str, server: str, namespace: str = "default"
) -> Path:
    """A self-contained kubeconfig (certificates embedded) for identity STEM."""
    pki = lay.pki
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "kjupyter-dev",
                "cluster": {
                    "server": server,
                    "certificate-authority-data": _b64(pki / "ca.crt"),
                },
            }
        ],
        "users": [
            {
                "name": stem,
                "user": {
                    "client-certificate-data": _b64(pki / f"{stem}.crt"),
                    "client-key-data": _b64(pki / f"{stem}.key"),
                },
            }
        ],
        "contexts": [
            {
                "name": f"kjupyter-dev-{stem}",
                "context": {"cluster": "kjupyter-dev", "user": stem, "namespace": namespace},
            }
        ],
        "current-context": f"kjupyter-dev-{stem}",
    }
    path = lay.kubeconfig(stem)
    text = json.dumps(config, indent=2)  # JSON is YAML: every client reads it
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
        path.chmod(0o600)
    return path
