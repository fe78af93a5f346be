"""How long the browser tests wait, and what they say when a wait runs out.

Every wait is for a condition (a row drawn, a text shown, a kernel idle); these are only the
deadlines after which a test gives up. They are set for a loaded machine, not an idle one: a
click's answer travels JS -> kernel -> API server -> kernel -> DOM, 0.25-0.8 s here when idle,
but one full browser run with three engineers' tests beside it had three clicks unanswered
after 30 s that passed alone. A wait that runs out says what it waited for and what the page
showed then (the widgets' status and error lines, any dialog), not only a locator.
`KJUPYTER_BROWSER_PATIENCE` multiplies every deadline (2 on a slower machine).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from playwright.sync_api import Error as PlaywrightError

PATIENCE = float(os.environ.get("KJUPYTER_BROWSER_PATIENCE") or 1)
ANSWER = int(120_000 * PATIENCE)  # ms: a click's answer, a change the cluster makes (default)
START = int(300_000 * PATIENCE)  # ms: a notebook opened until its widget shows, a long run
TEST = int(3 * START / 1000 + 300)  # s: one browser test in all (pytest-timeout's limit)

# What the page shows that may say why a wait ran out: the widgets' own lines and dialogs.
SHOWN = """() => Array.from(document.querySelectorAll(
    '.kj-tree-status, .kj-tree-error, .kj-units-status, .kj-units-error, .kj-tasks-counts,'
    + ' .kj-stream-end, .jp-Dialog-content, .jp-Notebook-ExecutionIndicator'
  )).map((el) => `${el.className.split(' ')[0]}: ${el.innerText.trim().slice(0, 200)}`)
    .filter((line) => !line.endsWith(': '))"""


def shown(page) -> list[str]:
    """The status, error and dialog lines on the page now (empty if it cannot be read)."""
    try:
        return page.evaluate(SHOWN)
    except PlaywrightError:
        return []


@contextlib.contextmanager
def waiting(page, what: str) -> Iterator[None]:
    """Run the waits inside for `what`; one that runs out fails naming it and the page's lines."""
    try:
        yield
    except (AssertionError, PlaywrightError) as err:
        first = str(err).strip().split("\n", 1)[0]
        lines = "; ".join(shown(page)) or "nothing"
        raise AssertionError(f"waited for {what}: {first} (the page showed: {lines})") from err
