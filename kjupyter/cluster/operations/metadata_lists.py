"""`kubectl label --list` / `annotate --list`: an object's labels or annotations, as data.

kubectl prints `KEY=VALUE` lines (under `Listing labels for Kind.group/name:` when the
command reached several objects); here one named object gives a Series indexed by key, and
several (a glob, `-l`, `--all`) a DataFrame indexed by (Name, key). Nothing is written: kubectl
lists the changes given beside `--list` without writing them, which reads as if they were
made, so changes and `--list` together are refused here.
"""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any

from kjupyter.cluster.operations import listing
from kjupyter.cluster.operations.changing import targets
from kjupyter.cluster.operations.getting import get_object
from kjupyter.cluster.paths import Level, Location

if TYPE_CHECKING:
    import pandas as pd

    from kjupyter.cluster.handle import ClusterHandle as Cluster

HEADINGS = {"labels": "Label", "annotations": "Annotation"}


def listed(
    cluster: Cluster,
    location: Location,
    *,
    field: str,
    all_: bool = False,
    selector: str | None = None,
) -> pd.Series | pd.DataFrame:
    """The `field` (labels or annotations) of the object(s) at `location`, sorted by key."""
    import pandas as pd

    verb = f"{'label' if field == 'labels' else 'annotate'} --list"
    heading = HEADINGS[field]
    kind, namespace, chosen = targets(cluster, location, all_=all_, selector=selector, verb=verb)
    if location.level in (Level.OBJECT, Level.NAMESPACE):  # one object, named: a Series
        pairs = _pairs(get_object(cluster, location), field)
        shown = pd.Series(dict(sorted(pairs.items())), dtype=object)
        shown.name, shown.index.name = f"{kind.plural}/{chosen[0]}", heading
        return shown
    wanted = set(chosen)
    found = [
        obj for obj in listing.objects(cluster, kind, namespace, selector)
        if obj["metadata"]["name"] in wanted
        and (location.level is not Level.MATCH
             or fnmatch.fnmatchcase(obj["metadata"]["name"], location.name or "*"))
    ]  # fmt: skip
    rows = [
        {"Name": obj["metadata"]["name"], heading: key, "Value": value}
        for obj in sorted(found, key=lambda o: o["metadata"]["name"])
        for key, value in sorted(_pairs(obj, field).items())
    ]
    return pd.DataFrame(rows, columns=["Name", heading, "Value"]).set_index(["Name", heading])


def _pairs(obj: dict[str, Any], field: str) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get(field) or {})
