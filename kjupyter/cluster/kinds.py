"""What a kind of resource is, as discovery tells it, and how its URLs are built.

One frozen dataclass is the single source of truth for URLs: `paths`, `operations` and the
completer all call `Kind.url` rather than formatting `/apis/...` strings themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NewType
from urllib.parse import quote

Namespace = NewType("Namespace", str)
Name = NewType("Name", str)


@dataclass(frozen=True)
class Kind:
    """One resource of one API group version (`deployments` of `apps/v1`)."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    singular: str = ""
    verbs: tuple[str, ...] = ()
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        """`v1` for the core group, `group/version` otherwise (as manifests spell it)."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """The unambiguous spelling kubectl accepts: `deployments.apps`, `pods`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def url(
        self,
        namespace: Namespace | None = None,
        name: Name | None = None,
        subresource: str | None = None,
    ) -> str:
        """The API path of the collection, an object, or one of its sub-resources.

        `namespace=None` on a namespaced kind means all namespaces (`/api/v1/pods`).
        """
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace is not None:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{quote(name, safe='')}"
            if subresource:
                base += f"/{subresource}"
        return base

    def can(self, verb: str) -> bool:
        """Whether the server serves `verb` on this kind (empty verbs: assume yes)."""
        return not self.verbs or verb in self.verbs
