"""`label --list` and `annotate --list` (issue 10, what was left, item 2): what kubectl 1.36
prints (`KEY=VALUE` lines; for several objects each under `Listing labels for Kind.group/name:`,
indented one space), here as a Series (one object) or a DataFrame by (Name, key) (several),
compared with the cluster's kubectl on the same objects. Nothing is written."""

from __future__ import annotations

import pandas as pd
from IPython.utils.capture import capture_output

from tests.cluster import oracle

MAPS = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: one
  labels: {app: lists, tier: front, example.com/role: x}
  annotations: {note: "a b", example.com/owner: "team=ml"}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: two
  labels: {app: lists}
  annotations: {note: other}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: three, labels: {app: elsewhere}}
"""


def kubectl_listing(text: str) -> dict[str, set[str]]:
    """kubectl's --list output by heading ('' for one object): the KEY=VALUE lines of each."""
    found: dict[str, set[str]] = {}
    heading = ""
    for line in text.splitlines():
        if line.startswith("Listing "):
            heading = line
            found[heading] = set()
        else:
            found.setdefault(heading, set()).add(line)
    return found


def test_label_and_annotate_list_as_kubectl_lists(k8s, cluster, kubectl_binary, namespace):
    k8s.apply(MAPS)
    before = k8s.get("cm", "json")

    def kubectl(*args: str) -> dict[str, set[str]]:
        out = oracle.kubectl(kubectl_binary, cluster.kubeconfig, "-n", namespace, *args)
        return kubectl_listing(out)

    labels = k8s.labels("cm/one")
    assert isinstance(labels, pd.Series) and labels.index.name == "Label"
    assert labels.name == "configmaps/one" and labels["tier"] == "front"
    assert kubectl("label", "cm/one", "--list") == {"": {f"{k}={v}" for k, v in labels.items()}}
    notes = k8s.annotations("cm/one")
    assert notes["example.com/owner"] == "team=ml"
    assert kubectl("annotate", "cm/one", "--list") == {
        "": {f"{k}={v}" for k, v in notes.items()}
    }  # fmt: skip

    for field, verb in (("labels", "label"), ("annotations", "annotate")):
        several = getattr(k8s, field)("cm", selector="app=lists")
        assert isinstance(several, pd.DataFrame)
        assert list(several.index.names) == ["Name", "Label" if verb == "label" else "Annotation"]
        mine = {
            f"Listing {field} for ConfigMap./{name}:": {
                f" {key}={value}" for (_, key), value in rows["Value"].items()
            }
            for name, rows in several.groupby(level="Name")
        }
        assert kubectl(verb, "cm", "-l", "app=lists", "--list") == mine
    everything = k8s.labels("cm", all=True)
    assert {"one", "two", "three"} <= set(everything.index.get_level_values("Name"))
    assert k8s.labels("cm/tw*").loc[("two", "app"), "Value"] == "lists"
    assert k8s.get("cm", "json") == before  # nothing written


def test_the_list_magics_return_data_and_refuse_changes_beside_list(
    shell, k8s, core_api, namespace
):
    k8s.apply(MAPS)
    labels = shell.run_line_magic("k8s", "label cm/one --list")
    assert labels.to_dict() == {"app": "lists", "example.com/role": "x", "tier": "front"}
    several = shell.run_line_magic("k8s", "annotate cm -l app=lists --list")
    assert several.loc[("two", "note"), "Value"] == "other"
    with capture_output() as captured:
        result = shell.run_cell("%k8s label cm/one tier=back --overwrite --list")
    assert result.error_in_exec is not None
    assert "--list shows labels and changes nothing" in captured.stdout + captured.stderr
    assert "Traceback" not in captured.stdout + captured.stderr
    assert core_api.read_namespaced_config_map("one", namespace).metadata.labels["tier"] == "front"
    with capture_output() as captured:
        shell.run_cell("%k8s annotate cm --list")
    assert "would act on every ConfigMap" in captured.stdout + captured.stderr
