"""`python -m kjupyter.kernelspec install`: a kernel that starts with %k8s loaded (Deliver 6)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import start_new_kernel


def install(tmp_path, *args):
    return subprocess.run(
        [sys.executable, "-m", "kjupyter.kernelspec", "install", *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_installed_kernel_starts_with_the_magic_and_ipython_config(tmp_path, monkeypatch):
    done = install(tmp_path, "--prefix", str(tmp_path / "env"))
    assert done.returncode == 0, done.stderr
    place = tmp_path / "env" / "share" / "jupyter" / "kernels" / "kjupyter"
    assert done.stdout.strip() == f'installed "Python 3 (kjupyter)" in {place}'
    spec = json.loads((place / "kernel.json").read_text())
    assert spec["display_name"] == "Python 3 (kjupyter)" and spec["argv"][0] == sys.executable

    # The user's own IPython configuration still applies: an extension it loads, and a
    # default for kjupyter's magics, are both there beside %k8s.
    profile = tmp_path / "ipython" / "profile_default"
    profile.mkdir(parents=True)
    (profile / "ipython_kernel_config.py").write_text(
        "c.InteractiveShellApp.extensions = ['autoreload']\n"
        "c.InteractiveShellApp.exec_lines = ['CONFIGURED = 42']\n"
    )
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "env" / "share" / "jupyter"))
    manager = KernelSpecManager()
    assert manager.get_kernel_spec("kjupyter").display_name == "Python 3 (kjupyter)"
    kernel, client = start_new_kernel(kernel_name="kjupyter", env=dict(os.environ))
    try:
        code = (
            "ip = get_ipython(); "
            "print(sorted(e.rsplit('.', 1)[-1] for e in ip.extension_manager.loaded if e.endswith("
            "('kjupyter', 'autoreload'))), 'k8s' in ip.magics_manager.magics['line'], CONFIGURED)"
        )
        out: list[str] = []
        reply = client.execute_interactive(
            code, timeout=60, output_hook=lambda m: out.append(m["content"].get("text", ""))
        )
        assert reply["content"]["status"] == "ok"
        assert "".join(out).strip() == "['autoreload', 'kjupyter'] True 42"
    finally:
        client.stop_channels()
        kernel.shutdown_kernel(now=True)


def test_user_and_prefix_together_is_one_line(tmp_path):
    done = install(tmp_path, "--user", "--prefix", str(tmp_path))
    assert done.returncode == 2 and "not allowed with argument" in done.stderr
    assert "Traceback" not in done.stderr
