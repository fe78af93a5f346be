"""Path parsing: every spelling of a kind, `~`, `.`, `..`, globs and sub-paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kjupyter.cluster import paths
from kjupyter.cluster.discovery import Catalog, kinds_from_aggregated
from kjupyter.cluster.paths import Level
from kjupyter.errors import BadPath

FIXTURES = Path(__file__).parent / "fixtures"


class Kinds:
    """A discovery stand-in over the recorded discovery documents of a real v1.36 server."""

    def __init__(self) -> None:
        core = json.loads((FIXTURES / "discovery-api.json").read_text())
        groups = json.loads((FIXTURES / "discovery-apis.json").read_text())
        self.catalog = Catalog(kinds_from_aggregated(core) + kinds_from_aggregated(groups))

    def get(self, word):
        return self.catalog.get(word)

    def lookup(self, word):
        found = self.catalog.get(word)
        if found is None:
            raise BadPath(f"unknown kind {word!r}")
        return found


@pytest.fixture(scope="module")
def kinds() -> Kinds:
    return Kinds()


def resolve(path: str, kinds: Kinds, cwd: str = "/namespaces/default"):
    return paths.resolve(path, cwd, "home", kinds)


@pytest.mark.parametrize(
    ("path", "cwd", "expected"),
    [
        ("/", "/", []),
        (".", "/namespaces/a", ["namespaces", "a"]),
        ("..", "/namespaces/a", ["namespaces"]),
        ("../..", "/namespaces/a", []),
        ("../../../..", "/namespaces/a", []),
        ("pods/web", "/namespaces/a", ["namespaces", "a", "pods", "web"]),
        ("./pods//web/", "/namespaces/a", ["namespaces", "a", "pods", "web"]),
        ("../b/pods", "/namespaces/a", ["namespaces", "b", "pods"]),
        ("~", "/", ["namespaces", "home"]),
        ("~/pods", "/nodes", ["namespaces", "home", "pods"]),
        ("/nodes/n1", "/namespaces/a", ["nodes", "n1"]),
    ],
    ids=lambda v: repr(v),
)
def test_normalize(path, cwd, expected):
    assert paths.normalize(path, cwd, "home") == expected


def test_tilde_user_is_rejected():
    with pytest.raises(BadPath, match="~"):
        paths.normalize("~bob/pods", "/", "home")


@pytest.mark.parametrize(
    "word",
    ["pods", "pod", "po", "Pod", "POD", "pods.v1", "pods."],
)
def test_core_kind_spellings(kinds, word):
    location = resolve(word, kinds)
    assert location.level is Level.KIND
    assert (location.kind.group, location.kind.plural) == ("", "pods")
    assert location.path == "/namespaces/default/pods"


@pytest.mark.parametrize(
    "word",
    [
        "deployments",
        "deployment",
        "deploy",
        "Deployment",
        "deployments.apps",
        "deploy.apps",
        "deployments.v1.apps",
    ],
)
def test_group_kind_spellings(kinds, word):
    location = resolve(f"{word}/web", kinds)
    assert location.level is Level.OBJECT
    assert (location.kind.group, location.kind.plural) == ("apps", "deployments")
    assert location.name == "web"
    assert location.path == "/namespaces/default/deployments/web"


def test_clash_prefers_core_and_qualified_names_the_other(kinds):
    assert resolve("events", kinds).kind.group == ""
    other = resolve("events.events.k8s.io", kinds)
    assert other.kind.group == "events.k8s.io"
    assert other.path == "/namespaces/default/events.events.k8s.io"


def test_root_and_namespaces(kinds):
    assert resolve("/", kinds).level is Level.ROOT
    listing = resolve("/namespaces", kinds)
    assert listing.level is Level.KIND and listing.kind.plural == "namespaces"
    assert resolve("/ns", kinds).path == "/namespaces"
    namespace = resolve("/namespaces/kube-system", kinds)
    assert namespace.level is Level.NAMESPACE and namespace.namespace == "kube-system"
    assert resolve("~", kinds).path == "/namespaces/home"


def test_cluster_scoped(kinds):
    node = resolve("/nodes/node-1", kinds)
    assert node.level is Level.OBJECT and node.namespace is None and node.name == "node-1"
    assert resolve("/clusterroles", kinds).kind.group == "rbac.authorization.k8s.io"
    assert resolve("/crd", kinds).kind.plural == "customresourcedefinitions"


def test_namespaced_kind_at_root_says_where_it_lives(kinds):
    with pytest.raises(BadPath, match=r"pods are namespaced.*~/pods"):
        resolve("/pods", kinds)


def test_cluster_kind_in_namespace_says_where_it_lives(kinds):
    with pytest.raises(BadPath, match="nodes are cluster-scoped: write /nodes"):
        resolve("/namespaces/default/nodes", kinds)


def test_unknown_kind(kinds):
    with pytest.raises(BadPath, match="unknown kind 'bogons'"):
        resolve("bogons", kinds)


def test_relative_from_root_needs_namespace(kinds):
    with pytest.raises(BadPath, match="namespaced"):
        resolve("pods", kinds, cwd="/")


@pytest.mark.parametrize("name", ["web-*", "w?b", "[ab]*"])
def test_globs(kinds, name):
    location = resolve(f"pods/{name}", kinds)
    assert location.level is Level.MATCH and location.is_glob and location.name == name


def test_glob_must_end_the_path(kinds):
    with pytest.raises(BadPath, match="may only end"):
        resolve("pods/web-*/log", kinds)


def test_namespace_glob(kinds):
    location = resolve("/namespaces/kube-*", kinds)
    assert location.level is Level.MATCH and location.kind.plural == "namespaces"


@pytest.mark.parametrize(
    ("path", "sub"),
    [
        ("pods/web/log", ("log",)),
        ("pods/web/containers", ("containers",)),
        ("pods/web/containers/app", ("containers", "app")),
        ("pods/web/containers/app/log", ("containers", "app", "log")),
        ("deploy/web/pods", ("pods",)),
        ("sts/db/pods", ("pods",)),
        ("svc/web/pods", ("pods",)),
        ("jobs/train/pods", ("pods",)),
        ("deploy/web/scale", ("scale",)),
        ("deploy/web/status", ("status",)),
    ],
)
def test_sub_paths(kinds, path, sub):
    location = resolve(path, kinds)
    assert location.level is Level.OBJECT and location.sub == sub


@pytest.mark.parametrize(
    "path", ["pods/web/exec", "configmaps/x/pods", "pods/web/nonsense", "deploy/web/log"]
)
def test_bad_sub_paths_list_the_good_ones(kinds, path):
    with pytest.raises(BadPath, match="has no"):
        resolve(path, kinds)


@pytest.mark.parametrize("namespace", ["UPPER", "under_score", "-dash", "a" * 64])
def test_bad_namespace_names(kinds, namespace):
    with pytest.raises(BadPath, match="not a namespace name"):
        resolve(f"/namespaces/{namespace}/pods", kinds)


@pytest.mark.parametrize("name", ["a b", "100%", "tab\there", "x" * 254])
def test_bad_object_names(kinds, name):
    with pytest.raises(BadPath, match="not a valid object name"):
        resolve(f"pods/{name}", kinds)


def test_kind_urls(kinds):
    pods = kinds.lookup("pods")
    assert pods.url() == "/api/v1/pods"
    assert pods.url("ns") == "/api/v1/namespaces/ns/pods"
    assert pods.url("ns", "web", "log") == "/api/v1/namespaces/ns/pods/web/log"
    deploy = kinds.lookup("deploy")
    assert deploy.url("ns", "web", "scale") == "/apis/apps/v1/namespaces/ns/deployments/web/scale"
    assert kinds.lookup("nodes").url("ignored", "n1") == "/api/v1/nodes/n1"
    assert pods.url("ns", "we/ird") == "/api/v1/namespaces/ns/pods/we%2Fird"


def test_split_for_completion():
    assert paths.split_for_completion("/namespaces/def") == ("/namespaces/", "def")
    assert paths.split_for_completion("po") == ("", "po")
    assert paths.split_for_completion("pods/") == ("pods/", "")


@pytest.mark.parametrize(
    ("path", "dotted"),
    [(".", True), ("..", True), ("../cm/x", True), ("", True), ("cm/x", False),
     ("/namespaces/a", False), ("cm/x.y", False), ("~", False)],
)  # fmt: skip
def test_has_dots(path, dotted):
    assert paths.has_dots(path) is dotted


@pytest.mark.parametrize(
    ("path", "cwd", "dotted", "reason"),
    [
        ("..", "/namespaces/a/configmaps", True, "namespaces are deleted"),
        (".", "/namespaces/a", True, "namespaces are deleted"),
        ("/namespaces/kjt-*", "/", False, "namespaces are deleted"),
        ("/clusterroles/view", "/", False, "cluster-scoped"),
        ("cm/tmp-*", "/namespaces/a", False, "glob"),
        (".", "/namespaces/a/configmaps/x", True, "current directory"),
        ("cm/x", "/namespaces/a", False, None),
    ],
)
def test_deletes_that_need_confirmation(kinds, path, cwd, dotted, reason):
    from kjupyter.cluster.operations import changing

    location = resolve(path, kinds, cwd)
    if location.level is Level.NAMESPACE:
        kind, namespace = kinds.lookup("namespaces"), None
    else:
        kind, namespace = location.kind, location.namespace
    found = changing.confirmation_reason(location, kind, namespace, dotted)
    assert (found is None) if reason is None else (reason in found)
