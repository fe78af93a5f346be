"""`cp` to and from a pod (issue 10, item 4), tar over exec as kubectl cp, with the cluster's
kubectl as the oracle: what kjupyter copies out of a pod is what kubectl copies out of it."""

from __future__ import annotations

import subprocess

import pytest

from kjupyter.errors import BadArgument, CommandFailed


def tree_of(root) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_cp_a_directory_to_a_pod_and_back_as_kubectl(
    k8s, web, tmp_path, kubectl_binary, cluster, namespace
):
    source = tmp_path / "data"
    (source / "nested").mkdir(parents=True)
    (source / "a.txt").write_text("alpha\n")
    (source / "nested" / "b.bin").write_bytes(bytes(range(256)) * 4096)  # 1 MiB, binary
    copied = k8s.cp(str(source), f"pods/{web[0]}:/tmp/copied")
    assert copied.files == 2 and copied.size == 6 + 256 * 4096
    listed = k8s.exec(f"pods/{web[0]}", "sh -c 'cd /tmp/copied && find . -type f | sort'")
    assert listed.stdout.split() == ["./a.txt", "./nested/b.bin"]
    back = k8s.cp(f"pods/{web[0]}:/tmp/copied", str(tmp_path / "back"))
    assert back.files == 2 and tree_of(tmp_path / "back") == tree_of(source)
    done = subprocess.run(
        [kubectl_binary, "--kubeconfig", cluster.kubeconfig, "-n", namespace, "cp",
         f"{web[0]}:/tmp/copied", str(tmp_path / "by-kubectl")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert tree_of(tmp_path / "by-kubectl") == tree_of(tmp_path / "back")
    # one file, into a local directory under its own name; a workload stands for its pod
    k8s.cp("deploy/web:/tmp/copied/a.txt", str(tmp_path))
    assert (tmp_path / "a.txt").read_text() == "alpha\n"


def test_cp_refusals_are_one_line(k8s, web, tmp_path):
    with pytest.raises(BadArgument, match="one side is PATH:FILE"):
        k8s.cp(str(tmp_path), str(tmp_path / "x"))
    with pytest.raises(BadArgument, match="no local file or directory"):
        k8s.cp(str(tmp_path / "absent"), f"pods/{web[0]}:/tmp/x")
    with pytest.raises(CommandFailed, match=r"tar in pods/.* exited 2") as failed:
        k8s.cp(f"pods/{web[0]}:/no/such/file", str(tmp_path / "x"))
    assert "\n" not in str(failed.value)
    assert not (tmp_path / "x").exists()


def test_cp_magic(shell, web, tmp_path):
    (tmp_path / "note.txt").write_text("hello\n")
    shown = shell.run_line_magic("k8s", f"cp {tmp_path / 'note.txt'} pods/{web[0]}:/tmp/note.txt")
    assert "1 files" in repr(shown)
    shell.run_line_magic("k8s", f"cp pods/{web[0]}:/tmp/note.txt {tmp_path / 'again.txt'}")
    assert (tmp_path / "again.txt").read_text() == "hello\n"
