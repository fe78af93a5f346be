"""A JupyterLab server and headless Chromium (Debian's, driven by Playwright) for widget tests.

The server is isolated (its own config, runtime and workspace dirs, no update checks) and
serves a scratch folder; every request the page makes to anything but 127.0.0.1 is blocked.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import waits

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@dataclass
class Lab:
    """A running JupyterLab: where it serves, its token and its notebook folder."""

    url: str
    token: str
    root: Path

    def api(self, path: str, method: str = "GET", body: object = None) -> object:
        request = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=waits.ANSWER / 1000) as response:
            text = response.read()
        return json.loads(text) if text else None

    def wait_for_idle_kernel(
        self, page, notebook: str, timeout: float = waits.START / 1000
    ) -> None:
        """Wait until the page's kernel for `notebook` exists and is idle.

        The UI's own indicator reads idle before the kernel exists, so ask the server. Pause
        with `page.wait_for_timeout`, not `time.sleep`: Playwright's sync API serves the page's
        routed requests only while it is called, and a sleeping test stalls JupyterLab.
        """
        deadline = time.monotonic() + timeout
        while True:
            states = [
                session["kernel"]["execution_state"]
                for session in self.api("/api/sessions")
                if session["path"].endswith(notebook) and session.get("kernel")
            ]
            if "idle" in states:
                return
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"waited for an idle kernel for {notebook}: none after {timeout:g} s"
                    f" (its sessions' states: {states or 'no kernel yet'})"
                )
            page.wait_for_timeout(200)


# Every expect() without a timeout of its own waits this long for its condition.
expect.set_options(timeout=waits.ANSWER)


def pytest_collection_modifyitems(items) -> None:
    """A browser test's own limit: its waits' deadlines, not the suite's 300 s, bound it."""
    for item in items:
        if "tests/browser/" in str(item.fspath) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(waits.TEST))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test's report says what its page showed then (status, error and
    dialog lines, see waits.SHOWN), beside Playwright's locator and call log."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    for name in ("page", "phone"):
        page = item.funcargs.get(name)
        if page is not None:
            lines = "\n".join(waits.shown(page)) or "nothing"
            report.sections.append((f"what the {name} showed when the test failed", lines))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Iterator[Lab]:
    base = tmp_path_factory.mktemp("lab")
    root = base / "notebooks"
    root.mkdir()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTER_DATA_DIR": str(base / "data"),
        "IPYTHONDIR": str(base / "ipython"),
    }
    env.pop("KUBECONFIG", None)
    # "Python 3 (kjupyter)" as a user installs it (README), into the server's own data dir
    subprocess.run(
        [sys.executable, "-m", "kjupyter.kernelspec", "install", "--user"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    settings = base / "settings" / "@jupyterlab"
    for plugin, values in {
        "notebook-extension/tracker": {"autoStartDefaultKernel": True},  # no kernel dialog
        "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }.items():
        (settings / plugin).parent.mkdir(parents=True, exist_ok=True)
        (settings / f"{plugin}.jupyterlab-settings").write_text(json.dumps(values))
    token, port = secrets.token_hex(16), _free_port()
    log = open(base / "lab.log", "wb")  # noqa: SIM115 - closed after the server stops
    server = subprocess.Popen(
        [
            sys.executable, "-m", "jupyterlab", "--no-browser", f"--ServerApp.port={port}",
            "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
            "--ServerApp.allow_root=True", f"--ServerApp.root_dir={root}",
            f"--LabApp.workspaces_dir={base / 'workspaces'}",
            f"--LabApp.user_settings_dir={base / 'settings'}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    served = Lab(f"http://127.0.0.1:{port}", token, root)
    deadline = time.monotonic() + waits.START / 1000
    while True:
        try:
            served.api("/api/status")
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"JupyterLab did not start: {(base / 'lab.log').read_text()[-2000:]}")
            time.sleep(0.2)
    yield served
    server.terminate()
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    log.close()


@pytest.fixture(scope="session")
def apps_api(cluster):
    """The official client's AppsV1Api on the admin kubeconfig, for test set-up and checks."""
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=cluster.kubeconfig)
    yield client.AppsV1Api(api_client)
    api_client.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, lab):
    yield from _page(browser, lab, viewport={"width": 1400, "height": 1000})


@pytest.fixture
def phone(browser, lab):
    """A phone-sized touch screen (390x844, as an iPhone 12-15 reports itself)."""
    yield from _page(
        browser, lab, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )


def _page(browser, lab, **options):
    context = browser.new_context(**options)
    context.set_default_timeout(waits.ANSWER)  # a click's actionability, a locator's wait
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith("http://127.0.0.1") else route.abort()
        ),
    )
    page = context.new_page()
    waits.listen(page)
    # Pods' network devices appearing on this host can make Chromium drop a request
    # (ERR_NETWORK_CHANGED); JupyterLab then opens an error dialog over the page. Dismiss it
    # and go on, as a user would: the tests' own assertions still decide.
    page.add_locator_handler(
        page.locator(".jp-Dialog[aria-label*='Error'], .jp-Dialog[aria-label*='Connection']"),
        lambda dialog: dialog.locator(".jp-Dialog-button").last.click(),
    )
    yield page
    context.close()
    for session in lab.api("/api/sessions"):  # no kernel survives into the next test
        lab.api(f"/api/sessions/{session['id']}", "DELETE")
