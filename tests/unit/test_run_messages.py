"""The worker protocol's messages: built by constructors, read by `parse` into named fields."""

from __future__ import annotations

import array

import pytest

from kjupyter.errors import ProtocolError
from kjupyter.run import messages, wire

BUILT = [
    (messages.work(["old"], [("k", 2)], [({"kind": "call"}, [1, 2], 1)]), messages.Work),
    (messages.cancel([3]), messages.Cancel),
    (messages.cancel(None), messages.Cancel),
    (messages.PING, messages.Ping),
    (messages.BYE, messages.Bye),
    (messages.hello({"pid": 1}), messages.Hello),
    (messages.out(7, "stdout", "hi\n"), messages.Out),
    (messages.done([], None), messages.Done),
]


@pytest.mark.parametrize(("built", "kind"), BUILT, ids=[k.__name__ for _, k in BUILT])
def test_every_message_travels_as_builtins_and_parses_to_its_kind(built, kind):
    received = wire.loads_message(wire.dumps_message(built))  # the no-globals unpickler
    parsed = messages.parse(received)
    assert type(parsed) is kind and tuple(parsed) == built[1:]


def test_fields_are_named():
    assert messages.parse(messages.out(7, "stderr", "x")).stream == "stderr"
    assert messages.parse(messages.work([], [], [])).runs == []


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (("nope",), "unknown message 'nope'"),
        (("out", 1), "message 'out' has 1 fields"),
        ([], "must be a non-empty tuple, not list"),
        ((), "must be a non-empty tuple"),
        ((1, 2), "unknown message 1"),
    ],
)
def test_a_malformed_message_is_one_line(raw, says):
    with pytest.raises(ProtocolError) as raised:
        messages.parse(raw)
    assert says in str(raised.value) and "\n" not in str(raised.value)


def test_result_rows_reads_rows_then_columns():
    row = (1, messages.ERROR, 0, "boom", "tb", 1.0, 2.0, None)
    started, finished = array.array("d", [3.0, 5.0]), array.array("d", [4.0, 6.0])
    columns = ([2, 3], started.tobytes(), finished.tobytes(), ["a", 9])
    rows = messages.result_rows(messages.done([row], columns))
    assert rows == [
        row,
        (2, messages.OK, 0, "", "", 3.0, 4.0, "a"),
        (3, messages.OK, 0, "", "", 5.0, 6.0, 9),
    ]
    with pytest.raises(ProtocolError):
        messages.result_rows(messages.done([], ([1], b"", b"", [])))  # columns of unequal length


def test_consecutive_ids_travel_as_a_block_and_others_as_a_list():
    assert messages.id_block(range(5, 1005)) == (5, 1000)
    assert messages.id_block((7, 8, 9)) == (7, 3)  # a batch's ids, found consecutive
    assert messages.id_block([1, 3, 2, 4]) == [1, 3, 2, 4]  # first and last fit, order does not
    assert messages.id_block([]) == []
    block = wire.loads_message(wire.dumps_message(messages.id_block(range(5, 1005))))
    assert messages.ids_of(block) == range(5, 1005)  # no range object on the wire
    assert messages.ids_of([4, 2]) == [4, 2]
    for bad in [(1, -1), (1.0, 2), (1, 2, 3), "12", None]:
        with pytest.raises(ProtocolError, match="task ids must be"):
            messages.ids_of(bad)
