"""`installed_versions`: which distributions this Python has, read cheaply.

Both ends of a connection read it: the worker puts it in its hello, the kernel compares it
with its own (`run/k8s/versions.py`). Stdlib only, so the worker can import it (issue 13: the
kernel no longer imports worker code for it).
"""

from __future__ import annotations

import os
import sys
import time

# A path entry's listing, kept with the mtime it was read at: a directory whose mtime is
# unchanged holds the same names (an install or an upgrade adds or renames a dist-info
# directory, which changes it). Why: the fork server reads them once and its workers only
# stat each entry, ~10 us instead of ~0.7 ms on the path of every forked worker's hello.
# A listing read within `FRESH` s of its directory's mtime is not kept: a change in the same
# coarse timestamp tick could not be told apart (git's "racy" index entries, the same fix).
_LISTINGS: dict[str, tuple[int, list[tuple[str, str]]]] = {}
FRESH = 2.0


def installed_versions() -> dict[str, str]:
    """Distribution name (normalised) -> version of what this worker has installed.

    The kernel compares these with its own at hello time (cloudpickle, and the packages the
    kernel has imported): a mismatch is why a pickled function breaks on a worker. Read from
    the `NAME-VERSION.dist-info` directory names, not the metadata files: ~1 ms, not ~250.
    """
    found: dict[str, str] = {}
    for entry in sys.path:
        for dist, version in _distributions(entry or "."):
            found.setdefault(dist, version)
    return found


def _distributions(entry: str) -> list[tuple[str, str]]:
    """(name, version) of every dist-info directory in `entry` (none if it is no directory)."""
    try:
        mtime = os.stat(entry).st_mtime_ns
    except OSError:
        return []
    kept = _LISTINGS.get(entry)
    if kept is not None and kept[0] == mtime:
        return kept[1]
    try:
        names = os.listdir(entry)
    except OSError:
        return []
    dists = []
    for name in names:
        if name.endswith(".dist-info") and "-" in name:
            dist, _, version = name[: -len(".dist-info")].rpartition("-")
            dists.append((dist.lower().replace("_", "-"), version))
    if time.time_ns() - mtime > FRESH * 1e9:
        _LISTINGS[entry] = (mtime, dists)
    else:
        _LISTINGS.pop(entry, None)
    return dists
