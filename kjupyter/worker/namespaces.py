"""The worker side of sessions: namespaces that live across tasks, one per kernel session.

A "px" program (see `kjupyter.run.messages`) names its session; its namespace is made on first
use and kept until the worker exits. Names the notebook sends along fill the namespace, but a
name the rank set itself (a cell assigned it, or it was pushed or scattered) is never
overwritten by the notebook's: the rank's state is what a session is for.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

from kjupyter.worker import execute

Resolve = Callable[[str], Any]


class Namespaces:
    """Every session namespace of this worker, and which names came from the notebook."""

    def __init__(self) -> None:
        self.spaces: dict[str, dict[str, Any]] = {}
        self.shipped: dict[str, dict[str, Any]] = {}  # session -> name -> object the kernel sent

    def space(self, session: str, rank: int, world_size: int) -> dict[str, Any]:
        """The namespace of `session`, with RANK and WORLD_SIZE set (variables and env)."""
        space = self.spaces.get(session)
        if space is None:
            space = self.spaces[session] = execute.cell_namespace({}, rank, world_size)
            self.shipped[session] = {}
        else:
            environ = os.environ
            # Written only when changed: two putenv calls were a tenth of a trivial cell's time.
            if environ.get("RANK") != str(rank) or environ.get("WORLD_SIZE") != str(world_size):
                execute.cell_namespace({}, rank, world_size)
            space["RANK"], space["WORLD_SIZE"] = rank, world_size
        return space

    def _fill(self, session: str, space: dict[str, Any], objects: dict[str, Any]) -> None:
        shipped = self.shipped[session]
        for name in [n for n, value in shipped.items() if space.get(n) is not value]:
            del shipped[name]  # the rank rebound or deleted it: it is the rank's, not kept here
        for name, value in objects.items():
            if name not in space or (name in shipped and space[name] is shipped[name]):
                space[name] = shipped[name] = value

    def prepare(
        self,
        program: dict[str, Any],
        resolve: Resolve,
        compiled: Callable[[str], Any],
        take: Resolve | None = None,
    ) -> Callable[[Any], Any]:
        """The callable that runs one rank's argument of a px program.

        `take` loads a pushed value without keeping its blob (`Session.take`): the namespace
        is its only holder, so a value pushed again frees the old one's memory.
        """
        session, world, op = program["session"], program["world_size"], program["op"]
        if op == "cell":
            cell = compiled(program["code"])
            objects = {name: resolve(key) for name, key in program["names"].items()}
            for name, module in program["modules"].items():
                objects[name] = importlib.import_module(module)

            def run_cell(rank: int) -> Any:
                space = self.space(session, rank, world)
                self._fill(session, space, objects)
                return cell(space)

            return run_cell
        if op == "push":
            load = take or resolve
            values = {name: load(key) for name, key in program["names"].items()}

            def push(rank: int) -> None:
                self._own(session, rank, world, values)

            return push
        if op == "set":
            name = program["name"]

            def put(arg: tuple[int, Any]) -> None:
                rank, value = arg
                self._own(session, rank, world, {name: value})

            return put
        if op == "get":
            name = program["name"]

            def get(rank: int) -> Any:
                space = self.space(session, rank, world)
                if name not in space:
                    raise NameError(f"name {name!r} is not defined on rank {rank}")
                return space[name]

            return get
        raise ValueError(f"unknown session operation {op!r}")

    def _own(self, session: str, rank: int, world: int, values: dict[str, Any]) -> None:
        """Set names as the rank's own: later notebook values of them do not replace them."""
        space = self.space(session, rank, world)
        space.update(values)
        for name in values:
            self.shipped[session].pop(name, None)
