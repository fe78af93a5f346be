"""Which actions the tree browser offers on a node, and what each one does.

Kept apart from the widget so that the rules (a pod has logs, a deployment restarts, a kind
lists) are plain functions over a `Cluster` and a path, testable without a browser.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from kjupyter.cluster.paths import POD_OWNERS, Level
from kjupyter.errors import BadArgument
from kjupyter.widgets.describe_html import describe_html

SCALABLE = frozenset({("apps", "deployments"), ("apps", "statefulsets"), ("apps", "replicasets")})
RESTARTABLE = frozenset({("apps", "deployments"), ("apps", "statefulsets"), ("apps", "daemonsets")})


@dataclass(frozen=True)
class Outcome:
    """What an action produced: text (YAML, logs) or an HTML table, and a one-line status."""

    text: str = ""
    html: str = ""
    status: str = ""
    refresh_parent: bool = False


def available(cluster: Any, path: str) -> list[str]:
    """The actions that make sense at `path`, in toolbar order."""
    location = cluster.resolve(path)
    level, kind = location.level, location.kind
    if level is Level.ROOT:
        return ["ls"]
    if level is Level.NAMESPACE:
        return ["ls", "events", "cat"]
    if level in (Level.KIND, Level.MATCH):
        return ["ls", "events"]
    assert kind is not None
    if location.sub:
        return ["logs"] if location.sub[-1] == "log" else ["ls"]
    actions = ["cat", "describe", "events"]
    if kind.group == "" and kind.plural == "pods":
        actions += ["logs", "exec"]  # exec: the widget's box runs it (`tree_streams`)
    if (kind.group, kind.plural) in POD_OWNERS:
        actions.append("pods")
    if (kind.group, kind.plural) in RESTARTABLE:
        actions.append("restart")
    if (kind.group, kind.plural) in SCALABLE:
        actions.append("scale")
    actions.append("delete")
    return actions


def replicas(cluster: Any, path: str) -> int | None:
    """The replicas a scalable object asks for now: what the scale control starts from."""
    spec = cluster.cat(path).get("spec") or {}
    count = spec.get("replicas")
    return int(count) if isinstance(count, int) else None


def perform(cluster: Any, action: str, path: str, argument: Any = None) -> Outcome:
    """Run `action` on `path`; kjupyter errors propagate (the widget shows them as one line)."""
    if action not in available(cluster, path):
        return Outcome(status=f"{action} is not available on {path}")
    if action == "ls":
        return _table(cluster.ls(path), f"ls {path}")
    if action == "events":
        return _table(cluster.events(path), f"events of {path}")
    if action == "pods":
        return _table(cluster.ls(f"{path}/pods"), f"pods of {path}")
    if action == "cat":
        return _rich(cluster.cat(path), f"cat {path}")
    if action == "describe":
        return Outcome(html=describe_html(cluster.describe(path)), status=f"describe {path}")
    if action == "logs":
        return _logs(cluster, path, argument if isinstance(argument, dict) else {})
    if action == "restart":
        cluster.restart(path)
        return Outcome(status=f"restarted {path} (rolling)")
    if action == "scale":
        try:
            replicas = int(argument)
        except (TypeError, ValueError) as err:
            raise BadArgument(f"scale needs a whole number of replicas, not {argument!r}") from err
        cluster.scale(path, replicas)
        return Outcome(status=f"scaled {path} to {replicas}")
    if action == "delete":
        cluster.delete(path, yes=True)  # the widget arms its button: a second click confirms
        return Outcome(status=f"deleted {path}", refresh_parent=True)
    return Outcome(status=f"unknown action {action}")


def containers(cluster: Any, path: str) -> list[str]:
    """The containers of the pod at `path` (init containers last), for the logs picker."""
    spec = cluster.cat(path).get("spec") or {}
    names = [c["name"] for c in spec.get("containers") or []]
    return names + [c["name"] for c in spec.get("initContainers") or []]


def _logs(cluster: Any, path: str, options: dict[str, Any]) -> Outcome:
    """The last 500 lines, of one container (`container`), of its previous run
    (`previous`), with the kubelet's timestamps (`timestamps`), as `kubectl logs` takes them."""
    container = str(options.get("container") or "") or None
    previous, timestamps = bool(options.get("previous")), bool(options.get("timestamps"))
    text = cluster.logs(
        path, tail=500, container=container, previous=previous, timestamps=timestamps
    )
    what = f"last 500 lines of {path}" + (f" ({container})" if container else "")
    return Outcome(text=str(text), status=what + (", previous run" if previous else ""))


def yaml_html(text: str) -> str:
    """YAML highlighted with CSS classes only, no inline colours.

    The widget's stylesheet maps the classes to JupyterLab's editor theme variables, so YAML
    follows light and dark themes; pygments' inline styles are light-theme colours.
    """
    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import YamlLexer
    except ImportError:
        return f'<pre class="kj-yaml">{html.escape(text)}</pre>'
    return highlight(text, YamlLexer(), HtmlFormatter(cssclass="kj-yaml"))


def _table(frame: Any, status: str) -> Outcome:
    table = frame.to_html(classes="kj-table", border=0)  # pandas escapes cell text
    return Outcome(html=table, status=f"{status}: {len(frame)} rows")


def _rich(value: Any, status: str) -> Outcome:
    """Objects as highlighted YAML, other values as HTML if they render so, else their text."""
    if callable(getattr(value, "yaml", None)):
        return Outcome(html=yaml_html(value.yaml()), status=status)
    to_html = getattr(value, "_repr_html_", None)
    if to_html is not None:
        return Outcome(html=to_html(), status=status)
    return Outcome(text=str(value), status=status)
