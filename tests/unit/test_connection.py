"""Connection errors seen by the user: one line, specific (no cluster needed for these)."""

from __future__ import annotations

import socket

import pytest

import kjupyter
from kjupyter.errors import NotFound, Unreachable


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def kubeconfig(tmp_path):
    path = tmp_path / "config"
    path.write_text(f"""\
apiVersion: v1
kind: Config
clusters:
- name: gone
  cluster: {{server: "https://127.0.0.1:{closed_port()}", insecure-skip-tls-verify: true}}
users:
- name: someone
  user: {{token: not-a-real-token}}
contexts:
- name: gone
  context: {{cluster: gone, user: someone, namespace: ml}}
current-context: gone
""")
    return str(path)


def test_unreachable_server_is_one_line(kubeconfig):
    cluster = kjupyter.connect(kubeconfig=kubeconfig)
    assert cluster.pwd() == "/namespaces/ml"
    with pytest.raises(Unreachable) as caught:
        cluster.ls("pods")
    message = str(caught.value)
    assert "cannot reach the API server at https://127.0.0.1:" in message
    assert "'gone'" in message and "\n" not in message
    assert caught.value._render_traceback_() == [f"Unreachable: {message}"]


def test_unknown_context_lists_the_known_ones(kubeconfig):
    with pytest.raises(NotFound, match="no context 'nope' in the kubeconfig; contexts: gone"):
        kjupyter.connect(context="nope", kubeconfig=kubeconfig)


def test_missing_kubeconfig(tmp_path):
    with pytest.raises(NotFound, match="no kubeconfig at"):
        kjupyter.connect(kubeconfig=str(tmp_path / "absent"))


@pytest.mark.parametrize("what", ["passwd", "directory", "yaml list", "binary"])
def test_a_file_that_is_no_kubeconfig_is_one_line(tmp_path, what):
    from kjupyter.errors import BadArgument

    path = {
        "passwd": "/etc/passwd",
        "directory": str(tmp_path),
        "yaml list": str(tmp_path / "list.yaml"),
        "binary": str(tmp_path / "blob"),
    }[what]
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    (tmp_path / "blob").write_bytes(b"\x00\xff\xfe\x81")
    with pytest.raises(BadArgument, match="is not a kubeconfig") as raised:
        kjupyter.connect(kubeconfig=path)
    assert path in str(raised.value) and "\n" not in str(raised.value)


def test_a_translated_error_keeps_its_cause_and_its_one_line(kubeconfig):
    """Client errors are translated once, chained (`raise ... from err`): the user still sees
    one line, and a debugger or a log sees what the client raised underneath."""
    import urllib3

    cluster = kjupyter.connect(kubeconfig=kubeconfig)
    with pytest.raises(Unreachable) as caught:
        cluster.ls("pods")
    cause = caught.value.__cause__
    assert isinstance(cause, (urllib3.exceptions.HTTPError, OSError)), repr(cause)
    assert caught.value._render_traceback_() == [f"Unreachable: {caught.value}"]


@pytest.mark.parametrize("what", ["binary", "bad yaml"])
def test_a_bad_kubeconfig_error_keeps_its_cause(tmp_path, what):
    from kjupyter.errors import BadArgument

    path = tmp_path / "config"
    if what == "binary":
        path.write_bytes(b"\x00\xff\xfe\x81")
    else:
        path.write_text("clusters: [unclosed\n")
    with pytest.raises(BadArgument, match="is not a kubeconfig") as raised:
        kjupyter.connect(kubeconfig=str(path))
    cause = type(raised.value.__cause__).__name__
    assert cause == ("UnicodeDecodeError" if what == "binary" else "ParserError"), cause
    assert raised.value._render_traceback_() == [f"BadArgument: {raised.value}"]
    assert raised.value._render_traceback_() == [f"BadArgument: {raised.value}"]
