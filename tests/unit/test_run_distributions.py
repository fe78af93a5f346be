"""`installed_versions` keeps a directory's listing only while the directory is unchanged."""

from __future__ import annotations

import os
import sys
import time

from kjupyter.run import distributions


def _age(path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_a_package_installed_after_the_listing_was_kept_is_seen(tmp_path, monkeypatch):
    (tmp_path / "alpha-1.0.dist-info").mkdir()
    _age(tmp_path, 60)  # old enough to be kept
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    assert distributions.installed_versions() == {"alpha": "1.0"}
    assert str(tmp_path) in distributions._LISTINGS
    (tmp_path / "alpha-1.0.dist-info").rename(tmp_path / "alpha-2.0.dist-info")  # an upgrade
    (tmp_path / "Beta_Pkg-0.3.dist-info").mkdir()  # an install
    assert distributions.installed_versions() == {"alpha": "2.0", "beta-pkg": "0.3"}


def test_a_directory_changed_just_now_is_read_again_every_time(tmp_path, monkeypatch):
    (tmp_path / "alpha-1.0.dist-info").mkdir()  # its mtime is now: within FRESH
    monkeypatch.setattr(sys, "path", [str(tmp_path), str(tmp_path / "missing")])
    assert distributions.installed_versions() == {"alpha": "1.0"}
    assert str(tmp_path) not in distributions._LISTINGS
