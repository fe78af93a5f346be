"""The control messages kernel and worker exchange (part 0 of every frame), in one place.

On the wire a message is a plain tuple (the receiver's unpickler refuses every global, so no
class travels); in code it is built by the constructors below (`work`, `cancel`, `hello`,
`out`, `done`, `PING`, `BYE`) and read with `parse`, which gives a NamedTuple per kind (its
fields named as here) and refuses an unknown kind or a wrong field count in one line. The
protocol version is checked once, in the channel's greeting (`channel.GREETING`).

Kernel → worker
    ("work", drops, puts, runs)   drops: [key]; puts: [(key, nparts)]; runs: [(program, task_ids,
                                  nparts)]. Attachments: every put's parts, then every run's
                                  argument blob, in that order. task_ids here and in a done
                                  message's columns are an id block: (first, count) for
                                  consecutive ids (a map's chunk), else a list.
    ("cancel", task_ids | None)   cancel these tasks if queued or running; the engine names
                                  them (None, everything, is kept for older kernels).
    ("ping",)                     a heartbeat for the worker's dead-man switch.
    ("bye",)                      finish and exit (local) or wait for the next kernel (listen).
Worker → kernel
    ("hello", info)               first frame: pid, host, protocol, versions (sent only once
                                  the kernel has proved the key in the channel handshake).
    ("out", task_id, stream, text) live stdout/stderr of a running task.
    ("done", results, columns)    results: [(task_id, status, nparts, error, traceback, started,
                                  finished, inline)]; attachments: each value blob's parts in
                                  order. nparts 0: the value is `inline` (a plain int, float,
                                  bool, None or short str), with no blob. columns: None, or the
                                  batch's successful tasks with plain values as four columns
                                  (task_ids, started, finished, values); the times are float64
                                  arrays as bytes: no tuple per task on either side.

A program is a dict: {"kind": "cell", "code": str, "names": {name: key}, "modules": {name: mod},
"world_size": n} runs a cell once per rank in the argument blob; {"kind": "call", "fn": key,
"kwargs": [names]} calls a function once per item. A cell or rank call with "rendezvous": True
gets "env" (MASTER_ADDR, MASTER_PORT, ...; see `kjupyter.run.rendezvous`) from the engine once
every worker of the run is up, and sets it before running each rank.
{"kind": "px", "session": id, "op": op, "world_size": n, ...} acts on the namespace a session
keeps on the worker across tasks (`kjupyter.worker.namespaces`): op "cell" (with "code",
"names", "modules"; argument: the rank) runs a cell in it, "push" (with "names") sets shipped
values, "set" (with "name"; argument: (rank, value)) sets one name, "get" (with "name";
argument: the rank) returns one.
"""

from __future__ import annotations

import array
from collections.abc import Sequence
from typing import Any, NamedTuple

from kjupyter.errors import ProtocolError

# 2: BLAKE2b frame MACs, versioned greeting; 3: the kernel proves the key before the worker
# says anything, lead and header tags before any length is trusted, sealed (AES-GCM) frames;
# 4: result batches carry their plain successes as columns; 5: task ids travel as id blocks.
PROTOCOL = 5

#: A kernel that reaches a worker through the API server's port-forward, where no Secret could
#: carry the session key, sends this prefix and the key (`PEER_KEY_SIZE` bytes) before the
#: channel handshake; see `python -m kjupyter.worker --secret-from-peer`.
PEER_KEY_PREFIX = b"kjupyter-key-v1\n"
PEER_KEY_SIZE = 32

OK = "ok"
ERROR = "error"
CANCELLED = "cancelled"
LOST = "lost"


IdBlock = tuple[int, int] | list[int]


def id_block(ids: range | Sequence[int]) -> IdBlock:
    """Task ids as a message carries them: (first, count) when consecutive, else a list.

    Why: a map's chunk of 1,000 tasks would otherwise pickle, send and unpickle 1,000 ids
    each way, and the engine would compare them one by one to find their rows.
    """
    if type(ids) is range and ids.step == 1:
        return (ids.start, len(ids))
    n = len(ids)
    if n and ids[-1] - ids[0] == n - 1:
        first = ids[0]
        if (ids if type(ids) is list else list(ids)) == list(range(first, first + n)):  # in C
            return (first, n)
    return list(ids)


def ids_of(block: Any) -> range | list[int]:
    """The task ids an id block names; a malformed one is a `ProtocolError`."""
    if type(block) is tuple and len(block) == 2:
        first, count = block
        if type(first) is int and type(count) is int and count >= 0:
            return range(first, first + count)
    elif type(block) is list:
        return block
    raise ProtocolError("task ids must be (first, count) or a list")


def result_rows(message: Any) -> list[tuple[Any, ...]]:
    """Every result of a "done" message as a row, its columns too (rows first, then columns).

    Row: (task_id, status, nparts, error, traceback, started, finished, inline). For readers
    off the hot path (tests, tools); the engine reads the columns as they are.
    """

    batch = message if isinstance(message, Done) else parse(message)
    if not isinstance(batch, Done):
        raise ProtocolError(f"not a result batch: {type(batch).__name__}")
    rows = list(batch.rows)
    if batch.columns is not None:
        block, started_bytes, finished_bytes, values = batch.columns
        ids = ids_of(block)
        started, finished = array.array("d"), array.array("d")
        started.frombytes(started_bytes)
        finished.frombytes(finished_bytes)
        if not (len(ids) == len(values) == len(started) == len(finished)):
            raise ProtocolError("a result batch's columns differ in length")
        for row in zip(ids, started, finished, values, strict=True):
            rows.append((row[0], OK, 0, "", "", row[1], row[2], row[3]))
    return rows


class Work(NamedTuple):
    drops: list[str]
    puts: list[tuple[str, int]]
    runs: list[tuple[dict[str, Any], IdBlock, int]]


class Cancel(NamedTuple):
    task_ids: list[int] | None


class Ping(NamedTuple):
    pass


class Bye(NamedTuple):
    pass


class Hello(NamedTuple):
    info: dict[str, Any]


class Out(NamedTuple):
    task_id: int
    stream: str
    text: str


class Done(NamedTuple):
    rows: list[tuple[Any, ...]]
    columns: tuple[IdBlock, bytes, bytes, list[Any]] | None


Message = Work | Cancel | Ping | Bye | Hello | Out | Done
_KINDS: dict[str, type[Any]] = {
    "work": Work,
    "cancel": Cancel,
    "ping": Ping,
    "bye": Bye,
    "hello": Hello,
    "out": Out,
    "done": Done,
}
PING = ("ping",)
BYE = ("bye",)


def work(drops: list[str], puts: list[tuple[str, int]], runs: list[Any]) -> tuple[Any, ...]:
    return ("work", drops, puts, runs)


def cancel(task_ids: list[int] | None) -> tuple[Any, ...]:
    return ("cancel", task_ids)


def hello(info: dict[str, Any]) -> tuple[Any, ...]:
    return ("hello", info)


def out(task_id: int, stream: str, text: str) -> tuple[Any, ...]:
    return ("out", task_id, stream, text)


def done(rows: list[tuple[Any, ...]], columns: tuple[Any, ...] | None) -> tuple[Any, ...]:
    return ("done", rows, columns)


def parse(msg: Any) -> Message:
    """The typed form of a received control message; a malformed one is a `ProtocolError`."""
    if type(msg) is not tuple or not msg:
        raise ProtocolError(
            f"a control message must be a non-empty tuple, not {type(msg).__name__}"
        )
    kind = _KINDS.get(msg[0]) if type(msg[0]) is str else None
    if kind is None:
        raise ProtocolError(f"unknown message {msg[0]!r}")
    if len(msg) - 1 != len(kind._fields):
        raise ProtocolError(
            f"message {msg[0]!r} has {len(msg) - 1} fields, protocol {PROTOCOL} gives it "
            f"{len(kind._fields)}"
        )
    return kind._make(msg[1:])
