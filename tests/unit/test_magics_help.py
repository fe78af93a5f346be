"""`%k8s help` and the dispatcher, in a real IPython shell with no cluster."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError


@pytest.fixture(scope="module")
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "kjupyter")
    return ip


def test_help_lists_every_verb_under_its_group(shell):
    from kjupyter.magics.verbs import load_commands

    text = str(shell.run_line_magic("k8s", "help"))
    for title in ("the cluster as a tree:", "cells and functions as tasks:", "services as units:"):
        assert title in text
    for name in load_commands():
        assert f" {name} " in text


def test_help_of_one_verb_is_its_usage(shell):
    text = str(shell.run_line_magic("k8s", "help critical-chain"))
    assert text.startswith("usage: %k8s critical-chain")
    assert str(shell.run_line_magic("k8s", "stop --help")).startswith("usage: %k8s stop")


def test_unknown_verbs_and_bad_quotes_are_one_line_usage_errors(shell):
    with pytest.raises(UsageError, match="unknown verb 'lss'; known verbs: "):
        shell.run_line_magic("k8s", "lss pods")
    with pytest.raises(UsageError, match="check the quotes"):
        shell.run_line_magic("k8s", "ls 'pods")
    with pytest.raises(UsageError, match="takes no cell body"):
        shell.run_cell_magic("k8s", "pwd", "body")


def test_completion_offers_verbs(shell):
    from kjupyter.magics import verbs

    context = shell.user_ns["_kjupyter_magics"].context
    assert verbs.complete(context, "%k8s cr") == ["critical-chain"]
    assert {"start", "status", "stop"} <= set(verbs.complete(context, "%k8s st"))


def test_ls_refuses_an_unknown_output_in_one_line(shell):
    with pytest.raises(UsageError, match=r"-o takes wide, name, yaml, json or jsonpath=TEMPLATE"):
        shell.run_line_magic("k8s", "ls pods -o xml")
