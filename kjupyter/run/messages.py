"""The control messages kernel and worker exchange (part 0 of every frame), in one place.

Kernel → worker
    ("work", drops, puts, runs)   drops: [key]; puts: [(key, nparts)]; runs: [(program, task_ids,
                                  nparts)]. Attachments: every put's parts, then every run's
                                  argument blob, in that order.
    ("cancel", task_ids | None)   cancel these tasks if queued or running; the engine names
                                  them (None, everything, is kept for older kernels).
    ("ping",)                     a heartbeat for the worker's dead-man switch.
    ("bye",)                      finish and exit (local) or wait for the next kernel (listen).
Worker → kernel
    ("hello", info)               first frame: pid, host, protocol, versions.
    ("out", task_id, stream, text) live stdout/stderr of a running task.
    ("done", results)             results: [(task_id, status, nparts, error, traceback, started,
                                  finished, inline)]; attachments: each value blob's parts in
                                  order. nparts 0: the value is `inline` (a plain int, float,
                                  bool, None or short str), with no blob.

A program is a dict: {"kind": "cell", "code": str, "names": {name: key}, "modules": {name: mod},
"world_size": n} runs a cell once per rank in the argument blob; {"kind": "call", "fn": key,
"kwargs": [names]} calls a function once per item.
"""

from __future__ import annotations

PROTOCOL = 2  # 2: BLAKE2b frame MACs, versioned greeting

#: A kernel that reaches a worker through the API server's port-forward, where no Secret could
#: carry the session key, sends this prefix and the key (`PEER_KEY_SIZE` bytes) before the
#: channel handshake; see `python -m kjupyter.worker --secret-from-peer`.
PEER_KEY_PREFIX = b"kjupyter-key-v1\n"
PEER_KEY_SIZE = 32

OK = "ok"
ERROR = "error"
CANCELLED = "cancelled"
LOST = "lost"
