"""Waiting on cluster conditions with watches (never fixed sleeps) for the cluster tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubernetes import watch


def until(list_fn: Callable[..., Any], predicate: Callable[[Any], bool], *args: Any,
          timeout: int = 120, **kwargs: Any) -> Any:  # fmt: skip
    """Watch `list_fn(*args, **kwargs)` until an object satisfies `predicate`; return it.

    Lists first (the object may already be there), then watches from that list's
    resourceVersion so that no change in between is missed.
    """
    listing = list_fn(*args, **kwargs)
    for item in listing.items:
        if predicate(item):
            return item
    stream = watch.Watch()
    for event in stream.stream(
        list_fn, *args, resource_version=listing.metadata.resource_version,
        timeout_seconds=timeout, **kwargs,
    ):  # fmt: skip
        if event["type"] != "DELETED" and predicate(event["object"]):
            stream.stop()
            return event["object"]
    raise AssertionError(f"condition not met within {timeout} s on {list_fn.__name__}{args}")


def pod_phase(core_api, namespace: str, name: str, phases: set[str], timeout: int = 120):
    """Wait for pod NAME to reach one of `phases` (e.g. {"Running"} or {"Succeeded"})."""
    return until(
        core_api.list_namespaced_pod,
        lambda pod: pod.status.phase in phases,
        namespace,
        field_selector=f"metadata.name={name}",
        timeout=timeout,
    )


def pod_ready(core_api, namespace: str, name: str, timeout: int = 120):
    """Wait until pod NAME is Running with every container ready."""

    def ready(pod) -> bool:
        statuses = pod.status.container_statuses or []
        return pod.status.phase == "Running" and bool(statuses) and all(s.ready for s in statuses)

    return until(
        core_api.list_namespaced_pod, ready, namespace,
        field_selector=f"metadata.name={name}", timeout=timeout,
    )  # fmt: skip


def gone(list_fn: Callable[..., Any], *args: Any, timeout: int = 120, **kwargs: Any) -> None:
    """Watch `list_fn(*args, **kwargs)` (one object, by field selector) until it is deleted."""
    listing = list_fn(*args, **kwargs)
    if not listing.items:
        return
    stream = watch.Watch()
    for event in stream.stream(
        list_fn, *args, resource_version=listing.metadata.resource_version,
        timeout_seconds=timeout, **kwargs,
    ):  # fmt: skip
        if event["type"] == "DELETED":
            stream.stop()
            return
    raise AssertionError(f"still there after {timeout} s: {list_fn.__name__}{args} {kwargs}")
