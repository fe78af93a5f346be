"""`events --types Normal|Warning` and `events --for KIND/NAME`, as kubectl events (issue 10,
the everyday flags, sweep), compared with the cluster's kubectl. Events may still arrive
while the two read, so kjupyter's rows must lie between kubectl's read before and after."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from kjupyter.errors import BadArgument
from tests.cluster import oracle


def rows_of(text: str) -> set[tuple[str, str, str]]:
    headings, rows = oracle.parse_table(text)
    if not headings:
        return set()
    at = {h: i for i, h in enumerate(headings)}
    # kubectl events says Pod/web-0 where kubectl get events says pod/web-0 (as kjupyter)
    return {(r[at["TYPE"]], r[at["REASON"]], r[at["OBJECT"]].lower()) for r in rows}


def mine_of(frame) -> set[tuple[str, str, str]]:
    return {(str(r["Type"]), str(r["Reason"]), str(r["Object"]).lower())
            for _, r in frame.iterrows()}  # fmt: skip


def test_events_types_and_for_as_kubectl(shell, k8s, cluster, kubectl_binary, namespace, web):
    def kubectl(*args: str) -> set[tuple[str, str, str]]:
        return rows_of(oracle.kubectl(kubectl_binary, cluster.kubeconfig, "events", "-n",
                                      namespace, *args))  # fmt: skip

    for args, line in (
        (("--types", "Normal"), "events --types Normal"),
        (("--types", "Warning,Normal"), "events --types Warning,Normal"),
        (("--for", f"pod/{web[0]}"), f"events --for pod/{web[0]}"),
        (("--for", f"pod/{web[0]}", "--types", "normal"), f"events --for pod/{web[0]} --types normal"),  # noqa: E501
    ):
        before = kubectl(*args)
        mine = mine_of(shell.run_line_magic("k8s", line))
        after = kubectl(*args)
        assert before <= mine <= after, (line, before ^ mine, mine ^ after)
        assert mine, line  # the pods' Scheduled, Pulled, Created, Started at least
    assert {t for t, _, _ in mine_of(k8s.events(types="Normal"))} == {"Normal"}
    with pytest.raises(BadArgument, match="valid types are Normal or Warning"):
        k8s.events(types="Error")
    with pytest.raises(UsageError, match="not both"):
        shell.run_line_magic("k8s", f"events pods --for pod/{web[0]}")
