"""Benchmark: the tree widget with 5,000 children of one directory, in headless Chromium.

    python -m pytest bench/bench_tree_widget.py -p tests.conftest -p tests.browser.conftest -s \
        [--children 5000]   (env KJUPYTER_BENCH_CHILDREN)

Run by pytest for the browser tests' JupyterLab and Chromium (tests/browser/conftest.py); it
is not collected by the test suite (`tests/` only). In a fresh namespace holding N ConfigMaps,
a notebook browses the namespace; then, each timed from the test's side of Playwright:

  * open `configmaps`: the click until its first child row is drawn (the kernel lists the
    N objects, the widget sends them, the page draws the rows in view), beside `ls` of the
    same directory in this process (the listing alone, its floor);
  * scroll to the end: until the last child's row is drawn (rows are virtualised);
  * filter: typing a name that matches one child until only its row is left, and clearing
    the filter until every row is back in the list.

Figures only: nothing asserts on speed. Goals (issue 14): first paint and scroll to the end
<= 0.5 s each.
"""

from __future__ import annotations

import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from tests.browser import notebook

CHILDREN = int(os.environ.get("KJUPYTER_BENCH_CHILDREN", "5000"))


def _fill(core_api, namespace: str, count: int) -> None:
    def create(i: int) -> None:
        body = {"metadata": {"name": f"cm-{i:05d}"}, "data": {"n": str(i)}}
        core_api.create_namespaced_config_map(namespace, body, _preload_content=False)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(create, range(count)))


def _seconds(start: float) -> float:
    return time.perf_counter() - start


def test_tree_widget_at_scale(page, lab, cluster, core_api, namespace, tmp_path):
    import kjupyter

    _fill(core_api, namespace, CHILDREN)
    k = kjupyter.connect(kubeconfig=cluster.kubeconfig)
    directory = f"/namespaces/{namespace}/configmaps"
    listing = []
    for _ in range(3):
        start = time.perf_counter()
        frame = k.ls(directory)
        listing.append(_seconds(start))
    assert len(frame) >= CHILDREN  # (plus kube-root-ca.crt)
    k.close()

    kubeconfig = notebook.namespaced_kubeconfig(cluster.kubeconfig, namespace, tmp_path)
    notebook.browse(page, lab, kubeconfig, f"/namespaces/{namespace}", height=600)
    first, last = f"{directory}/cm-00000", f"{directory}/cm-{CHILDREN - 1:05d}"

    notebook.row(page, directory).wait_for(timeout=30_000)
    start = time.perf_counter()
    notebook.row(page, directory).click()
    notebook.row(page, first).wait_for(timeout=120_000)
    first_paint = _seconds(start)

    start = time.perf_counter()
    page.locator(".kj-tree-list").evaluate("list => { list.scrollTop = list.scrollHeight; }")
    notebook.row(page, last).wait_for(timeout=60_000)
    to_the_end = _seconds(start)

    start = time.perf_counter()
    page.locator(".kj-tree-filter").fill(f"cm-{CHILDREN // 2:05d}")
    notebook.row(page, first).wait_for(state="detached", timeout=60_000)
    notebook.row(page, f"{directory}/cm-{CHILDREN // 2:05d}").wait_for(timeout=60_000)
    filtered = _seconds(start)
    start = time.perf_counter()
    page.locator(".kj-tree-filter").fill("")
    page.locator(".kj-tree-list").evaluate("list => { list.scrollTop = 0; }")
    notebook.row(page, first).wait_for(timeout=60_000)
    cleared = _seconds(start)

    rows_drawn = page.locator(".kj-tree-row").count()
    print(f"\ntree widget, {CHILDREN} children of one directory (headless Chromium)")
    print(f"  ls of the directory in-process, median of 3 (s)   {statistics.median(listing):8.3f}")
    print(f"  open it: click to first child drawn (s)           {first_paint:8.3f}  goal <= 0.5")
    print(f"  scroll to the end: last child drawn (s)           {to_the_end:8.3f}  goal <= 0.5")
    print(f"  filter to one child (s)                           {filtered:8.3f}")
    print(f"  clear the filter, first child back (s)            {cleared:8.3f}")
    print(f"  rows in the page after clearing                   {rows_drawn:8d}  (virtualised)")
