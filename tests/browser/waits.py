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
import warnings
import weakref
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


# When none of those lines is there (a blank or half-loaded page): its title and first words.
BARE = """() => `title '${document.title}', ${document.querySelectorAll('*').length} elements,`
    + ` text '${(document.body ? document.body.innerText : '').trim().slice(0, 160)}'`"""

# The last console errors, failed requests and uncaught exceptions of each page (see listen).
_TROUBLE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def listen(page) -> None:
    """Keep `page`'s last console errors, failed requests and uncaught exceptions, so that a
    wait that runs out on a page that drew nothing can say what went wrong in it."""
    trouble: list[str] = []
    _TROUBLE[page] = trouble

    def note(line: str) -> None:
        trouble.append(line[:240])
        del trouble[:-5]

    page.on("console", lambda m: m.type == "error" and note(f"console error: {m.text}"))
    page.on("pageerror", lambda error: note(f"uncaught: {error}"))
    page.on("requestfailed", lambda r: note(f"request failed: {r.url[:100]} ({r.failure})"))


def shown(page) -> list[str]:
    """The status, error and dialog lines on the page now; on a page with none of them, its
    title, size and first words, and its last console errors (empty if it cannot be read)."""
    try:
        lines = page.evaluate(SHOWN)
        if not lines:
            lines = [page.evaluate(BARE), *_TROUBLE.get(page, [])]
        return lines
    except PlaywrightError:
        return []


def load(page, url: str, selector: str, what: str) -> None:
    """Go to `url` and wait for `selector`; if the page has not drawn it by half the start
    deadline, say what it showed (a warning in the run's summary) and reload it once, as a
    user would. Why: one CI run had a JupyterLab page stay blank for the whole deadline while
    the same test passed before and after it; the second half of the deadline is the reload's.
    """
    page.goto(url)
    try:
        page.locator(selector).wait_for(timeout=START // 2)
        return
    except PlaywrightError as err:
        warnings.warn(f"reloading after {ran_out(page, what, err)}", stacklevel=2)
    with waiting(page, f"{what} (after one reload)"):
        page.reload()
        page.locator(selector).wait_for(timeout=START // 2)


@contextlib.contextmanager
def waiting(page, what: str) -> Iterator[None]:
    """Run the waits inside for `what`; one that runs out fails naming it and the page's lines."""
    try:
        yield
    except (AssertionError, PlaywrightError) as err:
        raise AssertionError(ran_out(page, what, err)) from err


def ran_out(page, what: str, err: BaseException) -> str:
    """'waited for WHAT: the error's first line (the page showed: its lines)'."""
    first = str(err).strip().split("\n", 1)[0]
    return f"waited for {what}: {first} (the page showed: {'; '.join(shown(page)) or 'nothing'})"
