"""Input checks shared by the statistics modules (private).

Every check raises ``ValueError`` with a message naming the argument; nothing here uses
``assert``, so the checks survive ``python -O``.
"""
from __future__ import annotations

import math
import numbers
from decimal import Decimal
from typing import Any

import numpy as np


def as_vector(values: Any, name: str, *, min_len: int = 0, finite: bool = True) -> np.ndarray:
    """A 1-d float64 array of numbers, or ValueError; finite ones only unless ``finite=False``
    (then None becomes NaN, as the array functions of ``vectorized`` take undefined cells).

    Examples
    --------
    >>> as_vector([1, 2.5], "x").tolist()
    [1.0, 2.5]
    >>> as_vector([1.0, None], "x", finite=False).tolist()
    [1.0, nan]
    >>> as_vector([1.0, None], "x")
    Traceback (most recent call last):
    ValueError: x must contain only finite numbers (no NaN, inf or None)
    """
    if isinstance(values, (str, bytes)):
        raise ValueError(f"{name} must be an array of numbers, not a string")
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of numbers ({exc})") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size < min_len:
        raise ValueError(f"{name} needs at least {min_len} value(s), got {arr.size}")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite numbers (no NaN, inf or None)")
    return arr


def as_count(value: Any, name: str, *, minimum: int = 0) -> int:
    """A Python int >= minimum (integral floats such as 3.0 are accepted), or ValueError.

    Examples
    --------
    >>> as_count(3.0, "n"), as_count(12, "n", minimum=1)
    (3, 12)
    >>> as_count(2.5, "n")
    Traceback (most recent call last):
    ValueError: n must be an integer, got 2.5
    """
    if isinstance(value, Decimal) and value.is_finite():
        value = float(value)
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if isinstance(value, numbers.Integral):
        out = int(value)
    elif isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        out = int(value)
    else:
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if out < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {out}")
    return out


def as_real(value: Any, name: str) -> float:
    """A finite Python float, or ValueError (DuckDB's DECIMAL arrives as Decimal: accepted).

    Examples
    --------
    >>> from decimal import Decimal
    >>> as_real(Decimal("2.5"), "mcid")
    2.5
    >>> as_real(float("inf"), "mcid")
    Traceback (most recent call last):
    ValueError: mcid must be a finite number, got inf
    """
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, bool) or value is None or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return out


def as_optional_real(value: Any, name: str) -> float | None:
    """None passes through; anything else must be a finite number.

    Examples
    --------
    >>> as_optional_real(None, "r") is None, as_optional_real(1, "r")
    (True, 1.0)
    """
    return None if value is None else as_real(value, name)


def as_level(level: Any) -> float:
    """A confidence level strictly between 0 and 1.

    Examples
    --------
    >>> as_level(0.95)
    0.95
    >>> as_level(95)
    Traceback (most recent call last):
    ValueError: level must be strictly between 0 and 1, got 95
    """
    out = as_real(level, "level")
    if not 0.0 < out < 1.0:
        raise ValueError(f"level must be strictly between 0 and 1, got {level!r}")
    return out
