"""Paths of the cluster tree: `/namespaces/<ns>/<kind>/<name>[/<sub>...]`, `/<kind>/<name>`.

Pure functions: text in, `Location` out; the only outside knowledge is a kind lookup (from
discovery), so every rule here is unit-tested without a cluster. A location is canonical
(kinds by plural, group-qualified when the bare plural means another kind), which is what
`pwd` shows and what error messages quote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from kjupyter.cluster.kinds import Kind, Name, Namespace
from kjupyter.errors import BadPath

GLOB_CHARS = frozenset("*?[")
# Kinds whose objects select pods with `spec.selector`: `<path>/pods` lists those pods.
POD_OWNERS = frozenset(
    {
        ("apps", "deployments"),
        ("apps", "replicasets"),
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
        ("batch", "jobs"),
        ("", "replicationcontrollers"),
        ("", "services"),
    }
)
# Sub-resources that are actions, not something to read.
_ACTION_SUBRESOURCES = frozenset(
    {"exec", "attach", "portforward", "proxy", "binding", "eviction", "token"}
)
_NAMESPACE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_BAD_NAME_CHARS = re.compile(r"[\s%\\\x00-\x1f\x7f]")


class Level(Enum):
    """What a location is: where `ls` and `cat` differ in what they do."""

    ROOT = "root"  # `/`: the cluster-scoped kinds and `namespaces`
    NAMESPACE = "namespace"  # `/namespaces/<ns>`: the namespaced kinds
    KIND = "kind"  # a collection: `/namespaces/<ns>/pods`, `/nodes`
    MATCH = "match"  # a glob over names: `/namespaces/<ns>/pods/web-*`
    OBJECT = "object"  # one object, possibly with a sub-path (`log`, `containers/<c>`)


class KindLookup(Protocol):
    """What `resolve` needs from discovery."""

    def lookup(self, word: str) -> Kind: ...

    def get(self, word: str) -> Kind | None: ...


@dataclass(frozen=True)
class Location:
    """A resolved path. `namespace=None` with a namespaced kind never happens here."""

    path: str
    level: Level
    namespace: Namespace | None = None
    kind: Kind | None = None
    name: Name | None = None
    sub: tuple[str, ...] = ()

    @property
    def is_glob(self) -> bool:
        return self.level is Level.MATCH


def normalize(path: str, cwd: str, home: str) -> list[str]:
    """Absolute segments of `path` seen from `cwd`: `~`, `.`, `..` and `//` resolved."""
    if path.startswith("~"):
        if path not in ("~",) and not path.startswith("~/"):
            raise BadPath(f"{path!r}: `~` means the context's namespace; write `~/...`")
        path = f"/namespaces/{home}" + path[1:]
    elif not path.startswith("/"):
        path = cwd.rstrip("/") + "/" + path
    segments: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if segments:
                segments.pop()
            continue
        segments.append(part)
    return segments


def has_dots(path: str) -> bool:
    """Whether `path` names its target through `.` or `..` (or is empty: the current one)."""
    return path.strip() == "" or any(part in (".", "..") for part in path.split("/"))


def resolve(path: str, cwd: str, home: str, kinds: KindLookup) -> Location:
    """Resolve `path` (absolute, relative, `~`) to a `Location`, or raise one-line `BadPath`."""
    segments = normalize(path, cwd, home)
    if not segments:
        return Location("/", Level.ROOT)
    kind = kinds.lookup(segments[0])
    if kind.group == "" and kind.plural == "namespaces":
        return _in_namespaces(kind, segments[1:], kinds)
    if kind.namespaced:
        raise BadPath(
            f"{kind.plural} are namespaced: write /namespaces/<namespace>/{kind.plural} "
            f"or ~/{kind.plural} (path {path!r})"
        )
    return _below_kind(kind, None, segments[1:], "", kinds)


def _in_namespaces(namespaces: Kind, rest: list[str], kinds: KindLookup) -> Location:
    if not rest:
        return Location("/namespaces", Level.KIND, kind=namespaces)
    namespace = rest[0]
    if _is_glob(namespace):
        if len(rest) > 1:
            raise BadPath(f"a glob ({namespace!r}) may only end a path")
        return Location(
            f"/namespaces/{namespace}", Level.MATCH, kind=namespaces, name=Name(namespace)
        )
    if not _NAMESPACE_NAME.fullmatch(namespace) or len(namespace) > 63:
        raise BadPath(f"{namespace!r} is not a namespace name (lower-case letters, digits, '-')")
    prefix = f"/namespaces/{namespace}"
    if len(rest) == 1:
        return Location(prefix, Level.NAMESPACE, namespace=Namespace(namespace))
    kind = kinds.lookup(rest[1])
    if not kind.namespaced:
        raise BadPath(f"{kind.plural} are cluster-scoped: write /{segment(kind, kinds)}")
    return _below_kind(kind, Namespace(namespace), rest[2:], prefix, kinds)


def _below_kind(
    kind: Kind, namespace: Namespace | None, rest: list[str], prefix: str, kinds: KindLookup
) -> Location:
    base = f"{prefix}/{segment(kind, kinds)}"
    if not rest:
        return Location(base, Level.KIND, namespace=namespace, kind=kind)
    name, sub = rest[0], tuple(rest[1:])
    if _BAD_NAME_CHARS.search(name) or len(name) > 253:
        raise BadPath(f"{name!r} is not a valid object name")
    if _is_glob(name):
        if sub:
            raise BadPath(f"a glob ({name!r}) may only end a path")
        return Location(
            f"{base}/{name}", Level.MATCH, namespace=namespace, kind=kind, name=Name(name)
        )
    _check_sub(kind, name, sub)
    path = "/".join((base, name, *sub))
    return Location(path, Level.OBJECT, namespace=namespace, kind=kind, name=Name(name), sub=sub)


def _check_sub(kind: Kind, name: str, sub: tuple[str, ...]) -> None:
    """Sub-paths that make sense: a pod's `log` and `containers/<c>[/log]`, an owner's `pods`."""
    if not sub:
        return
    is_pod = kind.group == "" and kind.plural == "pods"
    if is_pod and (
        sub in (("log",), ("containers",))
        or (len(sub) == 2 and sub[0] == "containers")
        or (len(sub) == 3 and sub[0] == "containers" and sub[2] == "log")
    ):
        return
    if sub == ("pods",) and (kind.group, kind.plural) in POD_OWNERS:
        return
    if len(sub) == 1 and sub[0] in kind.subresources and sub[0] not in _ACTION_SUBRESOURCES:
        return
    offered = []
    if is_pod:
        offered += ["log", "containers", "containers/<name>", "containers/<name>/log"]
    if (kind.group, kind.plural) in POD_OWNERS:
        offered.append("pods")
    offered += [s for s in kind.subresources if s not in _ACTION_SUBRESOURCES and s != "log"]
    hint = f"; {kind.plural} have: {', '.join(offered)}" if offered else ""
    raise BadPath(f"{kind.plural}/{name} has no {'/'.join(sub)!r}{hint}")


def segment(kind: Kind, kinds: KindLookup) -> str:
    """The plural, or `plural.group` when the bare plural names another kind."""
    if kinds.get(kind.plural) == kind:
        return kind.plural
    if kinds.get(kind.qualified) == kind:
        return kind.qualified
    return f"{kind.plural}.{kind.version}.{kind.group}" if kind.group else kind.plural


def _is_glob(word: str) -> bool:
    return any(char in GLOB_CHARS for char in word)


def split_for_completion(prefix: str) -> tuple[str, str]:
    """`/namespaces/def` -> (`/namespaces/`, `def`): the directory to list, the start to match."""
    head, sep, tail = prefix.rpartition("/")
    return (head + sep, tail)
