"""Every kind the API server serves, CRDs included, and every spelling kubectl accepts for it.

Discovery uses the aggregated endpoint (`/api` and `/apis` with the `APIGroupDiscoveryList`
Accept type: two requests for the whole server) and falls back to the legacy per-group
documents for servers that lack it. The parsed catalog is cached; a word it does not know
triggers one refresh (a CRD installed since), then a `BadPath` listing nothing to guess from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from kjupyter.cluster.kinds import Kind
from kjupyter.errors import BadPath

AGGREGATED_ACCEPT = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
)

Fetch = Callable[[str, str], dict[str, Any]]  # (path, accept) -> parsed JSON


def kinds_from_aggregated(document: dict[str, Any]) -> list[Kind]:
    """Kinds of an `APIGroupDiscoveryList`, preferred version of each group first."""
    kinds: list[Kind] = []
    for group in document.get("items") or []:
        group_name = (group.get("metadata") or {}).get("name", "") or ""
        for version in group.get("versions") or []:
            for res in version.get("resources") or []:
                response_kind = res.get("responseKind") or {}
                kinds.append(
                    Kind(
                        group=group_name,
                        version=version["version"],
                        plural=res["resource"],
                        kind=response_kind.get("kind", ""),
                        namespaced=res.get("scope") == "Namespaced",
                        singular=res.get("singularResource", "") or "",
                        verbs=tuple(res.get("verbs") or ()),
                        short_names=tuple(res.get("shortNames") or ()),
                        subresources=tuple(
                            sub["subresource"] for sub in res.get("subresources") or ()
                        ),
                        categories=tuple(res.get("categories") or ()),
                    )
                )
    return kinds


def kinds_from_resource_list(group: str, version: str, document: dict[str, Any]) -> list[Kind]:
    """Kinds of a legacy `APIResourceList` (`/api/v1`, `/apis/apps/v1`)."""
    resources = document.get("resources") or []
    subresources: dict[str, list[str]] = {}
    for res in resources:
        if "/" in res["name"]:
            parent, sub = res["name"].split("/", 1)
            subresources.setdefault(parent, []).append(sub)
    return [
        Kind(
            group=group,
            version=version,
            plural=res["name"],
            kind=res.get("kind", ""),
            namespaced=bool(res.get("namespaced")),
            singular=res.get("singularName", "") or "",
            verbs=tuple(res.get("verbs") or ()),
            short_names=tuple(res.get("shortNames") or ()),
            subresources=tuple(subresources.get(res["name"], ())),
            categories=tuple(res.get("categories") or ()),
        )
        for res in resources
        if "/" not in res["name"]
    ]


def fetch_kinds(fetch: Fetch) -> list[Kind]:
    """Ask the server for every kind: aggregated discovery, legacy documents as fallback."""
    core = fetch("/api", AGGREGATED_ACCEPT)
    groups = fetch("/apis", AGGREGATED_ACCEPT)
    if core.get("kind") == "APIGroupDiscoveryList" and groups.get("kind") == (
        "APIGroupDiscoveryList"
    ):
        return kinds_from_aggregated(core) + kinds_from_aggregated(groups)
    kinds: list[Kind] = []
    for version in core.get("versions") or ["v1"]:
        kinds += kinds_from_resource_list("", version, fetch(f"/api/{version}", "application/json"))
    for group in groups.get("groups") or []:
        for entry in group.get("versions") or []:
            doc = fetch(f"/apis/{entry['groupVersion']}", "application/json")
            kinds += kinds_from_resource_list(group["name"], entry["version"], doc)
    return kinds


class Catalog:
    """Kinds by every accepted spelling; the first kind registered for a word wins.

    Discovery lists the core group first and then groups in the server's priority order, with
    each group's preferred version first, which is the order kubectl resolves clashes in
    (`events` is core `v1` events, `events.events.k8s.io` the other).
    """

    def __init__(self, kinds: Iterable[Kind]) -> None:
        self.kinds: list[Kind] = list(kinds)
        self._by_word: dict[str, Kind] = {}
        for kind in self.kinds:
            for word in _spellings(kind):
                self._by_word.setdefault(word, kind)

    def get(self, word: str) -> Kind | None:
        """The kind `word` names, or None (no refresh, no error)."""
        return self._by_word.get(word.lower())

    def preferred(self) -> list[Kind]:
        """One kind per (group, plural): the preferred version, in discovery order."""
        seen: set[tuple[str, str]] = set()
        chosen = []
        for kind in self.kinds:
            if (kind.group, kind.plural) not in seen:
                seen.add((kind.group, kind.plural))
                chosen.append(kind)
        return chosen

    def words(self) -> list[str]:
        """Every spelling known, for completion."""
        return list(self._by_word)

    def for_manifest(self, api_version: str, kind_name: str) -> Kind | None:
        """The kind a manifest's `apiVersion` + `kind` name, in exactly that version."""
        group, _, version = api_version.rpartition("/")
        for kind in self.kinds:
            if kind.group == group and kind.version == version and kind.kind == kind_name:
                return kind
        return None


def _spellings(kind: Kind) -> list[str]:
    """`pods`, `pod`, `po`, `Pod`, and with the group: `pods.`, `deployments.apps`,
    `deployments.v1.apps`, `deploy.apps`... (lower-cased, as kubectl matches them)."""
    bare = [kind.plural, kind.singular, kind.kind, *kind.short_names]
    bare = [word.lower() for word in bare if word]
    words = list(bare)
    for word in bare:
        words.append(
            f"{word}.{kind.version}.{kind.group}" if kind.group else f"{word}.{kind.version}"
        )
        words.append(f"{word}.{kind.group}" if kind.group else f"{word}.")
    return words


class Discovery:
    """A `Catalog` fetched lazily, cached, refreshed once when a word is unknown."""

    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch
        self._catalog: Catalog | None = None

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = Catalog(fetch_kinds(self._fetch))
        return self._catalog

    def get(self, word: str) -> Kind | None:
        """The kind `word` names in the cached catalog, or None (no refresh)."""
        return self.catalog.get(word)

    def refresh(self) -> Catalog:
        """Forget the cached kinds (a CRD was installed or removed) and fetch them again."""
        self._catalog = None
        return self.catalog

    def lookup(self, word: str) -> Kind:
        """The kind `word` names; refresh once on a miss; `BadPath` if still unknown."""
        found = self.catalog.get(word)
        if found is None:
            found = self.refresh().get(word)
        if found is None:
            raise BadPath(
                f"unknown kind {word!r}: the API server serves no resource of that name "
                "(`%k8s ls /` lists cluster kinds, `%k8s ls ~` namespaced ones)"
            )
        return found

    def for_manifest(self, api_version: str, kind_name: str) -> Kind:
        """The kind of a manifest document; refresh once on a miss."""
        found = self.catalog.for_manifest(api_version, kind_name)
        if found is None:
            found = self.refresh().for_manifest(api_version, kind_name)
        if found is None:
            raise BadPath(f"the API server serves no kind {kind_name!r} in {api_version!r}")
        return found
