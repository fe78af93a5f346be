"""Opening a notebook that browses the test namespace, and finding the tree's parts in it."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import nbformat
import yaml

from tests.browser import waits

KERNELS = {"python3": "Python 3", "kjupyter": "Python 3 (kjupyter)"}


def write_notebook(lab, name: str, cells: list[str], kernel: str = "python3") -> None:
    book = nbformat.v4.new_notebook()
    book.metadata["kernelspec"] = {"name": kernel, "display_name": KERNELS[kernel]}
    book.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nbformat.write(book, lab.root / name)


def open_in_lab(page, lab, name: str) -> None:
    """Open `name` in JupyterLab, in a workspace of its own, and wait for the notebook."""
    url = f"{lab.url}/lab/workspaces/w{uuid.uuid4().hex[:8]}/tree/{name}?token={lab.token}"
    waits.load(page, url, ".jp-Notebook", f"JupyterLab to open {name}")


def open_and_run_all(page, lab, name: str) -> None:
    open_in_lab(page, lab, name)
    lab.wait_for_idle_kernel(page, name)
    with waits.waiting(page, "JupyterLab's Run > Run All Cells"):
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()


def open_in_notebook7(page, lab, name: str, by_keyboard: int = 0) -> None:
    """Open `name` in Notebook 7 and run all its cells: by the menu (a click, as a user's),
    or with Shift+Enter on each of `by_keyboard` cells (a phone, where the menu folds)."""
    url = f"{lab.url}/notebooks/{name}?token={lab.token}"
    waits.load(page, url, ".jp-Notebook", f"Notebook 7 to open {name}")
    lab.wait_for_idle_kernel(page, name)
    with waits.waiting(page, "Notebook 7 to run the cells"):
        if by_keyboard:
            page.locator(".jp-Cell").first.click()
            page.keyboard.press("Escape")
            for _ in range(by_keyboard):
                page.keyboard.press("Shift+Enter")
            return
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()


def open_in_voila(page, lab, name: str) -> None:
    """Open `name` in Voila, which runs every cell itself before it shows the page."""
    page.goto(f"{lab.url}/voila/render/{name}?token={lab.token}", timeout=waits.START)


def namespaced_kubeconfig(kubeconfig: str, namespace: str, folder: Path, server: str = "") -> Path:
    """A copy of `kubeconfig` whose context starts in `namespace` (and talks to `server`)."""
    config = yaml.safe_load(Path(kubeconfig).read_text())
    config["contexts"][0]["context"]["namespace"] = namespace
    if server:
        config["clusters"][0]["cluster"]["server"] = server
    path = folder / f"kubeconfig-{uuid.uuid4().hex[:6]}"
    path.write_text(yaml.safe_dump(config))
    return path


def browse(page, lab, kubeconfig: Path, root: str, name: str = "", height: int = 420) -> None:
    """Open a notebook that connects with `kubeconfig` and browses `root`; wait for the tree.

    Rows are virtualised: a test that needs rows far down asks for a taller tree.
    """
    name = name or f"tree-{uuid.uuid4().hex[:6]}.ipynb"
    write_notebook(lab, name, [
        "%load_ext kjupyter",
        f"%k8s connect --kubeconfig {kubeconfig}",
        f"%k8s browse {root} --height {height}",
    ])  # fmt: skip
    open_and_run_all(page, lab, name)
    with waits.waiting(page, f"the tree of {root} to be drawn after Run All"):
        page.locator(".kj-tree").wait_for(timeout=waits.START)


def row(page, path: str):
    return page.locator(f'.kj-tree-row[data-path="{path}"]')


def open_row(page, path: str) -> None:
    """Click a directory's row and wait until its children are drawn (an open twisty)."""
    with waits.waiting(page, f"the row {path} to be drawn"):
        row(page, path).wait_for()
    row(page, path).click()
    with waits.waiting(page, f"{path} to open (its children listed) after a click"):
        page.locator(f'.kj-tree-row[data-path="{path}"] .kj-twisty', has_text="▾").wait_for()


def select(page, path: str) -> None:
    """Click an object's row and wait until the widget marks it selected."""
    with waits.waiting(page, f"the row {path} to be drawn"):
        row(page, path).wait_for()
    row(page, path).click()
    with waits.waiting(page, f"the tree to mark {path} selected after a click"):
        page.locator(f'.kj-tree-row.kj-selected[data-path="{path}"]').wait_for()


def action(page, name: str):
    return page.locator(f'.kj-action[data-action="{name}"]')


def shoot(locator, folder: Path, name: str) -> None:
    """Screenshot `locator` as a test artifact; also into $KJUPYTER_SCREENSHOTS if set (docs/)."""
    locator.screenshot(path=str(folder / name))
    target = os.environ.get("KJUPYTER_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(folder / name, Path(target) / name)
