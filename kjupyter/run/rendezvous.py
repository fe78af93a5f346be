"""The rendezvous environment of a session: what torch.distributed and JAX read to find rank 0.

Agreed once, before any user cell runs: rank 0's worker picks a port free on its host and says
its address (127.0.0.1 on the local backend, where every rank shares this machine; the pod IP
on kubernetes), then every rank sets `MASTER_ADDR`, `MASTER_PORT`, `RANK`, `WORLD_SIZE`,
`LOCAL_RANK`, `LOCAL_WORLD_SIZE`, `JAX_COORDINATOR_ADDRESS`, `JAX_NUM_PROCESSES` and
`JAX_PROCESS_ID` in its environment. Both steps are plain session cells (in a namespace of
their own, so the user's stays clean); the session logs the second, so a rebuilt rank gets the
same environment. kjupyter brings no collective of its own: the frameworks' run on top.
"""

from __future__ import annotations

from typing import Any

#: run on rank 0: a port free there now (closed again at once: the framework binds it) and
#: the address other ranks reach rank 0 by
FREE_PORT = """\
import socket
_probe = socket.socket()
_probe.bind(("", 0))
_port = _probe.getsockname()[1]
_probe.close()
(socket.gethostbyname(socket.gethostname()), _port)
"""

#: run on every rank with `_kjupyter_env` (the shared values) sent along
SET_ENV = """\
import os
os.environ.update({k: str(v) for k, v in _kjupyter_env.items()})
os.environ["JAX_PROCESS_ID"] = str(RANK)
os.environ["LOCAL_RANK"] = str(RANK if _kjupyter_env["LOCAL_WORLD_SIZE"] > 1 else 0)
"""


def environment(address: str, port: int, world_size: int, *, one_host: bool) -> dict[str, Any]:
    """The values every rank shares; `one_host` when all ranks run on one machine (local)."""
    return {
        "MASTER_ADDR": address,
        "MASTER_PORT": port,
        "WORLD_SIZE": world_size,
        "LOCAL_WORLD_SIZE": world_size if one_host else 1,
        "JAX_COORDINATOR_ADDRESS": f"{address}:{port}",
        "JAX_NUM_PROCESSES": world_size,
    }
