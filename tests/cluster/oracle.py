"""kubectl as the oracle: its tables read back into cells, and kjupyter's frames rendered as
kubectl would print them, so the two can be compared cell by cell (issue 10).

kubectl prints with a tabwriter: every cell of a column starts where its heading starts, and
headings are separated by at least three spaces (a heading may hold one: `LAST SEEN`), so the
columns are cut at the headings' starts. kjupyter's typed values go back to kubectl's text:
booleans compare without case (the server's CronJob printer says "True", a JSON boolean
prints "false"), an instant as RFC 3339, a count with its "(5m ago)" kept in `Last Restart`.
Durations tick between the two listings: for those only presence is compared (ages aside).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from typing import Any

import pandas as pd

_HEADING = re.compile(r"\S+(?: \S+)*")
MISSING = frozenset({"<none>", "<unknown>", "<invalid>", ""})


def kubectl(binary: str, kubeconfig: str, *args: str) -> str:
    """kubectl's stdout; its failure is the test's failure, with what it said."""
    done = subprocess.run(
        [binary, "--kubeconfig", kubeconfig, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"kubectl {' '.join(args)}: {done.stderr.strip()}"
    return done.stdout


def parse_table(text: str) -> tuple[list[str], list[list[str]]]:
    """(headings, rows of cells) of kubectl's human-readable table; empty when it found none."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return [], []
    header = lines[0]
    found = list(_HEADING.finditer(header))
    starts = [m.start() for m in found] + [None]
    headings = [m.group(0) for m in found]
    rows = [
        [line[starts[i] : starts[i + 1]].strip() for i in range(len(headings))]
        for line in lines[1:]
    ]
    return headings, rows


@dataclass(frozen=True)
class Rendered:
    """kjupyter's frame as kubectl's table: headings, and rows of comparable cells."""

    headings: list[str]
    rows: dict[tuple[str, ...], list[Any]]  # key: the index (namespace, name) or (name,)


_AGO = re.compile(r"(\d+) \((\S+) ago\)")
_DURATION = re.compile(r"\b(\d+[ydhms])+\b")


def _steady(row: list[str]) -> tuple[str, ...]:
    """A row with its durations blanked: ages tick between two listings, other cells not."""
    return tuple(_DURATION.sub("~", cell) for cell in row)


def render(frame: pd.DataFrame) -> Rendered:
    """The frame's headings as kubectl spells them and each cell as a comparable value."""
    names = list(frame.index.names)
    columns = list(frame.columns)
    headings = [str(n).upper() for n in names]
    counts = [c for c in columns if str(frame[c].dtype) == "Int64"]
    derived = {
        f"Last {c[:-1] if c.endswith('s') else c}": c
        for c in counts
        if f"Last {c[:-1] if c.endswith('s') else c}" in columns
    }
    kept = [c for c in columns if c not in derived]  # kubectl prints it in the count
    headings += [str(c).upper() for c in kept]
    last_of = {count: last for last, count in derived.items()}
    rows: dict[tuple[str, ...], list[Any]] = {}
    for key, row in frame.iterrows():
        key_tuple = key if isinstance(key, tuple) else (key,)
        cells: list[Any] = [str(k) for k in key_tuple]
        for column in kept:
            last = last_of.get(column)
            cells.append(Cell(row[column], frame[column].dtype, row[last] if last else None))
        rows[tuple(str(k) for k in key_tuple)] = cells
    return Rendered(headings, rows)


@dataclass(frozen=True)
class Cell:
    """One typed kjupyter value, equal to kubectl's text when it says the same thing."""

    value: Any
    dtype: Any
    last: Any = None  # the "(5m ago)" beside a count

    def matches(self, text: str) -> bool:
        value, kind = self.value, getattr(self.dtype, "kind", "O")
        missing = value is None or (not isinstance(value, (list, dict)) and pd.isna(value))
        if missing:
            return text in MISSING
        if kind == "m":  # a duration: it ticks between the listings
            return text not in MISSING
        if kind == "M" or isinstance(value, pd.Timestamp):
            return value.strftime("%Y-%m-%dT%H:%M:%SZ") == text
        if isinstance(value, (bool,)) or str(self.dtype) == "boolean":
            return str(bool(value)).lower() == text.lower()
        if str(self.dtype) in ("Int64", "int64"):
            match = _AGO.fullmatch(text)
            if match:
                return int(match.group(1)) == int(value) and not pd.isna(self.last)
            return text == str(int(value)) and (self.last is None or pd.isna(self.last))
        if kind == "f":
            try:
                return float(text) == float(value)
            except ValueError:
                return False
        return str(value) == text

    def __repr__(self) -> str:
        return f"{self.value!r}" + (f" (last {self.last})" if self.last is not None else "")


def compare(
    kubectl_text: str, kubectl_again: str, frame: pd.DataFrame, key_width: int = 1
) -> list[str]:
    """What differs between kubectl's table and kjupyter's frame, one line each.

    `kubectl_again` is kubectl's listing taken after kjupyter's: a row that changed between
    kubectl's two listings is churn (another test's namespace going, a pod starting) and is
    not compared; every other row must be in both, cell for cell. kjupyter indexes every
    table by name: where kubectl prints the name last (events, wide) it is moved first, and
    where it hides it (events) rows are matched on their other cells.
    """
    headings, rows = parse_table(kubectl_text)
    again_headings, rows_again = parse_table(kubectl_again)
    rendered = render(frame)
    if not headings:  # "No resources found" (on stderr)
        return [f"kjupyter shows {len(rendered.rows)} rows, kubectl none"] if rendered.rows else []
    headings, rows = _name_first(headings, rows, key_width)
    _, rows_again = _name_first(again_headings, rows_again, key_width)
    if headings != rendered.headings:
        if headings == rendered.headings[key_width:]:
            return _compare_unnamed(headings, rows, rows_again, rendered, key_width)
        return [f"headings: kubectl {headings}, kjupyter {rendered.headings}"]
    again = {_steady(r) for r in rows_again}
    stable = {tuple(r[:key_width]): r for r in rows if _steady(r) in again}
    changed = {tuple(r[:key_width]) for r in rows + rows_again} - set(stable)
    problems = []
    for key, cells in stable.items():
        mine = rendered.rows.get(key)
        if mine is None:
            problems.append(f"row {key}: kubectl shows it, kjupyter does not")
            continue
        problems += [
            f"row {key} {heading}: kubectl {text!r}, kjupyter {value!r}"
            for heading, text, value in zip(headings, cells, mine, strict=True)
            if not _same(value, text)
        ]
    for key in set(rendered.rows) - set(stable) - changed:
        problems.append(f"row {key}: kjupyter shows it, kubectl does not")
    return problems


def _same(value: Any, text: str) -> bool:
    return value == text if isinstance(value, str) else value.matches(text)


def _name_first(
    headings: list[str], rows: list[list[str]], key_width: int
) -> tuple[list[str], list[list[str]]]:
    """kubectl's table with its NAME column moved to where kjupyter's index has it."""
    if "NAME" not in headings or headings.index("NAME") == key_width - 1:
        return headings, rows
    at = headings.index("NAME")
    order = [i for i in range(len(headings)) if i != at]
    order.insert(key_width - 1, at)
    return [headings[i] for i in order], [[r[i] for i in order] for r in rows]


def _compare_unnamed(
    headings: list[str],
    rows: list[list[str]],
    rows_again: list[list[str]],
    rendered: Rendered,
    key_width: int,
) -> list[str]:
    """kubectl hid the name: each of its steady rows must match one of kjupyter's rows."""
    again = {_steady(r) for r in rows_again}
    mine = [cells[key_width:] for cells in rendered.rows.values()]
    problems = []
    for cells in rows:
        if _steady(cells) not in again:
            continue
        match = next(
            (m for m in mine if all(_same(v, t) for v, t in zip(m, cells, strict=True))), None
        )
        if match is None:
            problems.append(f"row {cells}: kubectl shows it, kjupyter has no such row")
        else:
            mine.remove(match)
    return problems


def seed(image: str) -> str:
    """One object of each common namespaced kind (pods that run, a finished job)."""
    run = {"image": image, "imagePullPolicy": "Never"}
    sleeper = {**run, "name": "app", "command": ["python3", "-c", "import time; time.sleep(3600)"]}
    template = {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"terminationGracePeriodSeconds": 0, "containers": [sleeper]},
    }
    documents: list[dict[str, Any]] = [
        {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "settings"},
         "data": {"colour": "teal", "size": "7"}},
        {"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "token"},
         "stringData": {"token": "not-a-real-one"}},
        {"kind": "ServiceAccount", "apiVersion": "v1", "metadata": {"name": "robot"}},
        {"kind": "Service", "apiVersion": "v1", "metadata": {"name": "web"},
         "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}},
        {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": {"name": "web"},
         "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                  "template": template}},
        {"kind": "StatefulSet", "apiVersion": "apps/v1", "metadata": {"name": "db"},
         "spec": {"replicas": 1, "serviceName": "web",
                  "selector": {"matchLabels": {"app": "db"}},
                  "template": {**template, "metadata": {"labels": {"app": "db"}}}}},
        {"kind": "DaemonSet", "apiVersion": "apps/v1", "metadata": {"name": "agent"},
         "spec": {"selector": {"matchLabels": {"app": "agent"}},
                  "template": {**template, "metadata": {"labels": {"app": "agent"}}}}},
        {"kind": "Job", "apiVersion": "batch/v1", "metadata": {"name": "once"},
         "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
             {**run, "name": "job", "command": ["python3", "-c", "print('done')"]}]}}}},
        {"kind": "CronJob", "apiVersion": "batch/v1", "metadata": {"name": "nightly"},
         "spec": {"schedule": "0 3 * * *", "suspend": True, "jobTemplate": {"spec": {
             "template": {"spec": {"restartPolicy": "Never", "containers": [
                 {**run, "name": "job", "command": ["true"]}]}}}}}},
        {"kind": "PersistentVolumeClaim", "apiVersion": "v1", "metadata": {"name": "data"},
         "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                  "storageClassName": "none-here"}},
        {"kind": "LimitRange", "apiVersion": "v1", "metadata": {"name": "limits"},
         "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"}}]}},
        {"kind": "ResourceQuota", "apiVersion": "v1", "metadata": {"name": "quota"},
         "spec": {"hard": {"pods": "20", "configmaps": "30"}}},
        {"kind": "Role", "apiVersion": "rbac.authorization.k8s.io/v1",
         "metadata": {"name": "reader"},
         "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]},
        {"kind": "RoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1",
         "metadata": {"name": "robot-reads"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
         "subjects": [{"kind": "ServiceAccount", "name": "robot"}]},
        {"kind": "NetworkPolicy", "apiVersion": "networking.k8s.io/v1",
         "metadata": {"name": "web-in"},
         "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"]}},
        {"kind": "Ingress", "apiVersion": "networking.k8s.io/v1", "metadata": {"name": "web"},
         "spec": {"rules": [{"host": "web.example", "http": {"paths": [
             {"path": "/", "pathType": "Prefix",
              "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}},
        {"kind": "PodDisruptionBudget", "apiVersion": "policy/v1", "metadata": {"name": "web"},
         "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}},
        {"kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v2",
         "metadata": {"name": "web"},
         "spec": {"minReplicas": 1, "maxReplicas": 3, "scaleTargetRef": {
             "apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}}},
        {"kind": "Lease", "apiVersion": "coordination.k8s.io/v1", "metadata": {"name": "leader"},
         "spec": {"holderIdentity": "me", "leaseDurationSeconds": 30}},
        {"kind": "PodTemplate", "apiVersion": "v1", "metadata": {"name": "shape"},
         "template": template},
        {"kind": "ReplicationController", "apiVersion": "v1", "metadata": {"name": "old"},
         "spec": {"replicas": 0, "selector": {"app": "old"},
                  "template": {**template, "metadata": {"labels": {"app": "old"}}}}},
        {"kind": "CSIStorageCapacity", "apiVersion": "storage.k8s.io/v1",
         "metadata": {"name": "capacity"}, "storageClassName": "none-here",
         "capacity": "10Gi"},
    ]  # fmt: skip
    import json

    return "\n---\n".join(json.dumps(d) for d in documents)


# -- describe: kubectl's headings must be kjupyter's keys -------------------------------------

_DESCRIBED = re.compile(r"^( *)([A-Za-z][\w./()-]*(?: [\w./()-]+)*):(?: |$)")
# Sections kubectl prints as tables: their rows are not headings.
TABLES = frozenset({"Conditions", "Events", "Non-terminated Pods", "Allocated resources"})
# kubectl's generic describer titles an object's own fields ("creationTimestamp" ->
# "Creation Timestamp"); kjupyter keeps the field names a notebook indexes with.
FIELDS = frozenset({"Metadata", "Spec", "Status"})


def describe_headings(text: str) -> list[tuple[str, ...]]:
    """Every heading of `kubectl describe` as its path (`("Containers", "app", "Image")`)."""
    found: list[tuple[str, ...]] = []
    stack: list[tuple[int, str]] = []
    table_at: int | None = None
    for line in text.splitlines():
        match = _DESCRIBED.match(line)
        if not match:
            continue
        indent, name = len(match.group(1)), match.group(2)
        if table_at is not None and indent > table_at:
            continue
        table_at = None
        while stack and stack[-1][0] >= indent:
            stack.pop()
        found.append((*(n for _, n in stack), name))
        stack.append((indent, name))
        if name in TABLES:
            table_at = indent
    return found


def missing_headings(
    text: str, sections: dict[str, Any], known: dict[tuple[str, ...], str]
) -> list[str]:
    """kubectl's heading paths that are not keys of kjupyter's sections (minus `known`)."""
    missing = []
    for path in describe_headings(text):
        if any(path[: len(k)] == k for k in known):
            continue
        value: Any = sections
        for depth, part in enumerate(path):
            if isinstance(value, dict) and part in value:
                value = value[part]
            elif isinstance(value, dict) and path[0] in FIELDS and depth > 0:
                plain = {_plain(k): v for k, v in value.items()}
                if _plain(part) not in plain:
                    missing.append(" > ".join(path))
                    break
                value = plain[_plain(part)]
            else:
                missing.append(" > ".join(path))
                break
    return missing


def _plain(name: Any) -> str:
    return str(name).replace(" ", "").lower()
