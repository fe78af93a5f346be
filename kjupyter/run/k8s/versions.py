"""Kernel versus worker versions, checked on each worker's hello.

Code travels by cloudpickle, which records references to modules and to the bytecode of the
kernel's Python: another Python minor version cannot load it (an error, with the fix), and
another cloudpickle or another version of a package the code uses may load it wrongly (a
warning, once per package). "Packages the code uses" is approximated by the distributions
whose modules the kernel has imported: a task can only use what the kernel could pickle.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping
from typing import Any

from kjupyter.errors import BackendError
from kjupyter.run.distributions import installed_versions

_warned: set[tuple[str, str, str]] = set()
# the tooling around the kernel, not what tasks use: it differs harmlessly
IGNORED = {
    "pip", "setuptools", "wheel", "pytest", "pluggy", "iniconfig", "ipykernel", "ipython",
    "jupyter-client", "jupyter-core", "traitlets", "jedi", "parso", "prompt-toolkit",
    "pygments", "pexpect", "ptyprocess", "wcwidth", "asttokens", "executing", "pure-eval",
    "stack-data", "decorator", "matplotlib-inline", "comm", "debugpy", "tornado", "pyzmq",
    "ipywidgets", "widgetsnbextension", "jupyterlab-widgets", "kjupyter",
}  # fmt: skip
SHOWN = 6  # differing packages named in the warning


class VersionSkew(UserWarning):
    """A package differs between the kernel and its workers."""


#: import name -> distribution name, where they differ (the common cases)
ALIASES = {
    "yaml": "pyyaml",
    "dateutil": "python-dateutil",
    "sklearn": "scikit-learn",
    "PIL": "pillow",
    "cv2": "opencv-python",
    "bs4": "beautifulsoup4",
    "google": "protobuf",
}


def imported_distributions() -> dict[str, str]:
    """Normalised distribution name -> version, for the top-level modules imported here.

    Matches import names to distribution names by spelling (plus `ALIASES`): reading every
    distribution's file list (`packages_distributions`) costs about a second.
    """
    installed = installed_versions()
    found: dict[str, str] = {}
    for module in {name.partition(".")[0] for name in list(sys.modules)}:
        dist = ALIASES.get(module, module).lower().replace("_", "-")
        if dist in installed and dist not in IGNORED:
            found[dist] = installed[dist]
    return found


_KERNEL: dict[str, str] | None = None


def check(worker: str, image: str, info: Mapping[str, Any]) -> None:
    """Raise on a Python minor mismatch; warn once per differing package."""
    global _KERNEL
    mine = ".".join(map(str, sys.version_info[:2]))
    theirs = ".".join(str(info.get("python", "?")).split(".")[:2])
    if theirs != mine:
        raise BackendError(
            f"worker {worker} runs Python {info.get('python')} but this kernel runs "
            f"{sys.version.split()[0]}: pickled code does not cross minor versions; use an "
            f"image with Python {mine} (image={image!r})"
        )
    packages = info.get("packages")
    if not isinstance(packages, Mapping):
        return
    if _KERNEL is None:
        _KERNEL = imported_distributions()
    skew = []
    for name, version in sorted(_KERNEL.items()):
        other = packages.get(name)
        if other is None or other == version:
            continue
        if name != "cloudpickle" and _minor(other) == _minor(version):
            continue  # patch releases keep pickles compatible; cloudpickle must match exactly
        if (name, version, other) in _warned:
            continue
        _warned.add((name, version, other))
        skew.append(f"{name} {version} here, {other} on the workers")
    if skew:
        more = f"; and {len(skew) - SHOWN} more" if len(skew) > SHOWN else ""
        warnings.warn(
            f"image {image} differs from this kernel: {'; '.join(skew[:SHOWN])}{more}; "
            "tasks may fail to load or behave differently "
            "(use the notebook's image, or pin the same versions)",
            VersionSkew,
            stacklevel=2,
        )


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])
