"""%k8s units, blame, plot and --dry-run on the real cluster (issue 11, Deliver 4).

`web` requires `db` (2 replicas); `other` is unrelated.
"""

from __future__ import annotations

import pytest

from kjupyter.errors import BadArgument
from kjupyter.units import control, gantt
from tests.cluster.conftest import await_ready_pods, deployment_yaml


@pytest.fixture
def system(k8s, cluster, core_api, namespace):
    image = cluster.worker_image
    k8s.apply(deployment_yaml("db", image, replicas=2))
    k8s.apply(deployment_yaml("web", image, requires="deploy/db"))
    k8s.apply(deployment_yaml("other", image))
    for app, count in (("db", 2), ("web", 1), ("other", 1)):
        await_ready_pods(core_api, namespace, f"app={app}", count)
    return k8s


def pods(core_api, namespace):
    return sorted(p.metadata.name for p in core_api.list_namespaced_pod(namespace).items)


def test_units_lists_every_unit_with_its_links(system, shell):
    table = shell.run_line_magic("k8s", "units")
    assert list(table.columns) == ["kind", "state", "replicas", "ready", "requires", "required by"]
    assert list(table.index) == ["deployments/db", "deployments/other", "deployments/web"]
    assert table.loc["deployments/db"].tolist() == [
        "Deployment", "active", 2, 2, "", "deployments/web"
    ]  # fmt: skip
    assert table.loc["deployments/web", "requires"] == "deployments/db"
    assert table.loc["deployments/other", "required by"] == ""


def test_dry_runs_show_the_plan_and_change_nothing(system, shell, core_api, namespace):
    before = pods(core_api, namespace)
    stop = shell.run_line_magic("k8s", "stop deploy/db --dry-run")
    assert list(stop["unit"]) == ["deployments/web", "deployments/db"]
    assert list(stop["action"]) == ["would scale to 0", "would scale to 0"]
    assert list(stop["replicas before"]) == [1, 2]
    restart = shell.run_line_magic("k8s", "restart deploy/db --dry-run")
    assert list(restart["unit"]) == ["deployments/db", "deployments/web"]
    assert set(restart["action"]) == {"would roll its pods"}
    alone = shell.run_line_magic("k8s", "restart deploy/db --dry-run --no-deps")
    assert list(alone["unit"]) == ["deployments/db"]
    start = shell.run_line_magic("k8s", "start deploy/web --dry-run")
    assert list(start["unit"]) == ["deployments/db", "deployments/web"]
    assert list(start["role"]) == ["requirement", "target"]
    assert pods(core_api, namespace) == before  # nothing was changed
    for name in ("db", "web"):
        assert system.cat(f"deploy/{name}")["metadata"]["generation"] == 1


def test_a_dry_run_fails_where_the_real_one_would(system, shell):
    system.apply(deployment_yaml("loop-a", "none", replicas=0, requires="deploy/loop-b"))
    system.apply(deployment_yaml("loop-b", "none", replicas=0, requires="deploy/loop-a"))
    result = shell.run_cell("%k8s start deploy/loop-a --dry-run")
    assert isinstance(result.error_in_exec, BadArgument)
    assert "dependency cycle" in str(result.error_in_exec)


def test_blame_and_plot_of_the_chain_to_the_millisecond_once_seen(system, shell):
    blame = shell.run_line_magic("k8s", "blame deploy/web")
    assert list(blame.columns) == ["seconds", "unit", "pod", "step", "why", "resolution"]
    assert list(blame["seconds"]) == sorted(blame["seconds"], reverse=True)
    assert set(blame["unit"]) == {"deployments/web", "deployments/db"}
    assert set(blame["resolution"]) == {"s"}  # applied by the test: only the API's seconds
    chain = shell.run_line_magic("k8s", "critical-chain deploy/web")
    web = blame[blame["unit"] == "deployments/web"]
    assert web["seconds"].sum() == pytest.approx(chain.ready_after, abs=0.002)

    control.restart(system, "deploy/db", live=lambda line: None)  # this kernel watches it
    blame = shell.run_line_magic("k8s", "blame deploy/web")
    db = blame[blame["unit"] == "deployments/db"]
    assert set(db["resolution"]) == {"ms"}
    chart = shell.run_line_magic("k8s", "plot deploy/web")
    assert isinstance(chart, gantt.ChainPlot) and chain.unit == chart.unit
    lanes = chart.frame.drop_duplicates(["unit", "pod"])
    assert list(lanes["unit"]) == ["deployments/db", "deployments/db", "deployments/web"]
    assert chart.svg.count('class="kj-step"') == len(chart.frame) > 0
    assert (chart.frame["end"] >= chart.frame["start"]).all()
    assert chart.frame["start"].min() == 0
    html = chart._repr_html_()
    assert html.startswith('<div class="kj-gantt"><svg') and "ready" in html
