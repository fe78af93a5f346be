"""The browser tests' waits: one that runs out names what it waited for and what the page
showed then (issue 11, what was left, item 3: a load-sensitive timeout said only a locator)."""

from __future__ import annotations

import pytest

from tests.browser import waits


def test_a_wait_that_runs_out_names_its_condition_and_the_pages_lines(browser):
    page = browser.new_page()
    try:
        page.set_content(
            '<div class="kj-tree"><span class="kj-tree-status">/namespaces/a: 3 entries</span>'
            '<div class="kj-tree-error">Forbidden: pods is forbidden</div>'
            '<div class="kj-tree-error"></div></div>'
        )
        what = "the tree to mark /namespaces/a/pods/b selected"
        with pytest.raises(AssertionError) as raised, waits.waiting(page, what):
            page.locator(".kj-selected").wait_for(timeout=200)  # never there: no race
        message = str(raised.value)
        assert message.startswith("waited for the tree to mark /namespaces/a/pods/b selected: ")
        assert "Timeout 200ms exceeded" in message
        assert message.endswith(
            "(the page showed: kj-tree-status: /namespaces/a: 3 entries;"
            " kj-tree-error: Forbidden: pods is forbidden)"
        )
    finally:
        page.close()


def test_a_wait_on_a_page_that_drew_nothing_names_its_title_words_and_console_errors(browser):
    page = browser.new_page()
    waits.listen(page)
    try:
        page.set_content(
            "<title>JupyterLab</title><body><p>Loading</p>"
            "<script>console.error('Failed to load extension kj')</script></body>"
        )
        with pytest.raises(AssertionError) as raised, waits.waiting(page, "JupyterLab to open"):
            page.locator(".jp-Notebook").wait_for(timeout=200)
        message = str(raised.value)
        assert "title 'JupyterLab'" in message and "text 'Loading'" in message
        assert "console error: Failed to load extension kj" in message
    finally:
        page.close()


def test_every_deadline_leaves_headroom_over_the_slowest_answer_seen():
    assert waits.ANSWER >= 4 * 30_000  # three clicks went unanswered at 30 s under load
    assert waits.START >= waits.ANSWER and waits.TEST * 1000 > 2 * waits.START
