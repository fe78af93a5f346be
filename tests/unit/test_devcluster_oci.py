"""The OCI archives the test cluster imports: valid layout, digests that match the bytes."""

from __future__ import annotations

import hashlib
import json
import tarfile

from tools.devcluster import oci


def _read(tar: tarfile.TarFile, name: str) -> bytes:
    member = tar.extractfile(name)
    assert member is not None, name
    return member.read()


def test_archive_is_a_valid_image_layout_whose_blobs_match_their_digests(tmp_path):
    tree = tmp_path / "tree"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "mod.py").write_text("X = 1\n")
    layer = oci.layer_from_tree(tree, "usr/lib/site", tmp_path / "layer.tar")
    archive = tmp_path / "image.tar"
    oci.write_archive(archive, "kjupyter.local/test:abc", [layer], cmd=["python3"])

    with tarfile.open(archive) as tar:
        assert json.loads(_read(tar, "oci-layout")) == {"imageLayoutVersion": "1.0.0"}
        index = json.loads(_read(tar, "index.json"))
        (entry,) = index["manifests"]
        assert entry["annotations"]["io.containerd.image.name"] == "kjupyter.local/test:abc"
        assert entry["annotations"]["org.opencontainers.image.ref.name"] == "abc"
        blobs = {
            m.name.rsplit("/", 1)[1]: _read(tar, m.name)
            for m in tar.getmembers()
            if m.name.startswith("blobs/")
        }
    for digest, content in blobs.items():
        assert hashlib.sha256(content).hexdigest() == digest
    manifest = json.loads(blobs[entry["digest"][7:]])
    config = json.loads(blobs[manifest["config"]["digest"][7:]])
    assert config["rootfs"]["diff_ids"] == [layer.digest]
    assert config["config"]["Cmd"] == ["python3"]
    with tarfile.open(layer.path) as layer_tar:
        names = layer_tar.getnames()
    assert "usr/lib/site/pkg/mod.py" in names
    assert {"usr", "usr/lib", "usr/lib/site"} <= set(names)


def test_layers_are_reproducible_so_reimports_are_no_ops(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.txt").write_text("same bytes")
    first = oci.layer_from_tree(tree, "opt", tmp_path / "one.tar")
    (tree / "a.txt").touch()  # a newer mtime must not change the digest
    second = oci.layer_from_tree(tree, "opt", tmp_path / "two.tar")
    assert first.digest == second.digest


def test_symlinks_in_a_file_layer(tmp_path):
    layer = oci.layer_from_files(
        {"usr/local/bin/python": (b"/usr/bin/python3", 0o120777), "pause": (b"\x7fELF", 0o755)},
        tmp_path / "l.tar",
    )
    with tarfile.open(layer.path) as tar:
        link = tar.getmember("usr/local/bin/python")
        assert link.issym() and link.linkname == "/usr/bin/python3"
        assert tar.getmember("pause").mode == 0o755
