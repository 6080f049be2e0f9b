"""JSON reading for files gldash stores: numbers stay finite and nesting cannot crash a build.

Python's json module reads `NaN`, `Infinity` and `1e999` (which becomes infinity) and
recurses once per nesting level. A stored snapshot or history holding such a number would
break every later build, and a file nested 100,000 deep would end one with a traceback;
both come out here as data (`null`) or as an ordinary JSONDecodeError.
"""

from __future__ import annotations

import json
import math
from typing import Any


def _finite(text: str) -> float | None:
    number = float(text)
    return number if math.isfinite(number) else None


def _no_constant(_name: str) -> None:
    return None  # NaN, Infinity, -Infinity


def loads(data: bytes | str) -> Any:
    """Parse JSON; non-finite numbers become None; too deep nesting is a JSONDecodeError."""
    try:
        return json.loads(data, parse_float=_finite, parse_constant=_no_constant)
    except RecursionError:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        raise json.JSONDecodeError("nested too deeply", text[:1], 0) from None
