"""Translate the API server's error responses into kjupyter's errors, once, at the boundary.

Only a `kind: Status` payload's message is kept (it is written for users: "pods is forbidden:
User "x" cannot list resource "pods" ..."); any other body is cut short, because error text
lands in notebooks and must not carry secrets.
"""

from __future__ import annotations

import json
from typing import Any

from kjupyter import errors


def status_message(body: bytes | str | None) -> str:
    """The `message` of a Status body, or a short excerpt of anything else."""
    if not body:
        return ""
    try:
        payload: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        payload = None
    if isinstance(payload, dict) and payload.get("kind") == "Status":
        return str(payload.get("message") or payload.get("reason") or "")
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = " ".join(text.split())
    return text[:200] + ("…" if len(text) > 200 else "")


def _is_status(body: bytes | str | None) -> bool:
    try:
        payload: Any = json.loads(body or "")
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(payload, dict) and payload.get("kind") == "Status"


def error_for(status: int, body: bytes | str | None, action: str) -> errors.KjupyterError:
    """The kjupyter error for an HTTP error `status` while doing `action` ("get pods/web")."""
    message = status_message(body)
    detail = f"{action}: {message}" if message else action
    if status == 404:
        if not _is_status(body):  # "404 page not found": no such resource, not no such object
            return errors.NoSuchResource(f"{action}: {message or 'not found'}")
        return errors.NotFound(message or f"{action}: not found")
    if status == 401:
        return errors.Forbidden(
            f"{action}: the API server did not accept the credentials (401); "
            "check the kubeconfig's user or renew its token"
        )
    if status == 403:
        return errors.Forbidden(message or f"{action}: forbidden")
    if status == 409:
        return errors.Conflict(detail)
    if status in (400, 405, 406, 415, 422):
        return errors.Invalid(detail)
    if status == 429:
        return errors.ApiError(f"{action}: the API server is throttling requests (429)", 429)
    return errors.ApiError(f"{action}: HTTP {status} {message}".rstrip(), status)
