"""The pure parts of the safe changes (issue 10, item 5): patches, KEY=VALUE/KEY- words,
images per container, the diff's masking of Secrets, and their verbs' completion."""

from __future__ import annotations

import pytest

from kjupyter.cluster.operations import diffing, editing
from kjupyter.errors import BadArgument


@pytest.mark.parametrize(
    ("given", "patch_type", "expected"),
    [
        ('{"spec": {"replicas": 2}}', "strategic", {"spec": {"replicas": 2}}),
        ("spec: {replicas: 2}", "merge", {"spec": {"replicas": 2}}),
        ({"metadata": {"labels": {"a": None}}}, "merge", {"metadata": {"labels": {"a": None}}}),
        ('[{"op": "remove", "path": "/x"}]', "json", [{"op": "remove", "path": "/x"}]),
    ],
    ids=["json-text", "yaml-text", "dict", "json-patch"],
)
def test_a_patch_is_read_from_json_yaml_or_data(given, patch_type, expected):
    assert editing.parse_patch(given, patch_type) == expected


@pytest.mark.parametrize(
    ("given", "patch_type", "message"),
    [
        ("{}", "strategic", "a strategic patch is a mapping"),
        ('{"spec": 1}', "json", "a json patch is a list of operations"),
        ('[{"op": "frob", "path": "/x"}]', "json", "operation 1 needs op"),
        ('[{"op": "add"}]', "json", "operation 1 needs a path"),
        ("{a: [", "merge", "neither JSON nor YAML"),
        ({"a": 1}, "apply", "strategic, merge or json"),
        ("[1, 2]", "merge", "a merge patch is a mapping"),
    ],
)
def test_a_bad_patch_is_one_line_before_anything_is_sent(given, patch_type, message):
    with pytest.raises(BadArgument, match=message) as refused:
        editing.parse_patch(given, patch_type)
    assert "\n" not in str(refused.value)


def test_label_words_set_and_remove():
    assert editing.parse_changes(["a=1", "b-", "example.com/c=", "d=x=y"], "label") == {
        "a": "1", "b": None, "example.com/c": "", "d": "x=y"
    }  # fmt: skip
    assert editing.parse_changes({"a": "1", "b": None}, "label") == {"a": "1", "b": None}
    assert editing.parse_changes(["a=1", "a=1"], "label") == {"a": "1"}


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["bare"], "write KEY=VALUE to set, KEY- to remove"),
        ([], "no labels given"),
        (["a=1", "a-"], "both set and removed"),
        (["-x=1"], "key '-x' is not valid"),
        (["Not_A.Domain/x=1"], "is not valid"),
        (["a/b/c=1"], "is not valid"),
        ([f"{'k' * 64}=1"], "is not valid"),
    ],
)
def test_bad_label_words_are_refused(words, message):
    with pytest.raises(BadArgument, match=message):
        editing.parse_changes(words, "label")


def test_images_go_to_named_containers_or_to_all():
    spec = {
        "initContainers": [{"name": "setup", "image": "busybox:1"}],
        "containers": [{"name": "app", "image": "nginx:1"}, {"name": "side", "image": "e:1"}],
    }
    patch, changed = editing._image_changes(spec, {"app": "nginx:2"}, "deployments/web")
    assert patch == {"containers": [{"name": "app", "image": "nginx:2"}]} and changed
    patch, changed = editing._image_changes(spec, {"*": "x:1", "side": "e:1"}, "deployments/web")
    assert patch == {
        "initContainers": [{"name": "setup", "image": "x:1"}],
        "containers": [{"name": "app", "image": "x:1"}, {"name": "side", "image": "e:1"}],
    }
    assert editing._image_changes(spec, {"app": "nginx:1"}, "deployments/web")[1] is False
    with pytest.raises(BadArgument, match=r"has no container web \(its containers: setup, app"):
        editing._image_changes(spec, {"app": "n:2", "web": "n:2"}, "deployments/web")


@pytest.mark.parametrize("words", [["nginx"], ["=nginx"], ["app="], []])
def test_bad_image_words_are_refused(words):
    with pytest.raises(BadArgument, match=r"CONTAINER=IMAGE|name a container and an image"):
        editing._parse_images(words)


def test_a_secret_diff_masks_every_value_and_marks_what_differs():
    live = {"kind": "Secret", "metadata": {"name": "t", "managedFields": [{}]},
            "data": {"same": "czE=", "changed": "b2xk", "gone": "eA=="}}  # fmt: skip
    merged = {"kind": "Secret", "metadata": {"name": "t", "managedFields": [{}]},
              "data": {"same": "czE=", "changed": "bmV3", "new": "eQ=="}}  # fmt: skip
    before, after = diffing._masked(live, merged)
    assert before == {
        "kind": "Secret",
        "metadata": {"name": "t"},
        "data": {"same": "***", "changed": "*** (before)", "gone": "***"},
    }
    assert after["data"] == {"same": "***", "changed": "*** (after)", "new": "***"}
    assert "managedFields" not in after["metadata"]
    assert diffing._masked(None, merged)[0] is None


def test_diff_yaml_sorts_keys_as_kubectl_writes_them():
    assert diffing._yaml({"kind": "ConfigMap", "data": {"b": "1", "a": "2"}}) == (
        "data:\n  a: '2'\n  b: '1'\nkind: ConfigMap\n"
    )
    assert diffing._yaml(None) == ""
    assert repr(diffing.Diff("", [])) == "" and diffing.Diff("x", ["cm/a"]).changed == ["cm/a"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("%k8s rollout ", ["history", "pause", "restart", "resume", "status", "undo"]),
        ("%k8s rollout u", ["undo"]),
        ("%k8s set ", ["image"]),
        ("%k8s rollout undo deploy/web --to", ["--to-revision"]),
        ("%k8s patch deploy/web --ty", ["--type"]),
        ("%k8s label pods/x --over", ["--overwrite"]),
        ("%k8s diff --for", ["--force-conflicts"]),
    ],
)
def test_the_new_verbs_complete_actions_and_flags(line, expected):
    from kjupyter.magics import dispatch, verbs

    assert dispatch.complete(verbs.MagicContext(), line) == expected


def test_port_forward_ports_as_kubectl_writes_them():
    from kjupyter.cluster.operations import forwarding

    assert forwarding.parse_ports(["8080:80", "80", ":80", "http", "0:http"]) == [
        (8080, "80"), (80, "80"), (0, "80"), (forwarding.SAME, "http"), (0, "http")
    ]  # fmt: skip
    for bad in ("x:80", "-1:80", "70000:80", "8080:", "8080:0", ""):
        with pytest.raises(BadArgument, match="port-forward: "):
            forwarding.parse_ports([bad])
    with pytest.raises(BadArgument, match="needs ports"):
        forwarding.parse_ports([])


def _tar(*members: tuple[str, bytes, bytes]) -> bytes:
    """A tar stream of (name, kind, content): kind b"f" a file, b"l" a symlink to content."""
    import io
    import tarfile

    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w") as archive:
        for name, kind, content in members:
            info = tarfile.TarInfo(name)
            if kind == b"l":
                info.type, info.linkname = tarfile.SYMTYPE, content.decode()
                archive.addfile(info)
            else:
                info.size = len(content)
                archive.addfile(info, io.BytesIO(content))
    return packed.getvalue()


def test_cp_unpacks_under_the_local_name_and_refuses_what_leaves_it(tmp_path):
    from kjupyter.cluster.operations import copying
    from kjupyter.errors import ApiError

    data = _tar(("dir/a.txt", b"f", b"alpha"), ("dir/sub/b", b"f", b"beta"))
    members = copying.unpack(data, "dir", tmp_path / "here", "pods/p")
    assert (tmp_path / "here" / "sub" / "b").read_bytes() == b"beta" and len(members) == 2
    for hostile, message in (
        (_tar(("dir/../../evil", b"f", b"x")), "outside|cannot unpack"),
        (_tar(("other/x", b"f", b"x")), "outside 'dir'"),
        (_tar(("dir/link", b"l", b"/etc/passwd")), "cannot unpack"),
        (b"not a tar stream at all" * 40, "no tar stream"),
    ):
        with pytest.raises(ApiError, match=message):
            copying.unpack(hostile, "dir", tmp_path / "out", "pods/p")
    assert not (tmp_path.parent / "evil").exists()


def test_a_label_change_patches_only_what_differs_an_empty_value_included():
    have = {"a": "1", "b": "2"}
    assert editing.missing(have, {"a": "1", "b": None, "c": "", "d": None}) == {"b": None, "c": ""}
    assert editing.missing(have, {"a": "1"}) == {}
