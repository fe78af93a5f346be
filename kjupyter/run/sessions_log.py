"""The replay log of a session: what built each rank's namespace, in order.

The kernel sees every cell a rank ran and every value pushed or scattered to it, so it can
rebuild a rank whose worker died by replaying these steps on a replacement. A step keeps its
program and blobs (large buffers by reference: a blob's parts are views of the values, not
copies) and, for a scatter, the whole value, cut again for the rank when replayed. A step is
logged for a rank only when it succeeded there; a failed or cancelled cell changed the rank in
ways no replay can reproduce exactly, and is left out. Steps marked not replayable (side
effects) stop a rebuild before them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kjupyter.run.capture import Blob

LABEL_CHARS = 40


@dataclass(eq=False)
class Step:
    """One thing that changed ranks' namespaces: a cell, a push or a scatter."""

    number: int  # 1, 2, ... in the order the session ran them
    label: str  # what the user recognises: "cell 3 (`df = load(RANK)`)"
    program: dict[str, Any]
    blobs: dict[str, Blob]
    replay: bool = True
    data: Any = None  # a scatter's whole value (by reference)


def describe_cell(number: int, code: str) -> str:
    """`cell 3 (`first line…`)`: how a log step names a cell in messages."""
    lines = [line.strip() for line in code.strip().splitlines() if line.strip()]
    first = lines[0] if lines else ""
    if len(first) > LABEL_CHARS or len(lines) > 1:
        first = first[:LABEL_CHARS].rstrip() + "…"
    return f"cell {number} (`{first}`)"


@dataclass
class ReplayLog:
    """Steps per rank, in order; steps are shared between ranks, never copied."""

    ranks: dict[int, list[Step]] = field(default_factory=dict)
    counter: int = 0

    def next_number(self) -> int:
        """The number of the next step (cells and values share one count)."""
        self.counter += 1
        return self.counter

    def record(self, step: Step, ranks: list[int]) -> None:
        """`step` succeeded on `ranks`: replay it when one of them is rebuilt.

        A push or scatter makes the value steps just before it (back to the last cell) that
        set only names it sets again needless: a replay ends in the same namespace without
        them, and the kernel no longer keeps their values alive (100 MB a push, otherwise).
        """
        sets = _names_set(step)
        for rank in ranks:
            steps = self.ranks.setdefault(rank, [])
            if sets:
                at = len(steps)
                while at and _names_set(steps[at - 1]):
                    at -= 1
                    if _names_set(steps[at]) <= sets:
                        del steps[at]
            steps.append(step)

    def steps(self, rank: int) -> list[Step]:
        """What built `rank`, in order."""
        return list(self.ranks.get(rank, ()))

    def blocker(self, rank: int) -> Step | None:
        """The first step of `rank` that may not be replayed, if any."""
        return next((s for s in self.ranks.get(rank, ()) if not s.replay), None)


def _names_set(step: Step) -> frozenset[str]:
    """The names a value step (push, scatter) sets; empty for a cell, which may read any."""
    op = step.program.get("op")
    if op == "push":
        return frozenset(step.program["names"])
    if op == "set":
        return frozenset([step.program["name"]])
    return frozenset()
