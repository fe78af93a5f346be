"""The units dashboard in a real browser: tap a unit, stop it, see its dependents stop first.

Issue 11, Deliver 4: "the dashboard stops three units in order". The units' pods are never
scheduled (a node selector nothing matches), so they cost nothing and stop at once.
"""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.browser import notebook, waits
from tests.browser.test_tree_selection import pending_deployment

CHAIN = {"db": "", "api": "deploy/db", "web": "deploy/api"}  # web -> api -> db


# Cells of a table whose text was broken over lines (one line is under 1.6 font sizes high).
BROKEN = """(table) => Array.from(table.querySelectorAll('td, th')).filter((cell) => {
  const size = parseFloat(getComputedStyle(cell).fontSize);
  const range = document.createRange();
  range.selectNodeContents(cell);
  return range.getBoundingClientRect().height > 1.6 * size;
}).map((cell) => cell.innerText)"""


def broken_cells(table) -> list[str]:
    return table.evaluate(BROKEN)


def dashboard_notebook(lab, cluster, apps_api, namespace, tmp_path) -> str:
    """Three units in a chain (never scheduled) and a notebook that shows their dashboard."""
    for name, requires in CHAIN.items():
        body = pending_deployment(name, 1, cluster.worker_image)
        if requires:
            body["metadata"]["annotations"] = {"kjupyter.dev/requires": requires}
        apps_api.create_namespaced_deployment(namespace, body)
    return units_notebook(lab, cluster, namespace, tmp_path)


def units_notebook(lab, cluster, namespace, tmp_path) -> str:
    """A notebook, limited to `namespace`, that shows the units dashboard of what is there."""
    kubeconfig = notebook.namespaced_kubeconfig(cluster.kubeconfig, namespace, tmp_path)
    name = f"units-{uuid.uuid4().hex[:6]}.ipynb"
    notebook.write_notebook(lab, name, [
        "%load_ext kjupyter",
        f"%k8s connect --kubeconfig {kubeconfig}",
        "%k8s units --dashboard",
    ])  # fmt: skip
    return name


def stop_three_in_order(page, apps_api, namespace, tmp_path, shot: str) -> None:
    """Tap db, stop it: web, then api, then db stop, watched in the dashboard and the cluster."""
    dashboard = page.locator(".kj-units")
    dashboard.wait_for(timeout=waits.START)  # Voila shows it only once every cell has run

    boxes = page.locator(".kj-unit")
    expect(boxes).to_have_count(3)
    columns = [page.locator(f'.kj-unit[data-unit="deployments/{n}"]') for n in CHAIN]
    xs = [box.bounding_box()["x"] for box in columns]
    assert xs == sorted(xs) and len(set(xs)) == 3  # requirements left of what needs them

    columns[0].click()  # db
    expect(page.locator(".kj-unit.kj-selected")).to_have_attribute("data-unit", "deployments/db")
    expect(page.locator(".kj-units-table")).to_contain_text("required by")
    page.locator('.kj-units-action[data-verb="stop"]').click()
    question = page.locator(".kj-units-question")
    expect(question).to_have_text(
        "stop deployments/web, then deployments/api, then deployments/db?"
    )
    assert apps_api.read_namespaced_deployment("db", namespace).spec.replicas == 1  # armed only
    page.locator('.kj-units-confirm[data-verb="stop"]').click()

    steps = page.locator(".kj-units-step")
    expect(steps).to_have_count(6)
    assert steps.all_inner_texts() == [
        f"{what} deployments/{unit}"
        for unit in ("web", "api", "db")
        for what in ("stopping", "stopped")
    ]
    for box in columns:  # the graph follows the cluster (watched, no refresh)
        expect(box).to_have_attribute("data-state", "inactive")
    for unit in CHAIN:
        assert apps_api.read_namespaced_deployment(unit, namespace).spec.replicas == 0
    table = page.locator(".kj-units-table")  # the detail is read again once it is done
    expect(table).not_to_contain_text("activating")
    expect(table).to_contain_text("inactive")
    assert broken_cells(table) == []  # a desktop's side pane has room for whole words
    side = page.locator(".kj-units-side")
    assert side.evaluate("(el) => el.scrollWidth - el.clientWidth") <= 1  # nothing cut off
    notebook.shoot(dashboard, tmp_path, shot)


def test_the_dashboard_stops_three_units_in_order(
    page, lab, cluster, apps_api, namespace, tmp_path
):
    name = dashboard_notebook(lab, cluster, apps_api, namespace, tmp_path)
    notebook.open_and_run_all(page, lab, name)
    stop_three_in_order(page, apps_api, namespace, tmp_path, "units-dashboard.png")


def running_deployment(name: str, image: str, requires: str) -> dict:
    """A deployment whose pod really runs (a sleep), stopped (0 replicas) to begin with."""
    body = pending_deployment(name, 0, image)
    del body["spec"]["template"]["spec"]["nodeSelector"]
    body["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 0
    if requires:
        body["metadata"]["annotations"] = {"kjupyter.dev/requires": requires}
    return body


def pods_of(core_api, namespace: str, unit: str) -> set[str]:
    pods = core_api.list_namespaced_pod(namespace, label_selector=f"app={unit}").items
    return {p.metadata.name for p in pods if not p.metadata.deletion_timestamp}


def confirmed(page, verb: str, unit: str, question: str, steps: list[str]) -> None:
    """Tap `unit`, then `verb` (armed: its question), then yes; wait for exactly `steps`
    (the list of the verb before is replaced, so its six lines are no answer)."""
    page.locator(f'.kj-unit[data-unit="deployments/{unit}"]').click()
    expect(page.locator(".kj-unit.kj-selected")).to_have_attribute(
        "data-unit", f"deployments/{unit}"
    )
    page.locator(f'.kj-units-action[data-verb="{verb}"]').click()
    expect(page.locator(".kj-units-question")).to_have_text(question)
    page.locator(f'.kj-units-confirm[data-verb="{verb}"]').click()
    expect(page.locator(".kj-units-step")).to_have_text(steps, timeout=waits.START)


def test_the_dashboard_starts_and_restarts_three_units_in_order(
    page, lab, cluster, apps_api, core_api, namespace, tmp_path
):
    """Deliver 4's "start, stop, restart it in order from there": start web brings db, then
    api, then web up; restart db rolls db, then what requires it, each pod new."""
    for name, requires in CHAIN.items():
        apps_api.create_namespaced_deployment(
            namespace, running_deployment(name, cluster.worker_image, requires)
        )
    name = units_notebook(lab, cluster, namespace, tmp_path)
    notebook.open_and_run_all(page, lab, name)
    page.locator(".kj-units").wait_for(timeout=waits.START)
    expect(page.locator(".kj-unit")).to_have_count(3)
    boxes = [page.locator(f'.kj-unit[data-unit="deployments/{n}"]') for n in CHAIN]
    for box in boxes:
        expect(box).to_have_attribute("data-state", "inactive")

    order = ("db", "api", "web")
    asked = ", then ".join(f"deployments/{unit}" for unit in order)
    started = [f"{w} deployments/{u}" for u in order for w in ("starting", "started")]
    confirmed(page, "start", "web", f"start {asked}?", started)
    for box in boxes:  # the graph follows the cluster
        expect(box).to_have_attribute("data-state", "active")
    before = {unit: pods_of(core_api, namespace, unit) for unit in CHAIN}
    assert all(len(pods) == 1 for pods in before.values()), before

    restarted = [f"{w} deployments/{u}" for u in order for w in ("restarting", "restarted")]
    confirmed(page, "restart", "db", f"restart {asked}?", restarted)
    for box in boxes:
        expect(box).to_have_attribute("data-state", "active")
    for unit in CHAIN:  # every pod of the chain is a new one
        after = pods_of(core_api, namespace, unit)
        assert after and not after & before[unit], (unit, before[unit], after)
    notebook.shoot(page.locator(".kj-units"), tmp_path, "units-dashboard-restart.png")
