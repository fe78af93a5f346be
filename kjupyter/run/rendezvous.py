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

import os
import random
import socket
from collections.abc import Mapping
from typing import Any

#: pods have a network namespace each, so a port picked at random below Linux's ephemeral range
#: (where outgoing connections take theirs) is free on rank 0's pod; locally the kernel checks
POD_PORTS = (20000, 32768)

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
from kjupyter.run import rendezvous
rendezvous.apply(_kjupyter_env, RANK)
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


def apply(env: Mapping[str, Any] | None, rank: int) -> None:
    """Set `env` and this rank's own values in the environment (on the worker, per task)."""
    if not env:
        return
    os.environ.update({key: str(value) for key, value in env.items()})
    os.environ["RANK"] = os.environ["JAX_PROCESS_ID"] = str(rank)
    os.environ["LOCAL_RANK"] = str(rank if int(env["LOCAL_WORLD_SIZE"]) > 1 else 0)


def free_local_port() -> int:
    """A port free on this machine now (closed again at once: the framework binds it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def for_run(program: dict[str, Any], rank0: Any, backend: Any) -> dict[str, Any]:
    """`program` with the environment of a gang run whose rank 0 runs on worker `rank0`.

    The engine calls this once every worker of the run is up, before any rank starts. The
    address is 127.0.0.1 on the local backend, else rank 0's pod IP as the backend's pod
    watcher saw it (its host name when unknown).
    """
    world = program["world_size"]
    if backend.name == "local":
        env = environment("127.0.0.1", free_local_port(), world, one_host=True)
    else:
        watcher = getattr(backend, "watcher", None)
        state = watcher.state(rank0.name) if watcher is not None else None
        address = getattr(state, "ip", "") or rank0.host
        env = environment(address, random.randrange(*POD_PORTS), world, one_host=False)
    return {**program, "env": env}
