"""The engine's queue of rows to send, and the table's bulk writes: pure logic."""

from __future__ import annotations

from kjupyter.run.engine import RowQueue
from kjupyter.run.tasks import OK, RUNNING, TaskTable


def test_chunks_are_consecutive_slices_and_retried_rows_come_back_first_one_each():
    queue = RowQueue(range(10))
    assert queue.take(4) == range(0, 4) and queue.take(4) == range(4, 8) and len(queue) == 2
    queue.push_front([5, 2])  # retried after a death, in the order they were sent
    assert [queue.take(4) for _ in range(2)] == [range(5, 6), range(2, 3)]  # alone, in order
    assert queue.first() == 8 and queue.take(4) == range(8, 10) and len(queue) == 0


def test_a_stream_appends_to_its_last_range_and_a_failed_send_goes_back_whole():
    queue = RowQueue(range(0))
    for row in range(3):
        queue.append(row)
    chunk = queue.take(10)
    assert chunk == range(0, 3)
    queue.push_front(chunk)  # never sent: the same chunk again
    assert queue.parts[0] == range(0, 3) and list(queue.pop_all()) == [0, 1, 2]
    assert len(queue) == 0 and not queue.parts


def test_bulk_writes_touch_only_their_rows():
    table = TaskTable.of(list(range(6)))
    table.mark(range(1, 4), RUNNING)
    table.mark([5], OK)
    assert list(table.status) == [0, RUNNING, RUNNING, RUNNING, 0, OK]
    table.add_attempt(range(2, 5))
    table.add_attempt([2])
    assert list(table.attempts) == [0, 0, 2, 1, 1, 0]
    table.attempts[0] = 255
    table.add_attempt(range(0, 1))  # capped, never wrapped to 0
    assert table.attempts[0] == 255
    assert table.failed() == 5 and table.count(RUNNING) == 3
