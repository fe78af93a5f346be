"""A real framework's collective across session ranks: JAX on CPU, over gloo.

`jax.distributed.initialize` finds rank 0 through the rendezvous environment alone; then a
cross-process all-gather (a collective every rank takes part in) and a data-parallel training
step whose gradients are averaged across ranks. The ranks keep their JAX state across cells.
"""

from __future__ import annotations

import kjupyter  # JAX comes with the collectives extra (in the test extra: tools/setup.sh)

INIT = """
import os
import jax
jax.config.update("jax_platforms", "cpu")
jax.config.update("jax_cpu_collectives_implementation", "gloo")
jax.distributed.initialize(
    os.environ["JAX_COORDINATOR_ADDRESS"],
    int(os.environ["JAX_NUM_PROCESSES"]),
    int(os.environ["JAX_PROCESS_ID"]),
    cluster_detection_method="deactivate",  # in a pod, JAX would ask the Kubernetes API
)
jax.process_count()
"""

ALL_GATHER = """
import jax.numpy as jnp
from jax.experimental import multihost_utils
float(multihost_utils.process_allgather(jnp.array([RANK + 1.0])).sum())
"""

TRAIN = """
import jax, jax.numpy as jnp
from jax.experimental import multihost_utils
key = jax.random.PRNGKey(RANK)
x = jax.random.normal(key, (64, 1))
y = 3.0 * x + 1.0
w, b = 0.0, 0.0
loss = lambda w, b: jnp.mean((w * x + b - y) ** 2)
grad = jax.jit(jax.grad(loss, argnums=(0, 1)))
for _ in range(200):
    gw, gb = grad(w, b)
    g = multihost_utils.process_allgather(jnp.array([gw, gb])).mean(axis=0)  # all-reduce
    w, b = w - 0.1 * float(g[0]), b - 0.1 * float(g[1])
(round(w, 3), round(b, 3))
"""


def test_jax_collectives_across_local_ranks():
    with kjupyter.session(n=2, name="jax") as s:
        assert s.px(INIT, replay=False, values=True) == [2, 2]
        assert s.px(ALL_GATHER, replay=False, values=True) == [3.0, 3.0]
        w_b = s.px(TRAIN, replay=False, values=True)
        assert w_b[0] == w_b[1]  # one model: every rank applied the same averaged gradient
        w, b = w_b[0]
        assert abs(w - 3.0) < 0.05 and abs(b - 1.0) < 0.05
