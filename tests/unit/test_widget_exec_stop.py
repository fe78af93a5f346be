"""The exec box's stop: the wrapper's PID line is taken off the command's output, whole or in
pieces, and a stream whose stop failed ends with that line once."""

from __future__ import annotations

import threading

import pytest

from kjupyter.errors import BadArgument
from kjupyter.widgets import tree_streams
from kjupyter.widgets.tree_streams import PID_MARK, Command, PidReader, Stream


def reader() -> tuple[PidReader, Command, Stream]:
    stream = Stream(lambda *_: None)
    command = Command(object(), "/namespaces/a/pods/b", "sleep 600", None)
    return PidReader(command, stream), command, stream


@pytest.mark.parametrize(
    "pieces",
    [
        [f"{PID_MARK}42\nstarted\n"],
        [PID_MARK[:3], PID_MARK[3:], "4", "2\nsta", "rted\n"],
        [f"{PID_MARK}42\n", "started\n"],
    ],
)
def test_the_pid_line_is_read_and_kept_out_of_the_output(pieces):
    out, command, stream = reader()
    for piece in pieces:
        assert out.write(piece) == len(piece)
    assert command.pid == "42" and stream.text == "started\n"


def test_output_without_the_mark_is_all_the_commands():
    out, command, stream = reader()
    out.write("\x1eno")  # starts like the mark, then is not it
    out.write(f" mark\n{PID_MARK}7\n")
    assert command.pid is None and stream.text == f"\x1eno mark\n{PID_MARK}7\n"


def test_the_wrapper_says_the_mark_the_reader_looks_for():
    script = tree_streams.WRAPPER[2]
    assert "\\036kjupyter-exec-pid %s\\n" in script and PID_MARK == "\x1ekjupyter-exec-pid "
    assert script.endswith('exec "$@"') and tree_streams.WRAPPER[3] == "sh"  # $0, then argv


def test_a_command_left_open_is_refused_before_anything_runs():
    with pytest.raises(BadArgument, match="cannot split command"):
        tree_streams.run_command(object(), "/namespaces/a/pods/b", {"command": "sh -c 'ls"})


def test_a_stream_that_gave_up_says_so_once_and_not_again_when_its_call_ends():
    shown: list = []
    wrote, release = threading.Event(), threading.Event()
    stream = Stream(lambda text, ended: shown.append((text, ended)))

    def work(stream: Stream) -> str:
        stream.write("printed\n")
        wrote.set()
        release.wait(30)
        return "stopped"

    stream.start(work, name="test")
    assert wrote.wait(30)
    stream.give_up("could not stop the command: no rights")
    stream.give_up("again")
    release.set()
    stream.join(30)
    ends = [entry for entry in shown if entry[1] is not None]
    assert ends == [("printed\n", "could not stop the command: no rights")] and stream.failed
