"""The tree is readable in JupyterLab's light and dark themes (issue 11, defect 6).

Every piece of text the widget draws (rows, the selected row, buttons, YAML) is checked for
WCAG contrast against the background it is drawn on, as the browser computed them.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser import notebook

THEMES = "/lab/api/settings/@jupyterlab/apputils-extension:themes"

# For each element with its own text: its colour, the first opaque background up its
# ancestors, and their WCAG contrast ratio.
CONTRASTS = """(root) => {
  const rgba = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const c = [r, g, b].map((v) => v / 255).map((v) =>
      v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const value = rgba(getComputedStyle(node).backgroundColor);
      if (value.length === 3 || (value.length === 4 && value[3] > 0.5)) return value;
    }
    return [255, 255, 255];
  };
  const out = [];
  for (const el of root.querySelectorAll("*")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.offsetParent === null) continue;
    const bg = background(el), [r, g, b, a = 1] = rgba(getComputedStyle(el).color);
    const fg = [r, g, b].map((v, i) => v * a + bg[i] * (1 - a)); // text alpha over its ground
    const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    out.push({ text: el.textContent.trim(), cls: el.className, bg: bg.join(","),
               fg: fg.map(Math.round).join(","), ratio: (hi + 0.05) / (lo + 0.05) });
  }
  return out;
}"""


@pytest.fixture(params=["JupyterLab Light", "JupyterLab Dark"], ids=["light", "dark"])
def theme(request, lab) -> str:
    lab.api(THEMES, "PUT", {"raw": json.dumps({"theme": request.param})})
    yield request.param
    lab.api(THEMES, "PUT", {"raw": "{}"})


def test_every_text_is_readable_on_its_background(
    theme, page, lab, cluster, core_api, namespace, tmp_path
):
    core_api.create_namespaced_config_map(
        namespace, {"metadata": {"name": "settings"}, "data": {"mode": "fast", "size": "3"}}
    )
    kubeconfig = notebook.namespaced_kubeconfig(cluster.kubeconfig, namespace, tmp_path)
    notebook.browse(page, lab, kubeconfig, f"/namespaces/{namespace}")
    configmaps = f"/namespaces/{namespace}/configmaps"
    notebook.open_row(page, configmaps)
    notebook.select(page, f"{configmaps}/settings")
    notebook.action(page, "cat").click()
    expect(page.locator(".kj-tree-detail")).to_contain_text("fast")
    notebook.shoot(page.locator(".kj-tree"), tmp_path, f"{theme.split()[-1]}.png")

    texts = page.locator(".kj-tree").evaluate(CONTRASTS)
    assert any(t["text"] == "settings" for t in texts)  # the selected row was measured
    assert any("fast" in t["text"] for t in texts)  # and the YAML
    unreadable = [{**t, "text": t["text"][:30]} for t in texts if t["ratio"] < 4.5]
    assert unreadable == []
