"""Defaults for the kubernetes backend from IPython config: `c.Kjupyter.image = "..."`.

A notebook user or a JupyterHub admin sets the image, namespace and resources once, in
`ipython_config.py` or with `%config Kjupyter.namespace = "ml"`, instead of repeating them in
every `%%k8s run`. The order is: an explicit argument, then IPython config, then the
environment (`KJUPYTER_*`, see `options.ENV`), then the built-in default: config is the more
deliberate, per-user setting; the environment is what a deployment hands every kernel.

The traits mirror `PodOptions` field for field and default to None ("not configured"), so an
unset trait never hides the environment. Outside IPython there is no config and nothing changes.
"""

from __future__ import annotations

from typing import Any

from traitlets import Dict, Float, Int, List, TraitType, Unicode
from traitlets.config import Configurable


def _option(kind: type[TraitType], help: str, **extra: Any) -> Any:
    """A configurable trait defaulting to None: unset, so the environment still applies."""
    return kind(default_value=None, allow_none=True, help=help, **extra).tag(config=True)


class Kjupyter(Configurable):
    """Defaults of the kubernetes backend (`%%k8s run`, `kjupyter.run(backend="kubernetes")`)."""

    image = _option(Unicode, "worker image (default: the kernel pod's own)")
    namespace = _option(Unicode, "namespace of the worker pods")
    cpu = _option(Unicode, "CPU request and limit per worker, e.g. '2'")
    memory = _option(Unicode, "memory request and limit per worker, e.g. '4Gi'")
    gpu = _option(Int, "nvidia.com/gpu limit per worker")
    node_selector = _option(Dict, "node labels the pods must match")
    tolerations = _option(List, "KEY[=VALUE][:EFFECT] items", trait=Unicode())
    env = _option(Dict, "environment variables of the workers")
    service_account = _option(Unicode, "service account of the pods")
    reach = _option(Unicode, "auto, pod-ip or port-forward")
    idle_timeout = _option(Float, "dead-man switch: a silent kernel's workers exit after (s)")
    pool_idle = _option(Float, "a warm pool unused this long scales to zero (s)")
    start_timeout = _option(Float, "how long pods may take to start (s)")
    workers = _option(Int, "workers a map uses when not told")
    kubeconfig = _option(Unicode, "kubeconfig file")
    context = _option(Unicode, "kubeconfig context")
    python = _option(Unicode, "python executable in the worker image")

    def defaults(self) -> dict[str, Any]:
        """The configured options (traits left unset are absent)."""
        return {
            name: getattr(self, name)
            for name in self.trait_names(config=True)
            if getattr(self, name) is not None
        }


def configured(shell: Any = None) -> dict[str, Any]:
    """The options set in `shell`'s config (the running IPython shell by default), if any."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython is a dependency
            return {}
        shell = get_ipython()
    config = getattr(shell, "config", None)
    if config is None or "Kjupyter" not in config:
        return {}
    return Kjupyter(config=config).defaults()
