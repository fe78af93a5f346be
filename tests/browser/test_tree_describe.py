"""`describe` in the side pane: no word broken across lines, no stray index rows (defect 7)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser import notebook
from tests.browser.test_tree_selection import pending_deployment

# Words (runs of non-space) of the detail pane whose glyphs land on more than one line.
BROKEN_WORDS = """(root) => {
  const broken = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const match of node.textContent.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0)
        .map((r) => Math.round(r.top)));
      if (tops.size > 1) broken.push(match[0]);
    }
  }
  return broken;
}"""


def test_describe_keeps_words_whole_and_has_no_index_rows(
    page, lab, cluster, apps_api, namespace, tmp_path
):
    apps_api.create_namespaced_deployment(
        namespace, pending_deployment("web", 2, cluster.worker_image)
    )
    kubeconfig = notebook.namespaced_kubeconfig(cluster.kubeconfig, namespace, tmp_path)
    notebook.browse(page, lab, kubeconfig, f"/namespaces/{namespace}")
    deployments = f"/namespaces/{namespace}/deployments"
    notebook.open_row(page, deployments)
    notebook.select(page, f"{deployments}/web")
    notebook.action(page, "describe").click()
    detail = page.locator(".kj-tree-detail")
    expect(detail).to_contain_text("MinimumReplicasUnavailable")
    expect(detail).to_contain_text("ScalingReplicaSet")
    notebook.shoot(detail, tmp_path, "describe.png")

    assert detail.evaluate(BROKEN_WORDS) == []
    lines = [line.strip() for line in detail.inner_text().splitlines()]
    index_rows = [line for line in lines if re.fullmatch(r"(type|Name|\d+)", line)]
    assert index_rows == []
