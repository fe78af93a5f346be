"""The port-forward tunnel, kept at its old path for the kubernetes backend and for scripts.

It lives in `kjupyter.cluster.portforward` now, below both of its users (issue 10): the
tree's `Cluster.port_forward` (in `cluster`, which may not import `run`) and this backend.
"""

from __future__ import annotations

from kjupyter.cluster.portforward import CHUNK, HIGH_WATER, PortForward

__all__ = ["CHUNK", "HIGH_WATER", "PortForward"]
