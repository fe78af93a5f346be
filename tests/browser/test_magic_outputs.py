"""What the magics print, as a notebook user sees it in JupyterLab (issue 11 defects 8, 10 and
11, which the unit and notebook tests check as values): a run where every rank failed is one
red error with each rank's remote traceback; `{var}` is expanded in tree verbs; ages read as
kubectl prints them."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.browser import notebook, waits
from tests.browser.test_tree_selection import pending_deployment


def test_failures_names_and_ages_read_right_in_the_notebook(
    page, lab, cluster, apps_api, namespace, tmp_path
):
    apps_api.create_namespaced_deployment(
        namespace, pending_deployment("web", 1, cluster.worker_image)
    )
    kubeconfig = notebook.namespaced_kubeconfig(cluster.kubeconfig, namespace, tmp_path)
    name = f"outputs-{uuid.uuid4().hex[:6]}.ipynb"
    notebook.write_notebook(lab, name, [
        "%load_ext kjupyter",
        f"%k8s connect --kubeconfig {kubeconfig}",
        "first = 'web'",
        "%k8s cat deployments/{first}",
        "%k8s ls deployments",
        "%%k8s run -n 2 --backend local\n1 / 0",  # last: Run All stops at an error
    ])  # fmt: skip
    notebook.open_and_run_all(page, lab, name)
    cells = page.locator(".jp-Notebook .jp-Cell")
    failed = cells.nth(5).locator(".jp-OutputArea-output[data-mime-type*='stderr']")
    with waits.waiting(page, "the run where every rank fails to end in an error"):
        expect(failed).to_contain_text("2 of 2 tasks failed on local", timeout=waits.START)
    text = failed.inner_text()
    for rank in (0, 1):
        assert re.search(rf"\[rank {rank}\] error: ZeroDivisionError", text), text
    assert text.count("ZeroDivisionError: division by zero") >= 2  # each rank's traceback
    red = failed.evaluate("(el) => getComputedStyle(el).backgroundColor")
    assert red not in ("rgba(0, 0, 0, 0)", "transparent", "rgb(255, 255, 255)"), red

    shown = cells.nth(3).locator(".jp-OutputArea")
    expect(shown).to_contain_text("kind: Deployment")  # {first} became web
    expect(shown).to_contain_text("name: web")

    listing = cells.nth(4).locator(".jp-OutputArea table")
    expect(listing).to_contain_text("web")
    ages = [
        cell.strip()
        for cell in listing.locator("td").all_inner_texts()
        if re.fullmatch(r"\s*\d+[smhd]\S*\s*", cell)
    ]
    assert ages and all(re.fullmatch(r"\d+s|\d+m\d*s?|\d+h\d*m?", a) for a in ages), ages
    expect(listing).not_to_contain_text("days")
    notebook.shoot(cells.nth(5), tmp_path, "magic-all-failed.png")
