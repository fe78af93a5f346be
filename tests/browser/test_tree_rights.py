"""A restricted user sees the action it may not perform disabled, with the missing verb
(issue 11, Deliver 2: one SelfSubjectRulesReview per namespace)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser import notebook


def test_a_restricted_user_sees_the_disabled_action_and_the_missing_verb(
    page, lab, cluster, tmp_path
):
    namespace = cluster.restricted_namespace
    kubeconfig = notebook.namespaced_kubeconfig(cluster.restricted_kubeconfig, namespace, tmp_path)
    notebook.browse(page, lab, kubeconfig, f"/namespaces/{namespace}")
    notebook.select(page, f"/namespaces/{namespace}/secrets")
    ls = notebook.action(page, "ls")
    expect(ls).to_be_disabled()
    expect(ls).to_have_attribute("title", "ls: needs list on secrets")
    expect(notebook.action(page, "events")).to_be_enabled()
    expect(page.locator(".kj-denied-reasons")).to_have_text("ls: needs list on secrets")

    notebook.select(page, f"/namespaces/{namespace}/pods")  # allowed: nothing disabled
    expect(notebook.action(page, "ls")).to_be_enabled()
    expect(page.locator(".kj-denied-reasons")).to_have_count(0)
    notebook.select(page, f"/namespaces/{namespace}/secrets")
    expect(notebook.action(page, "ls")).to_be_disabled()
    notebook.shoot(page.locator(".kj-tree"), tmp_path, "tree-rights.png")
