"""What magics leave on screen (issue 11 defect 11): `-o NAME` stores without also showing the
frame; `pool down` says what it did as text, not as a quoted string."""

from __future__ import annotations

from IPython.utils.capture import capture_output


def test_out_name_stores_the_frame_and_shows_only_the_summary(ip):
    with capture_output() as out:
        result = ip.run_cell("%%k8s run -n 2 --backend local -o res\nRANK * 10")
    assert result.error_in_exec is None
    assert list(ip.user_ns["res"]["value"]) == [0, 10]
    assert result.result is None  # nothing for the notebook to draw
    assert "2 tasks on local" in out.stdout and "traceback" not in out.stdout


def test_pool_down_is_shown_as_text(ip):
    with capture_output() as out:
        ip.run_cell("%k8s pool down")
    assert out.stdout.strip().endswith("stopped 0 worker pods")
    assert "'" not in out.stdout
