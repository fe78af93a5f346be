"""Tab completion of `%k8s` lines, as Jupyter asks for it.

Jupyter's `complete_request` reaches IPython's `Completer.completions()`, where a
`complete_command` hook sits beside jedi and the Python matchers: `%k8s ls pods/<TAB>` offered
200 builtins glued to the path before the pods (issue 10). A matcher (IPython >= 8.6 API v2)
that claims `%k8s` lines and suppresses the others gives kubectl-like completion alone.
"""

from __future__ import annotations

import re
from typing import Any

from kjupyter.magics import dispatch, verbs

# `%k8s ...`, `%%k8s ...` or `name = %k8s ...`: where a `%k8s` line starts
_K8S_LINE = re.compile(r"^\s*(?:[\w.]+\s*=\s*)?(%%?k8s(?:\s.*)?)$", re.DOTALL)
IDENTIFIER = "kjupyter.k8s"


def k8s_words(line: str) -> str | None:
    """The `%k8s ...` part of the line before the cursor, or None on other lines."""
    found = _K8S_LINE.match(line)
    return found.group(1) if found else None


def install(ipython: Any, context: verbs.MagicContext) -> None:
    """Register a matcher that answers alone for `%k8s` lines."""
    from IPython.core.completer import SimpleCompletion, context_matcher

    @context_matcher(identifier=IDENTIFIER)
    def k8s_matcher(completion: Any) -> dict[str, Any]:
        line = k8s_words(completion.line_with_cursor)
        if line is None:
            return {"completions": [], "suppress": False}
        prefix = "" if line.endswith((" ", "\t")) else line.split()[-1]
        candidates = dispatch.complete(context, line)
        return {
            "completions": [SimpleCompletion(text=c, type="k8s") for c in candidates],
            "matched_fragment": prefix,
            "suppress": True,  # no Python names beside paths and verbs
            "ordered": True,
        }

    matchers = ipython.Completer.custom_matchers
    matchers[:] = [m for m in matchers if getattr(m, "matcher_identifier", None) != IDENTIFIER]
    matchers.append(k8s_matcher)
