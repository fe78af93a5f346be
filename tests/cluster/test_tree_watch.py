"""`ls -w` / `--watch` (issue 10, "follow and watch"): the list, then every change as kubectl
get -w prints it, until Ctrl-C; the DataFrame that comes back holds the latest rows."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import threading


class Driver(io.StringIO):
    """Output that makes a change once the list is shown, and interrupts once it is seen."""

    def __init__(self, change, seen: str) -> None:
        super().__init__()
        self.change, self.seen = change, seen
        self.started = self.sent = False

    def write(self, text: str) -> int:
        written = super().write(text)
        if not self.started and "first" in self.getvalue():
            self.started = True
            threading.Thread(target=self.change, daemon=True).start()
        if self.seen in self.getvalue() and not self.sent:
            self.sent = True
            os.kill(os.getpid(), signal.SIGINT)
        return written


def test_watch_shows_changes_until_interrupted(k8s, core_api, namespace, shell):
    core_api.create_namespaced_config_map(namespace, {"metadata": {"name": "first"}})

    def add() -> None:
        core_api.create_namespaced_config_map(namespace, {"metadata": {"name": "added-one"}})

    out = Driver(add, "added-one")
    frame = k8s.watch("configmaps", out=out)
    assert {"first", "added-one", "kube-root-ca.crt"} <= set(frame.index)
    assert out.getvalue().index("first") < out.getvalue().index("added-one")

    def remove() -> None:
        core_api.delete_namespaced_config_map("added-one", namespace)

    magic_out = Driver(remove, "deleted")
    with contextlib.redirect_stdout(magic_out):
        frame = shell.run_line_magic("k8s", "ls configmaps -w")
    assert "added-one" not in frame.index and "first" in frame.index
    assert "added-one" in magic_out.getvalue().split("deleted")[0].splitlines()[-1]


def test_events_watch_shows_new_events(shell, core_api, namespace):
    def record() -> None:
        core_api.create_namespaced_event(namespace, {
            "metadata": {"name": "watched-event"},
            "involvedObject": {"kind": "ConfigMap", "name": "first", "namespace": namespace},
            "reason": "SeenByWatch", "message": "hello", "type": "Normal",
        })  # fmt: skip

    core_api.create_namespaced_event(namespace, {
        "metadata": {"name": "first"},
        "involvedObject": {"kind": "ConfigMap", "name": "first", "namespace": namespace},
        "reason": "Before", "message": "first", "type": "Normal",
    })  # fmt: skip
    out = Driver(record, "SeenByWatch")
    with contextlib.redirect_stdout(out):
        frame = shell.run_line_magic("k8s", "events -w")
    assert "SeenByWatch" in set(frame["Reason"]) and "Before" in set(frame["Reason"])
