"""The tree's streamed detail (a followed log, an exec): what the pane is told, and stopping."""

from __future__ import annotations

import threading

import pytest

from kjupyter.errors import BadArgument, Forbidden
from kjupyter.widgets import tree_streams
from kjupyter.widgets.tree_streams import Stream


def run(work) -> tuple[Stream, list[tuple[str, str | None]]]:
    shown: list[tuple[str, str | None]] = []
    stream = Stream(lambda text, ended: shown.append((text, ended)))
    stream.start(work, name="test")
    stream.join(30)
    assert not stream.running
    return stream, shown


def test_the_last_word_has_all_the_text_and_the_status():
    def work(stream: Stream) -> str:
        stream.write("one\n")
        stream.write("two\n")
        return "the log ended"

    stream, shown = run(work)
    assert shown[-1] == ("one\ntwo\n", "the log ended") and not stream.failed
    assert all(ended is None for _, ended in shown[:-1])  # earlier updates were partial


def test_a_kjupyter_error_is_the_one_line_ending_and_marks_it_failed():
    def work(stream: Stream) -> str:
        stream.write("partial\n")
        raise Forbidden("pods/log is forbidden")

    stream, shown = run(work)
    assert shown[-1] == ("partial\n", "pods/log is forbidden") and stream.failed


def test_after_stop_a_write_ends_the_call_and_a_broken_read_reads_as_stopped():
    started, release = threading.Event(), threading.Event()

    def work(stream: Stream) -> str:
        started.set()
        release.wait(30)
        stream.write("too late\n")  # raises Stopped: the follow loop ends as on Ctrl-C
        return "not reached"

    shown: list = []
    stream = Stream(lambda text, ended: shown.append((text, ended)))
    stream.start(work, name="test")
    assert started.wait(30)
    stream.stop()
    release.set()
    stream.join(30)
    assert shown == [("", "stopped")] and not stream.failed

    def broken(stream: Stream) -> str:
        stream.stop()
        raise OSError("connection shut")  # what a shut HTTP stream raises in its reader

    assert run(broken)[1][-1] == ("", "stopped")


def test_stop_shuts_the_response_it_was_given_even_before_it_opened():
    class Response:
        shut = 0

        def shutdown(self) -> None:
            self.shut += 1

    stream, response = Stream(lambda *_: None), Response()
    stream.opened(response)
    stream.stop()
    assert response.shut == 1
    late = Stream(lambda *_: None)
    late.stop()
    late.opened(response)  # a stop that came first shuts the stream as soon as it exists
    assert response.shut == 2


def test_the_pane_keeps_the_newest_text():
    def work(stream: Stream) -> str:
        stream.write("a" * tree_streams.KEEP)
        stream.write("tail")
        return "done"

    text, _ = run(work)[1][-1]
    assert len(text) == tree_streams.KEEP and text.endswith("tail")


def test_a_blank_command_is_refused_before_anything_runs():
    with pytest.raises(BadArgument, match="exec needs a command"):
        tree_streams.run_command(object(), "/namespaces/a/pods/b", {"command": "  "})
