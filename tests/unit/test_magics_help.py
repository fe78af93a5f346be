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
    from kjupyter.magics.dispatch import load_commands

    text = str(shell.run_line_magic("k8s", "help"))
    for title in ("the cluster as a tree:", "cells and functions as tasks:", "services as units:"):
        assert title in text
    for name in load_commands():
        assert f" {name} " in text


def test_help_of_one_verb_is_its_docstring_then_its_usage(shell):
    text = str(shell.run_line_magic("k8s", "help critical-chain"))
    assert text.startswith("Where start-up time went")
    assert "\nusage: %k8s critical-chain" in text
    assert "usage: %k8s stop" in str(shell.run_line_magic("k8s", "stop --help"))


def _verbs():
    from kjupyter.magics.dispatch import load_commands

    return sorted(load_commands())


@pytest.mark.parametrize("name", _verbs())
def test_every_verb_has_a_docstring_with_an_example(name):
    from kjupyter.magics.dispatch import load_commands

    doc = load_commands()[name].handler.__doc__ or ""
    assert "In [1]:" in doc and "%k8s" in doc, f"%k8s {name}: no docstring with an In [1]: example"


@pytest.mark.parametrize("name", _verbs())
def test_help_verb_dash_dash_help_and_question_mark_show_one_text(shell, name):
    """`%k8s help VERB`, `%k8s VERB --help` and `%k8s VERB?` show the docstring and usage."""
    import inspect

    from kjupyter.magics.dispatch import load_commands

    found = load_commands()[name]
    by_help = str(shell.run_line_magic("k8s", f"help {name}"))
    by_flag = str(shell.run_line_magic("k8s", f"{name} --help"))
    asked = shell.run_cell(f"%k8s {name}?", store_history=False)
    assert asked.error_in_exec is None and asked.error_before_exec is None
    by_question = str(asked.result)
    assert by_help == by_flag == by_question
    assert by_help.startswith(inspect.cleandoc(found.handler.__doc__ or "").split("\n")[0])
    if name != "help":  # `help` has no options of its own beyond -h
        assert "usage: %k8s " in by_help


def test_a_cell_verb_asked_with_a_question_mark_shows_its_help(shell):
    result = shell.run_cell("%%k8s run?\nprint(1)\n", store_history=False)
    assert result.error_in_exec is None
    assert "usage: %k8s run" in str(result.result)


def test_unknown_verbs_and_bad_quotes_are_one_line_usage_errors(shell):
    with pytest.raises(UsageError, match="unknown verb 'lss'; known verbs: "):
        shell.run_line_magic("k8s", "lss pods")
    with pytest.raises(UsageError, match="check the quotes"):
        shell.run_line_magic("k8s", "ls 'pods")
    with pytest.raises(UsageError, match="takes no cell body"):
        shell.run_cell_magic("k8s", "pwd", "body")


def test_completion_offers_verbs(shell):
    from kjupyter.magics import dispatch

    context = shell.user_ns["_kjupyter_magics"].context
    assert dispatch.complete(context, "%k8s cr") == ["critical-chain"]
    assert {"start", "status", "stop"} <= set(dispatch.complete(context, "%k8s st"))


def test_ls_refuses_an_unknown_output_in_one_line(shell):
    with pytest.raises(UsageError, match=r"-o takes wide, name, yaml, json or jsonpath=TEMPLATE"):
        shell.run_line_magic("k8s", "ls pods -o xml")
