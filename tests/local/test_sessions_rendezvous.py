"""The rendezvous environment of a session: agreed before user code, usable across ranks."""

from __future__ import annotations

import os
import signal

import kjupyter

ENV = (
    "MASTER_ADDR",
    "MASTER_PORT",
    "RANK",
    "WORLD_SIZE",
    "LOCAL_RANK",
    "LOCAL_WORLD_SIZE",
    "JAX_COORDINATOR_ADDRESS",
    "JAX_NUM_PROCESSES",
    "JAX_PROCESS_ID",
)

# A tiny all-reduce over plain TCP, found through the environment alone (no framework is
# installed): rank 0 listens on MASTER_ADDR:MASTER_PORT, the others send RANK + 1 and get
# the sum back. The connect loop waits for the fact "rank 0 listens", with a deadline.
ALL_REDUCE = """
import os, socket, time
addr, port = os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"])
world, mine = int(os.environ["WORLD_SIZE"]), int(os.environ["RANK"]) + 1
if RANK == 0:
    server = socket.create_server((addr, port))
    peers = [server.accept()[0] for _ in range(world - 1)]
    total = mine + sum(int(p.recv(64)) for p in peers)
    for p in peers:
        p.sendall(str(total).encode())
        p.close()
    server.close()
else:
    deadline = time.monotonic() + 30
    while True:
        try:
            conn = socket.create_connection((addr, port), timeout=30)
            break
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)
    conn.sendall(str(mine).encode())
    total = int(conn.recv(64))
    conn.close()
total
"""


def environ_of(s):
    code = "import os\n{k: os.environ.get(k) for k in keys}"
    return s.px(code, namespace={"keys": ENV}, values=True)


def test_every_rank_has_the_rendezvous_environment_and_a_rebuilt_rank_gets_it_again():
    with kjupyter.session(n=3, name="rv") as s:
        envs = environ_of(s)
        port = envs[0]["MASTER_PORT"]
        assert int(port) > 0
        for rank, env in enumerate(envs):
            assert env["MASTER_ADDR"] == "127.0.0.1" and env["MASTER_PORT"] == port
            assert env["RANK"] == env["JAX_PROCESS_ID"] == env["LOCAL_RANK"] == str(rank)
            assert env["WORLD_SIZE"] == env["JAX_NUM_PROCESSES"] == env["LOCAL_WORLD_SIZE"] == "3"
            assert env["JAX_COORDINATOR_ADDRESS"] == f"127.0.0.1:{port}"
        assert "_kjupyter_env" not in s.px("dir()", namespace={}, values=True)[0]
        proc = s.workers[2].handle.proc
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert environ_of(s) == envs
        assert [r["rank"] for r in s.rebuilds] == [2]


def test_ranks_reach_each_other_through_it():
    with kjupyter.session(n=3, name="ar") as s:
        # replay=False: a collective cannot be replayed by one rebuilt rank alone
        assert s.px(ALL_REDUCE, namespace={}, values=True, replay=False) == [6, 6, 6]


def test_every_rank_of_a_run_gets_it_and_reaches_rank_0():
    assert kjupyter.run(ALL_REDUCE, n=3, names={}, values=True) == [6, 6, 6]

    def environ(rank):
        import os

        return {k: os.environ.get(k) for k in ENV}

    first = kjupyter.run(environ, n=2, values=True)
    for rank, env in enumerate(first):
        assert env["RANK"] == env["JAX_PROCESS_ID"] == env["LOCAL_RANK"] == str(rank)
        assert env["MASTER_ADDR"] == "127.0.0.1" and env["WORLD_SIZE"] == "2"
        assert env["JAX_COORDINATOR_ADDRESS"] == f"127.0.0.1:{first[0]['MASTER_PORT']}"
    assert first[0]["MASTER_PORT"] == first[1]["MASTER_PORT"]
