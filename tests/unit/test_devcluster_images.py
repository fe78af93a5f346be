"""The local cluster's images build from an empty home (what a new machine has)."""

from __future__ import annotations

import tarfile

from tools.devcluster import images, layout


def test_pause_image_builds_in_a_home_that_has_no_images_folder_yet(tmp_path):
    lay = layout.Layout.under(tmp_path / "empty-home")
    archive = images.pause_image(lay)
    assert archive.parent == lay.images
    with tarfile.open(archive) as tar:
        assert "index.json" in tar.getnames()
    assert not list(lay.images.glob("*.partial*"))


def test_binaries_are_kept_outside_the_home_by_default(monkeypatch, tmp_path):
    monkeypatch.setenv("KJUPYTER_DEVCLUSTER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KJUPYTER_DEVCLUSTER_BIN", raising=False)
    lay = layout.Layout.default()
    assert lay.home == tmp_path / "home"
    assert not lay.bin.is_relative_to(lay.home)  # an empty home keeps the Go build's output
