"""`python -m kjupyter.kernelspec install [--user | --prefix P]`: a kernel with kjupyter loaded.

It installs "Python 3 (kjupyter)": this Python's ipykernel started with `--ext kjupyter`, so
`%k8s` is there in every notebook opened on it, with no `%load_ext` cell. The extension is
added to (not put in place of) what IPython's configuration loads, and the user's profile
still configures kjupyter (`c.K8sMagics...`) as in any kernel. jupyter_client (a dependency
of ipykernel) does the installing, where `jupyter kernelspec install` would.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

NAME = "kjupyter"
DISPLAY_NAME = "Python 3 (kjupyter)"


def spec(python: str = sys.executable) -> dict[str, object]:
    """The kernel.json: this interpreter's ipykernel, with the extension loaded at start."""
    return {
        "argv": [
            python, "-m", "ipykernel_launcher", "-f", "{connection_file}", f"--ext={NAME}"
        ],
        "display_name": DISPLAY_NAME,
        "language": "python",
        "metadata": {"debugger": True},
    }  # fmt: skip


def install(
    *, user: bool = False, prefix: str | None = None, name: str = NAME, python: str | None = None
) -> str:
    """Install the kernel spec; return the directory it went to.

    Default: system-wide (as `jupyter kernelspec install`); `user`: in the user's Jupyter
    data dir; `prefix`: under PREFIX/share/jupyter/kernels (a virtualenv, a conda env).
    """
    from jupyter_client.kernelspec import KernelSpecManager

    if user and prefix:
        raise ValueError("kjupyter.kernelspec: give --user or --prefix, not both")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "kernel.json").write_text(json.dumps(spec(python or sys.executable), indent=1))
        return str(
            KernelSpecManager().install_kernel_spec(
                tmp, kernel_name=name, user=user, prefix=prefix, replace=True
            )
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kjupyter.kernelspec",
        description=f'Install the "{DISPLAY_NAME}" Jupyter kernel (%load_ext kjupyter done).',
    )
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("install", help="install the kernel spec")
    where = command.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="for this user only")
    where.add_argument("--prefix", help="under PREFIX/share/jupyter (a virtualenv)")
    command.add_argument("--name", default=NAME, help=f"kernel name (default {NAME})")
    options = parser.parse_args(argv)
    try:
        place = install(user=options.user, prefix=options.prefix, name=options.name)
    except (OSError, ValueError) as err:
        parser.exit(1, f"kjupyter.kernelspec: cannot install: {err}\n")
    print(f'installed "{DISPLAY_NAME}" in {place}')
    return 0


if __name__ == "__main__":
    sys.exit(main())
