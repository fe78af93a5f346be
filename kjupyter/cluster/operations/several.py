"""Several kinds at once, as kubectl's `get pods,svc` and `get all` (a category) list them.

One table per kind (their columns differ), kept in kubectl's order, shown one after another
under the kind's name. A kind listed in a category but empty here is left out, as kubectl
leaves it out; a word that is neither a kind nor a category is the one-line `BadPath`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from kjupyter.cluster import paths
from kjupyter.errors import BadPath

if TYPE_CHECKING:
    from kjupyter.cluster.handle import ClusterHandle as Cluster


def expand(cluster: Cluster, path: str) -> list[str] | None:
    """The one-kind paths `path` stands for (`pods,svc`, `all`), or None for a plain path."""
    if not isinstance(path, str):
        return None
    head, sep, last = path.rstrip("/").rpartition("/")
    words = [w for w in last.split(",") if w]
    if not words or (len(words) == 1 and (cluster.discovery.get(words[0]) is not None
                                          or not _category(cluster, words[0]))):  # fmt: skip
        return None
    from kjupyter.cluster.paths import Level

    try:  # only where a kind goes: `pods/all` is a pod named all
        where = cluster.resolve(f"{head}{sep}" if sep else ".")
    except BadPath:
        return None
    if where.level not in (Level.ROOT, Level.NAMESPACE):
        return None
    found: list[str] = []
    for word in words:
        if cluster.discovery.get(word) is not None:
            kinds = [cluster.discovery.lookup(word)]
        else:
            kinds = _category(cluster, word)
            if not kinds:
                raise BadPath(f"{word!r} is neither a kind nor a category here (ls / lists kinds)")
        for kind in kinds:
            one = f"{head}{sep}{paths.segment(kind, cluster.discovery)}"
            if one not in found:
                found.append(one)
    return found


def _category(cluster: Cluster, word: str) -> list[Any]:
    return [k for k in cluster.discovery.catalog.preferred() if word in k.categories]


class Tables(Mapping[str, Any]):
    """Tables by kind (`pods`, `services`...): index it like a dict; it shows each table."""

    def __init__(self, frames: dict[str, Any]) -> None:
        self._frames = frames

    def __getitem__(self, kind: str) -> Any:
        return self._frames[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self._frames)

    def __len__(self) -> int:
        return len(self._frames)

    def text(self) -> str:
        parts = [f"{kind}:\n{frame.to_string()}" for kind, frame in self._frames.items()]
        return "\n\n".join(parts) or "No resources found"

    def __repr__(self) -> str:
        return self.text()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.text())

    def _repr_html_(self) -> str:
        import html

        parts = [
            f"<h4>{html.escape(kind)}</h4>{frame.to_html()}" for kind, frame in self._frames.items()
        ]
        return "".join(parts) or "No resources found"
