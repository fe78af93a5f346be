"""Import heavy modules in a background thread, before the code that needs them runs.

Why: the Kubernetes client (~0.3 s) and pandas (~0.4 s) are imported lazily so that `import
kjupyter` stays cheap, but some moments are known to come before their first use with the
kernel otherwise idle (pods starting, the user typing the next cell). The real import later
waits for the background one (import locks) and reports any error itself.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading


def in_background(*modules: str) -> None:
    """Start importing `modules` in a daemon thread, unless all are loaded already."""
    missing = [name for name in modules if name not in sys.modules]
    if not missing:
        return

    def load() -> None:
        for name in missing:
            with contextlib.suppress(Exception):
                importlib.import_module(name)

    threading.Thread(target=load, name="kjupyter-preimport", daemon=True).start()
