"""`renamed`: the warning an old keyword gives once a public name changed (issue 13).

Old names keep working, with a `DeprecationWarning` that names the new one, for a release or
two; the call's behaviour is the new name's.
"""

from __future__ import annotations

import warnings


def renamed(where: str, old: str, new: str, *, stacklevel: int = 3) -> None:
    """Warn that `where(old=...)` is now `where(new=...)`, pointing at the caller's line."""
    warnings.warn(
        f"{where}({old}=...) is deprecated; use {where}({new}=...)",
        DeprecationWarning,
        stacklevel=stacklevel,
    )
