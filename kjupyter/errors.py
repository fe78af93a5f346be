"""Errors kjupyter raises at the user: one line each, saying what went wrong and what to do.

IPython prints an exception's full traceback unless the exception offers
`_render_traceback_`; these classes do, so a notebook shows our message and not our plumbing.
This module imports nothing heavy: worker processes use it too.
"""

from __future__ import annotations


class KjupyterError(Exception):
    """Base of the errors kjupyter raises at the user; shown as one line in IPython."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class CaptureError(KjupyterError):
    """A name the code uses cannot be shipped to the workers (it cannot be pickled)."""


class BackendError(KjupyterError):
    """A backend could not start, reach or stop its workers."""


class ProtocolError(KjupyterError):
    """A peer sent something that is not a kjupyter frame, or of another protocol version."""


class AuthenticationError(ProtocolError):
    """A frame failed its signature check; it was dropped unread and the channel aborted."""


class ChannelClosed(KjupyterError):
    """The peer closed the channel (a worker exited, or its kernel went away)."""


class TaskError(KjupyterError):
    """Tasks failed; raised when plain values were asked for. `.results` keeps every row."""

    def __init__(self, message: str, results: object = None, traceback: str = "") -> None:
        super().__init__(message)
        self.results = results
        self.remote_traceback = traceback

    def _render_traceback_(self) -> list[str]:
        lines = [f"{type(self).__name__}: {self}"]
        if self.remote_traceback:
            lines.append(self.remote_traceback.rstrip("\n"))
        return lines


# -- the cluster tree (kjupyter.cluster): client errors are translated once, in
# kjupyter.cluster.statuses, into these, so callers catch kjupyter's types.


class BadPath(KjupyterError, ValueError):
    """A path that names nothing the cluster tree can hold (wrong shape, unknown kind)."""


class BadArgument(KjupyterError, ValueError):
    """An argument a command cannot use; raised before anything is sent to the cluster."""


class NotFound(KjupyterError, LookupError):
    """The object, kind, context or namespace does not exist (HTTP 404)."""


class NoSuchResource(NotFound):
    """A 404 without a Status: the server serves no such URL (a kind gone, its CRD deleted)."""


class Forbidden(KjupyterError, PermissionError):
    """The identity lacks a permission (HTTP 401/403); the message names verb and resource."""


class Unreachable(KjupyterError, ConnectionError):
    """The API server could not be reached (refused, timed out, TLS failure)."""


class CommandFailed(KjupyterError):
    """A command run in a container exited non-zero; its output was shown already."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class ApplyFailed(KjupyterError):
    """Some documents of an apply failed; the others were applied. `.results` has every row."""

    def __init__(self, message: str, results: object = None) -> None:
        super().__init__(message)
        self.results = results


class ConfirmationNeeded(KjupyterError):
    """A delete that reaches wide (a namespace, a glob, `..`) was not confirmed; nothing changed.

    `.targets` names what it would delete; `yes=True` (`--yes`) or the same call again confirms.
    """

    def __init__(self, message: str, targets: object = None) -> None:
        super().__init__(message)
        self.targets = targets


class Conflict(KjupyterError):
    """The server refused a change that clashes with the object's state (HTTP 409)."""


class Invalid(KjupyterError, ValueError):
    """The server rejected an object or request as invalid (HTTP 400/422)."""


class ApiError(KjupyterError):
    """Any other error status from the API server (429, 5xx...)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class NotAvailable(KjupyterError):
    """A feature the cluster does not serve (e.g. no metrics API for `top`)."""
