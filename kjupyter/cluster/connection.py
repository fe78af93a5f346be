"""Who we are and where the API server is: kubeconfig contexts or in-cluster config.

Wraps the official client's `ApiClient` and sends raw requests through it (`param_serialize`
+ `call_api`, client 37+), reading JSON ourselves: the typed models are several times slower
for big lists (see shared/notes/kubernetes-client.md). Every transport failure and error
status leaves this module as a `kjupyter.errors` class.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kjupyter import errors, preimport
from kjupyter.cluster.statuses import error_for
from kjupyter.errors import Unreachable
from kjupyter.version import __version__

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
DEFAULT_TIMEOUT = (5.0, 60.0)  # (connect, read) seconds
# Who writes: managedFields name this manager (the client's default user agent made every
# scale and restart "OpenAPI-Generator"'s), and the server's audit log this user agent.
FIELD_MANAGER = "kjupyter"
WRITES = frozenset({"POST", "PUT", "PATCH"})


def user_agent() -> str:
    return f"kjupyter/{__version__}"


@dataclass
class Connection:
    """An authenticated client for one API server, as one context of a kubeconfig sees it."""

    api_client: Any
    context: str | None
    namespace: str
    kubeconfig: str | None = None
    contexts: list[str] = field(default_factory=list)

    @property
    def server(self) -> str:
        return str(self.api_client.configuration.host)

    def close(self) -> None:
        self.api_client.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        action: str,
        query: dict[str, Any] | None = None,
        body: Any = None,
        accept: str = "application/json",
        content_type: str | None = None,
        timeout: Any = DEFAULT_TIMEOUT,
        raw: bool = False,
    ) -> Any:
        """Send one request; return parsed JSON (or bytes with `raw`); raise kjupyter errors.

        `action` says in the user's words what was attempted ("list pods in default"): it
        starts every error message.
        """
        response = self.open(
            method,
            path,
            action=action,
            query=query,
            body=body,
            accept=accept,
            content_type=content_type,
            timeout=timeout,
        )
        data = read_body(response, action, self.server)
        if raw:
            return data
        return json.loads(data) if data else {}

    def open(
        self,
        method: str,
        path: str,
        *,
        action: str,
        query: dict[str, Any] | None = None,
        body: Any = None,
        accept: str = "application/json",
        content_type: str | None = None,
        timeout: Any = DEFAULT_TIMEOUT,
    ) -> Any:
        """Send one request and return the urllib3 response unread (for streams such as logs)."""
        import urllib3

        headers = {"Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        if method in WRITES:
            query = {"fieldManager": FIELD_MANAGER, **(query or {})}
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        try:
            _, url, headers, body, _ = self.api_client.param_serialize(
                method,
                path,
                query_params=params,
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
            )
            result = self.api_client.call_api(
                method, url, header_params=headers, body=body, _request_timeout=timeout
            )
        except (urllib3.exceptions.HTTPError, OSError) as err:
            raise errors.Unreachable(
                f"{action}: cannot reach the API server at {self.server} "
                f"({_reason(err)}); is the cluster up, and is context {self.context!r} right?"
            ) from err
        except Exception as err:  # the client wraps TLS failures in ApiException(status=0)
            if getattr(err, "status", None) == 0:
                raise errors.Unreachable(
                    f"{action}: cannot reach the API server at {self.server} ({_reason(err)})"
                ) from err
            raise
        response = result.response
        if response.status >= 400:
            raise error_for(response.status, read_body(response, action, self.server), action)
        return response


def read_body(response: Any, action: str, server: str) -> bytes:
    """The whole body of a response; a connection dropped mid-body is `Unreachable`."""
    import urllib3

    try:
        return bytes(response.data or b"")
    except (urllib3.exceptions.HTTPError, OSError) as err:
        raise Unreachable(
            f"{action}: the API server at {server} dropped the connection ({_reason(err)})"
        ) from err
    finally:
        response.release_conn()


def _reason(err: BaseException) -> str:
    """The innermost reason of a urllib3 failure, on one line."""
    reason = getattr(err, "reason", None) or err
    text = " ".join(str(reason).split())
    if ": " in text and "Failed to establish" in text:
        text = text.rsplit(": ", 1)[-1]
    return text[:160]


def load(
    context: str | None = None, kubeconfig: str | os.PathLike[str] | None = None
) -> Connection:
    """A connection from `kubeconfig` (or `$KUBECONFIG`, `~/.kube/config`), in-cluster otherwise."""
    from kubernetes import client, config

    path = str(kubeconfig) if kubeconfig else None
    if path is None and not _default_kubeconfig_exists() and _in_cluster():
        if context is not None:
            raise errors.BadArgument("no kubeconfig here: in-cluster config has no contexts")
        configuration = client.Configuration()
        config.load_incluster_config(client_configuration=configuration)
        namespace = (SERVICE_ACCOUNT_DIR / "namespace").read_text().strip() or "default"
        return Connection(_api_client(configuration), None, namespace)
    if path is not None and not Path(path).exists():
        raise errors.NotFound(f"no kubeconfig at {path}")
    if path is None and not _default_kubeconfig_exists():
        raise errors.NotFound(
            "no kubeconfig found (looked at $KUBECONFIG and ~/.kube/config) and not running "
            "in a pod; pass kubeconfig=... to kjupyter.connect"
        )
    if path is not None:
        check_kubeconfig(path)
    try:
        contexts, active = config.list_kube_config_contexts(config_file=path)
    except config.ConfigException as err:
        raise errors.BadArgument(f"cannot read kubeconfig: {err}") from err
    except (TypeError, KeyError, AttributeError, ValueError, OSError) as err:
        where = path or "the default kubeconfig"  # the client's own parse of a malformed file
        raise errors.BadArgument(f"{where} is not a kubeconfig ({type(err).__name__})") from err
    names = [c["name"] for c in contexts]
    chosen = next((c for c in contexts if c["name"] == context), None) if context else active
    if chosen is None:
        raise errors.NotFound(
            f"no context {context!r} in the kubeconfig; contexts: {', '.join(names)}"
        )
    configuration = client.Configuration()
    try:
        config.load_kube_config(
            config_file=path, context=chosen["name"], client_configuration=configuration
        )
    except config.ConfigException as err:
        raise errors.BadArgument(f"context {chosen['name']!r}: {err}") from err
    configuration.retries = False  # fail fast when the server is down; we report, not retry
    namespace = (chosen.get("context") or {}).get("namespace") or "default"
    return Connection(_api_client(configuration), chosen["name"], namespace, path, contexts=names)


def _api_client(configuration: Any) -> Any:
    from kubernetes import client

    api_client = client.ApiClient(configuration)
    api_client.user_agent = user_agent()
    return api_client


def check_kubeconfig(path: str) -> None:
    """A one-line `BadArgument` unless `path` reads as a kubeconfig (YAML with clusters...).

    Why: the client's loader, given /etc/passwd or a directory, raises deep inside itself
    (a 94-line traceback in a notebook, issue 10).
    """
    import yaml

    if Path(path).is_dir():
        raise errors.BadArgument(f"{path} is not a kubeconfig: it is a directory; name the file")
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise errors.BadArgument(f"{path} is not a kubeconfig: {err.strerror}") from err
    except UnicodeDecodeError as err:
        raise errors.BadArgument(f"{path} is not a kubeconfig: it is not text") from err
    except yaml.YAMLError as err:
        reason = " ".join(str(getattr(err, "problem", "") or "invalid YAML").split())
        raise errors.BadArgument(f"{path} is not a kubeconfig: {reason}") from err
    if not isinstance(document, dict) or not {"clusters", "contexts", "users"} & set(document):
        raise errors.BadArgument(
            f"{path} is not a kubeconfig: no clusters, contexts or users in it"
        )


def warm_up() -> None:
    """Import the Kubernetes client in a background thread when a cluster is configured.

    Why: the client's import takes ~0.3 s of CPU (requests, oauthlib, yaml, thousands of
    model classes); `%load_ext kjupyter` starts it so the first `%k8s ls` or `%%k8s run` a
    moment later does not wait for it. A notebook with no kubeconfig pays nothing.
    """
    if _default_kubeconfig_exists() or _in_cluster():
        preimport.in_background("kubernetes.client", "kubernetes.config")


def _default_kubeconfig_exists() -> bool:
    env = os.environ.get("KUBECONFIG")
    if env:
        return any(Path(p).exists() for p in env.split(os.pathsep) if p)
    return (Path.home() / ".kube" / "config").exists()


def _in_cluster() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and SERVICE_ACCOUNT_DIR.exists()
