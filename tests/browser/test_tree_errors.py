"""A failed expand says so on its row and is retried on the next tap (issue 11, defect 4).

The API server goes away for real: the notebook talks to it through a forwarder the test stops.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from playwright.sync_api import expect

from tests.browser import notebook, waits
from tests.browser.forwarder import Forwarder


@pytest.fixture
def forwarder(cluster) -> Iterator[Forwarder]:
    server = yaml.safe_load(Path(cluster.kubeconfig).read_text())["clusters"][0]["cluster"]
    address = urlparse(server["server"])
    forward = Forwarder((address.hostname, address.port or 443))
    forward.start()
    yield forward
    forward.stop()


def test_expand_with_the_server_down_shows_the_error_and_retries(
    page, lab, cluster, namespace, forwarder, tmp_path
):
    kubeconfig = notebook.namespaced_kubeconfig(
        cluster.kubeconfig, namespace, tmp_path, server=f"https://127.0.0.1:{forwarder.port}"
    )
    notebook.browse(page, lab, kubeconfig, f"/namespaces/{namespace}")
    configmaps = f"/namespaces/{namespace}/configmaps"
    notebook.row(page, configmaps).wait_for(timeout=waits.START)

    forwarder.stop()
    notebook.row(page, configmaps).click()
    row_error = notebook.row(page, configmaps).locator(".kj-row-error")
    expect(row_error).to_contain_text("reach")
    expect(notebook.row(page, configmaps).locator(".kj-twisty")).to_have_text("▸")
    notebook.shoot(page.locator(".kj-tree"), tmp_path, "expand-failed.png")

    forwarder.start()
    notebook.open_row(page, configmaps)
    expect(notebook.row(page, f"{configmaps}/kube-root-ca.crt")).to_be_visible()
    expect(row_error).to_have_count(0)
