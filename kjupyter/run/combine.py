"""Results that combine: the values of a run, map or px as one DataFrame or one array.

A results frame of `run`/`px` (a `rank` column) or `map` (an `item` column) whose values are
DataFrames becomes one DataFrame keyed by that column; arrays become one array (concatenated
along axis 0; scalars and 0-d arrays are stacked). A failed row is never dropped silently: it
raises, naming it, unless `skip_failed=True`.
"""

from __future__ import annotations

from typing import Any

from kjupyter.run import messages


def combine(results: Any, *, skip_failed: bool = False) -> Any:
    """One DataFrame (keyed by rank or item) or one array from a results frame's values."""
    import numpy as np
    import pandas as pd

    if not isinstance(results, pd.DataFrame) or "value" not in results.columns:
        raise TypeError(
            "combine takes the results DataFrame of kjupyter.run, map or a session's px "
            f"(not a {type(results).__name__})"
        )
    label = "rank" if "rank" in results.columns else "item"
    rows = results
    if "status" in results.columns:
        failed = results[results["status"] != messages.OK]
        if len(failed) and not skip_failed:
            first = failed.iloc[0]
            raise ValueError(
                f"{len(failed)} of {len(results)} tasks failed ({label} {first[label]}: "
                f"{first['error']}); pass skip_failed=True to combine the others"
            )
        rows = results[results["status"] == messages.OK]
    values = list(rows["value"])
    keys = list(rows[label])
    if not values:
        raise ValueError("no values to combine: every task failed or none ran")
    if all(isinstance(v, pd.DataFrame) for v in values):
        return pd.concat(values, keys=keys, names=[label])
    if all(isinstance(v, pd.Series) for v in values):
        return pd.concat(values, keys=keys, names=[label])
    if all(isinstance(v, (np.ndarray, np.generic, int, float, complex)) for v in values):
        arrays = [np.asarray(v) for v in values]
        if all(a.ndim == 0 for a in arrays):
            return np.stack(arrays)
        if all(a.ndim >= 1 for a in arrays):
            return np.concatenate(arrays)
    kinds = sorted({type(v).__name__ for v in values})
    raise TypeError(
        f"cannot combine values of types {', '.join(kinds)}: combine joins DataFrames, "
        "Series or numpy arrays; use results['value'] for the others"
    )
