"""Sessions on worker pods of the real cluster: state across cells, a deleted pod's rank
rebuilt by replay, and a real framework's collective (JAX over gloo) across three pods."""

from __future__ import annotations

import numpy as np
import pandas as pd

import kjupyter
from tests.cluster import waiting
from tests.cluster.conftest import worker_pods
from tests.local.test_sessions_jax import ALL_GATHER, INIT, TRAIN


def test_state_lives_across_cells_and_a_deleted_pod_is_rebuilt(backend_options, core_api,
                                                                namespace, capsys):  # fmt: skip
    options = {k: v for k, v in backend_options.items() if k != "backend"}
    with kjupyter.session(n=2, backend="kubernetes", name="pods", **options) as s:
        s.px("import socket\nx = RANK * 10\nhost = socket.gethostname()", namespace={})
        s.scatter("part", pd.DataFrame({"a": range(6)}))
        s.push(w=np.arange(3.0))
        s.px("total = float(w.sum()) + x + len(part)", namespace={})
        hosts = s.pull("host")
        assert sorted(hosts) == sorted(p.metadata.name for p in worker_pods(core_api, namespace))
        before = s.pull("total")
        assert before == [3.0 + 0 + 3, 3.0 + 10 + 3]

        # Deleted as `kubectl delete pod` does (gracefully): the pod leaves the API only once
        # its container is dead. A forced delete (grace 0) removes the object first, and the
        # old worker could still answer the next pull (seen: 2 runs in 6).
        core_api.delete_namespaced_pod(hosts[1], namespace)
        waiting.gone(core_api.list_namespaced_pod, namespace,
                     field_selector=f"metadata.name={hosts[1]}")  # fmt: skip
        assert s.pull("total") == before  # rebuilt by replaying its log on a new pod
        rebuilt_on = s.pull("host")[1]  # the replayed cell ran again, on the new pod
        assert rebuilt_on != hosts[1]
        assert rebuilt_on in {p.metadata.name for p in worker_pods(core_api, namespace)}
        status = s.status()
        assert list(status["state"]) == ["live", "live"] and list(status["rebuilds"]) == [0, 1]
        assert "rank 1 rebuilt" in capsys.readouterr().out
        pd.testing.assert_frame_equal(
            s.gather("part").droplevel("rank"), pd.DataFrame({"a": range(6)})
        )


def test_jax_collectives_across_three_pods(backend_options):
    options = {k: v for k, v in backend_options.items() if k != "backend"}
    with kjupyter.session(n=3, backend="kubernetes", name="jax-pods", **options) as s:
        assert s.px(INIT, replay=False, values=True) == [3, 3, 3]
        assert s.px(ALL_GATHER, replay=False, values=True) == [6.0, 6.0, 6.0]
        w_b = s.px(TRAIN, replay=False, values=True)
        assert w_b[0] == w_b[1] == w_b[2]
        w, b = w_b[0]
        assert abs(w - 3.0) < 0.05 and abs(b - 1.0) < 0.05
