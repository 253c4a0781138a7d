"""What each ``--param`` accepts, so bad values fail before any solving.

A method declares its parameters as ``{name: kind}``
(``@method(..., params={...})``); :func:`schedcert.registry.check_params`
refuses unknown names and values of the wrong kind with one line naming the
key and what was expected (a bad value used to be a ValueError traceback,
sometimes after the solve, or was not noticed at all when the code path that
reads it did not run). ``sat.*`` stands for any CP-SAT parameter; field
and value are checked against CP-SAT's own ``SatParameters``
(:func:`schedcert.cpsat.sat_value`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

CPSAT = "sat.*"


@dataclass(frozen=True)
class Kind:
    """What a parameter accepts: `expected` says it in words, `accepts`
    tests a value as given on the command line (a string) or in code."""

    expected: str
    accepts: Callable[[object], bool]


def _number(value, cast):
    try:
        return cast(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        return None


def integer(low: int | None = None, high: int | None = None) -> Kind:
    """An integer in ``[low, high]`` (either end open when None)."""
    rng = _range(low, high)

    def ok(v):
        x = _number(v, int)
        return x is not None and (low is None or x >= low) and (high is None or x <= high)

    return Kind(f"an integer{rng}", ok)


def number(low: float | None = None, high: float | None = None, above: float | None = None) -> Kind:
    """A number in ``[low, high]``, and ``> above`` when given."""
    rng = _range(low, high) if above is None else f" > {above}"

    def ok(v):
        x = _number(v, float)
        return x is not None and x == x and (low is None or x >= low) and (high is None or x <= high) \
            and (above is None or x > above)

    return Kind(f"a number{rng}", ok)


def _range(low, high) -> str:
    if low is not None and high is not None:
        return f" from {low} to {high}"
    if low is not None:
        return f" >= {low}"
    return f" <= {high}" if high is not None else ""


SECONDS = Kind("seconds >= 0", number(0).accepts)
FLAG = Kind("0 or 1", lambda v: str(v).strip() in ("0", "1"))


def choice(*options: str) -> Kind:
    """One of `options` (exactly as written)."""
    return Kind("one of " + ", ".join(options), lambda v: str(v).strip() in options)


def problem_of(value, kind: Kind) -> str | None:
    """None if `kind` accepts `value`, else what was expected."""
    return None if kind is None or kind.accepts(value) else kind.expected
