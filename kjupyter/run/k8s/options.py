"""What a worker pod asks for (image, resources, placement, env) and how it is reached.

`PodOptions` is frozen and made of tuples: the pool keys warm workers by their options, so two
cells asking for the same pods share them. Every option has an environment default
(`KJUPYTER_IMAGE`, `KJUPYTER_NAMESPACE`, ...; see `ENV`) and an IPython config one
(`c.Kjupyter.image`, see `config`), read when the backend is created; an explicit argument
wins over config, config over the environment. Parsing is lenient in what it takes (a dict, a
list of `k=v` strings, a comma-separated string) and strict in what it keeps.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from kjupyter.errors import BadArgument

REACH = ("auto", "pod-ip", "port-forward")
EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PodOptions:
    """One kind of worker pod, and how the kernel talks to it."""

    image: str | None = None
    namespace: str | None = None
    cpu: str | None = None
    memory: str | None = None
    gpu: int | None = None
    node_selector: Pairs = ()
    tolerations: tuple[str, ...] = ()
    env: Pairs = ()
    service_account: str | None = None
    #: auto (pod IP when it answers, port-forward otherwise), pod-ip, port-forward
    reach: str = "auto"
    #: dead-man switch: a worker with no word from its kernel this long exits (s)
    idle_timeout: float = 60.0
    #: a warm pool unused this long scales to zero by itself (s); None keeps it
    pool_idle: float | None = 600.0
    #: how long pods may take to start before the run fails with Kubernetes' reason (s)
    start_timeout: float = 120.0
    #: workers a map uses when not told
    workers: int = 4
    kubeconfig: str | None = None
    context: str | None = None
    python: str = "python3"


#: option -> environment variable holding its default
ENV = {
    "image": "KJUPYTER_IMAGE",
    "namespace": "KJUPYTER_NAMESPACE",
    "cpu": "KJUPYTER_CPU",
    "memory": "KJUPYTER_MEMORY",
    "gpu": "KJUPYTER_GPU",
    "node_selector": "KJUPYTER_NODE_SELECTOR",
    "tolerations": "KJUPYTER_TOLERATIONS",
    "env": "KJUPYTER_ENV",
    "service_account": "KJUPYTER_SERVICE_ACCOUNT",
    "reach": "KJUPYTER_REACH",
    "idle_timeout": "KJUPYTER_IDLE_TIMEOUT",
    "pool_idle": "KJUPYTER_POOL_IDLE",
    "start_timeout": "KJUPYTER_START_TIMEOUT",
    "workers": "KJUPYTER_WORKERS",
    "kubeconfig": "KJUPYTER_KUBECONFIG",
    "context": "KJUPYTER_CONTEXT",
    "python": "KJUPYTER_PYTHON",
}


def resolve(**given: Any) -> PodOptions:
    """Options from arguments, then IPython config, then the environment, then the defaults."""
    if "k8s_namespace" in given:
        # `kjupyter.run(code, namespace=names)` already uses the word for the cell's names.
        given["namespace"] = given.pop("k8s_namespace")
    known = {f.name for f in fields(PodOptions)}
    unknown = sorted(set(given) - known)
    if unknown:
        raise BadArgument(
            f"unknown kubernetes backend option(s) {', '.join(unknown)}; known: "
            f"{', '.join(sorted(known))}"
        )
    configured: dict[str, Any] = {}
    if "IPython" in sys.modules:  # no IPython loaded, no shell, no config (and no 0.3 s import)
        from kjupyter.run.k8s import config  # imports this module: resolved at call time

        configured = config.configured()
    values: dict[str, Any] = {}
    for name in known:
        value = given.get(name)
        if value is None:
            value = configured.get(name)
        if value is None and os.environ.get(ENV[name]):
            value = os.environ[ENV[name]]
        if value is not None:
            values[name] = value
    return normalize(PodOptions(**values))


def normalize(options: PodOptions) -> PodOptions:
    """Coerce every field to its canonical, hashable form; raise `BadArgument` on nonsense."""
    reach = str(options.reach)
    if reach not in REACH:
        raise BadArgument(f"reach must be one of {', '.join(REACH)}, not {reach!r}")
    gpu = None if options.gpu in (None, "", 0, "0") else _positive_int("gpu", options.gpu)
    pool_idle = options.pool_idle
    if pool_idle in ("", "none", "None", 0, "0"):
        pool_idle = None
    tolerations = tuple(_items(options.tolerations))
    for text in tolerations:
        toleration(text)  # validate now, not at pod creation
    return replace(
        options,
        cpu=str(options.cpu) if options.cpu not in (None, "") else None,
        memory=str(options.memory) if options.memory not in (None, "") else None,
        gpu=gpu,
        node_selector=pairs("node selector", options.node_selector),
        tolerations=tolerations,
        env=pairs("env", options.env),
        reach=reach,
        idle_timeout=_positive_float("idle_timeout", options.idle_timeout),
        pool_idle=None if pool_idle is None else _positive_float("pool_idle", pool_idle),
        start_timeout=_positive_float("start_timeout", options.start_timeout),
        workers=_positive_int("workers", options.workers),
    )


def pairs(what: str, value: Any) -> Pairs:
    """`{"k": "v"}`, `["k=v", ...]` or `"k=v,k2=v2"` as sorted `(("k", "v"), ...)`."""
    if isinstance(value, Mapping):
        items = [(str(k), str(v)) for k, v in value.items()]
    else:
        items = []
        for text in _items(value):
            if isinstance(text, tuple) and len(text) == 2:
                items.append((str(text[0]), str(text[1])))
                continue
            key, sep, val = str(text).partition("=")
            if not sep or not key:
                raise BadArgument(f"{what} must be KEY=VALUE, not {text!r}")
            items.append((key, val))
    return tuple(sorted(dict(items).items()))


def toleration(text: str) -> dict[str, Any]:
    """`key=value:Effect`, `key:Effect`, `key=value` or `key` as a pod toleration."""
    body, _, effect = text.partition(":")
    key, sep, value = body.partition("=")
    if not key:
        raise BadArgument(f"toleration must be KEY[=VALUE][:EFFECT], not {text!r}")
    if effect and effect not in EFFECTS:
        raise BadArgument(f"toleration effect must be one of {', '.join(EFFECTS)}, not {effect!r}")
    result: dict[str, Any] = {"key": key, "operator": "Equal" if sep else "Exists"}
    if sep:
        result["value"] = value
    if effect:
        result["effect"] = effect
    return result


def _items(value: Any) -> Iterable[Any]:
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return list(value)


def _positive_float(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as err:
        raise BadArgument(f"{name} must be a number of seconds, not {value!r}") from err
    if number <= 0:
        raise BadArgument(f"{name} must be positive, not {value!r}")
    return number


def _positive_int(name: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as err:
        raise BadArgument(f"{name} must be a whole number, not {value!r}") from err
    if number < 1:
        raise BadArgument(f"{name} must be at least 1, not {value!r}")
    return number
