"""Which lines the `%k8s` matcher claims, and the flags it offers (from the verbs' parsers)."""

from __future__ import annotations

import pytest

from kjupyter.magics import completion, dispatch, verbs


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("%k8s ls pods/", "%k8s ls pods/"),
        ("  %%k8s apply -", "%%k8s apply -"),
        ("frame = %k8s ls", "%k8s ls"),
        ("%k8s", "%k8s"),
        ("print(1)", None),
        ("%k8sx ls", None),
        ("x = 1 + %k8s", None),
    ],
)
def test_lines_the_matcher_claims(line, words):
    assert completion.k8s_words(line) == words


def test_flags_come_from_the_verb_parser():
    context = verbs.MagicContext()
    assert dispatch.complete(context, "%k8s delete --y") == ["--yes"]
    assert dispatch.complete(context, "%k8s ls -")[:3] == ["--all-namespaces", "--chunk-size",
                                                        "--field-selector"]  # fmt: skip
    assert "-A" in dispatch.complete(context, "%k8s ls -")
    assert dispatch.complete(context, "%k8s nosuchverb --") == []


def test_the_everyday_get_flags_complete():
    context = verbs.MagicContext()
    assert dispatch.complete(context, "%k8s ls --sh") == ["--show-labels"]
    assert dispatch.complete(context, "%k8s ls --so") == ["--sort-by"]
    assert "-L" in dispatch.complete(context, "%k8s ls -")
