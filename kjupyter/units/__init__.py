"""Services as systemd units: where start-up time went, and dependency-ordered start/stop.

A workload (deployment or statefulset) declares what it needs with the annotation
`kjupyter.dev/requires: "deployments/db, statefulsets/cache"` (same namespace), as a systemd
unit declares `Requires=` and `After=`. `start` brings the requirements up first and waits for
each to be ready; `stop` stops what depends on a unit before the unit; everything else keeps
running. `critical_chain` shows, pod by pod, where a workload's start-up time went.
"""

from __future__ import annotations

from typing import Any

__all__ = ["critical_chain", "start", "status", "stop"]


def __getattr__(name: str) -> Any:
    if name == "critical_chain":
        from kjupyter.units.chain import critical_chain

        return critical_chain
    if name in ("start", "stop", "status"):
        from kjupyter.units import control

        return getattr(control, name)
    raise AttributeError(f"module 'kjupyter.units' has no attribute {name!r}")
