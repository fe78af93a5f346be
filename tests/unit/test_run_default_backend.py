"""Which backend runs when none is named: local, unless a cluster is configured."""

from __future__ import annotations

import pytest

from kjupyter.run import backends


def test_local_without_configuration(monkeypatch):
    for name in ("KJUPYTER_BACKEND", "KJUPYTER_IMAGE", "KUBERNETES_SERVICE_HOST"):
        monkeypatch.delenv(name, raising=False)
    assert backends.default_name() == "local"


def test_a_configured_worker_image_selects_kubernetes(monkeypatch):
    monkeypatch.delenv("KJUPYTER_BACKEND", raising=False)
    monkeypatch.setenv("KJUPYTER_IMAGE", "registry.example/worker:1")
    assert backends.default_name() == "kubernetes"


def test_explicit_backend_wins(monkeypatch):
    monkeypatch.setenv("KJUPYTER_IMAGE", "registry.example/worker:1")
    monkeypatch.setenv("KJUPYTER_BACKEND", "local")
    assert backends.default_name() == "local"


@pytest.mark.parametrize(
    ("environ", "token", "expected"),
    [
        ({"KUBERNETES_SERVICE_HOST": "10.96.0.1"}, True, "kubernetes"),
        ({"KUBERNETES_SERVICE_HOST": "10.96.0.1"}, False, None),  # env alone is not a pod
        ({}, True, None),
    ],
    ids=["in-pod", "env-without-token", "token-without-env"],
)
def test_kernel_in_a_pod(monkeypatch, tmp_path, environ, token, expected):
    path = tmp_path / "token"
    if token:
        path.write_text("t")
    monkeypatch.setattr(backends, "SERVICE_ACCOUNT_TOKEN", str(path))
    assert backends.kubernetes_configured(environ) == expected
