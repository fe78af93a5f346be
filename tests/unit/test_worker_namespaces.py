"""The worker's session namespaces, driven directly: which name wins, and what is kept."""

from __future__ import annotations

import gc
import weakref

from kjupyter.worker import execute
from kjupyter.worker.namespaces import Namespaces


class Big:
    """A stand-in for a large value the notebook sent."""


def cell(spaces: Namespaces, code: str, names: dict[str, object], rank: int = 0):
    program = {"session": "s", "world_size": 2, "op": "cell", "code": code, "modules": {}}
    program["names"] = {name: name for name in names}
    run = spaces.prepare(program, names.__getitem__, lambda c: execute.CompiledCell(c, "<t>"))
    return run(rank)


def test_a_rank_name_wins_over_the_notebook_but_a_shipped_one_is_refreshed():
    spaces = Namespaces()
    cell(spaces, "x = RANK + 1", {})
    assert cell(spaces, "(x, base)", {"x": 100, "base": 1}) == (1, 1)
    assert cell(spaces, "(x, base)", {"x": 100, "base": 2}) == (1, 2)


def test_a_shipped_value_the_rank_replaced_is_not_kept_alive():
    spaces = Namespaces()
    big = Big()
    ref = weakref.ref(big)
    cell(spaces, "big = big", {"big": big})
    del big
    cell(spaces, "big = 0", {})
    cell(spaces, "1", {})
    gc.collect()
    assert ref() is None
