"""`critical_chain`: where a workload's start-up time went, as `systemd-analyze critical-chain`.

The chain ends at the unit's slowest current pod (the one whose readiness made the unit
active); each of its phases shows when it ended (`@`, from the first pod's creation) and how
long it took (`+`). Units it requires come first, with the time they became ready, so a slow
dependency shows up as the link that held everything back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from kjupyter.units import phases, workloads

if TYPE_CHECKING:
    import pandas as pd

    from kjupyter.cluster.api import Cluster


@dataclass
class CriticalChain:
    """The chain of one unit: its pods' phases (`frame`) and those of what it requires."""

    unit: str
    state: str
    frame: Any  # DataFrame, one row per pod: phase end times, step durations, critical flag
    requires: list[CriticalChain] = field(default_factory=list)

    @property
    def ready_after(self) -> float | None:
        """Seconds from the first pod's creation to the last pod's readiness."""
        if self.frame.empty or self.frame["ready"].isna().any():
            return None
        return (self.frame["ready"].max() - self.frame["created"].min()).total_seconds()

    def lines(self, indent: str = "") -> list[str]:
        ready = self.ready_after
        head = f"{self.unit} ({self.state})"
        head += f": ready {ready:g}s after its first pod was created" if ready is not None else ""
        out = [indent + head]
        if self.frame.empty:
            out.append(indent + "  no current pods")
        else:
            critical = self.frame[self.frame["critical"]].iloc[0]
            origin = self.frame["created"].min()
            out.append(indent + f"└─pod/{critical.name} (slowest of {len(self.frame)})")
            for phase in phases.PHASES:
                when = critical[phase]
                if when is None or str(when) == "NaT":
                    out.append(indent + f"    {phase:<12} not reached")
                    continue
                at = f"@{(when - origin).total_seconds():g}s"
                took = critical.get(f"{phase}_s")
                plus = f" +{took:g}s" if took is not None and str(took) != "nan" else ""
                why = f"  ({phases.WHY[phase]})" if phase in phases.WHY and took else ""
                out.append(indent + f"    {phase:<12} {at}{plus}{why}")
        for required in self.requires:
            out.append(indent + "  requires:")
            out.extend(required.lines(indent + "    "))
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


def pods_frame(pods: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per pod: when each phase ended, what each took, and which pod was slowest."""
    import pandas as pd

    from kjupyter.units import starting

    rows = []
    for pod in pods:
        ended = phases.pod_phases(pod)
        seen = starting.observed(str(pod["metadata"].get("uid") or ""))
        for phase, at in seen.items():  # this kernel's watch saw it: milliseconds, not seconds
            if ended.get(phase) is not None:
                ended[phase] = datetime.fromtimestamp(at, tz=timezone.utc)
        took = phases.steps(ended)
        rows.append(
            {
                "pod": pod["metadata"]["name"],
                **ended,
                **{f"{phase}_s": seconds for phase, seconds in took.items()},
                "resolution": "ms" if seen else "s",
            }
        )
    columns = ["pod", *phases.PHASES, *(f"{p}_s" for p in phases.PHASES[1:]), "resolution"]
    frame = pd.DataFrame(rows, columns=columns).set_index("pod")
    for phase in phases.PHASES:
        frame[phase] = pd.to_datetime(frame[phase], utc=True)
    if frame.empty:
        frame["critical"] = pd.Series(dtype=bool)
        return frame
    finish = frame["ready"].fillna(pd.Timestamp.max.tz_localize("UTC"))
    frame["critical"] = False
    frame.loc[finish.idxmax(), "critical"] = True
    return frame.sort_values("created")


def critical_chain(cluster: Cluster, path: str, *, depth: int = 3) -> CriticalChain:
    """The critical chain of the unit at `path`, and of the units it requires (to `depth`)."""
    return _chain(cluster, workloads.load(cluster, path), depth, seen=set())


def _chain(cluster: Cluster, unit: workloads.Unit, depth: int, seen: set[str]) -> CriticalChain:
    seen = seen | {unit.ref}
    chain = CriticalChain(unit.ref, unit.state, pods_frame(workloads.current_pods(cluster, unit)))
    if depth > 0:
        for ref in unit.requires:
            if ref in seen:
                continue
            required = workloads.load(cluster, ref, namespace=unit.namespace)
            chain.requires.append(_chain(cluster, required, depth - 1, seen))
    return chain
