"""Grid files: the axes of a policy sweep and their values; the product is the list of runs.

A grid names fixed policy fields (``base``) and one list of values per swept field (``axes``)::

    base: {method: minvar, leverage: 2, topup: 0.25}
    axes:
      ratio: [0.25, 0.5, 0.75, 1.0]
      band: [0.0, 0.05, 0.10]
      window: {start: 30, stop: 180, num: 6}    # evenly spaced, both ends included

Every value is checked against the bounds of :class:`~hedgekit.backtest.engine.Policy` (the
same pydantic model as a backtest config's ``policies:``) before anything runs; the first bad
one is an :class:`InputError` naming the axis and the value: ``axes.ratio[2]: must be <= 5 (got 7)``.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hedgekit._validation import from_validation_error, read_yaml
from hedgekit.backtest.config import PolicyConfig
from hedgekit.errors import InputError

__all__ = ["MAX_RUNS", "PARAMETERS", "GridConfig", "Span", "grid_policies", "load_grid", "parse_grid"]

# a grid of more runs than this is a typo (an extra axis), not a sweep anyone waits for
MAX_RUNS = 10_000_000

# the policy fields a grid may set or sweep, in the order of the results table
PARAMETERS = tuple(name for name in PolicyConfig.model_fields if name != "name")


class Span(BaseModel):
    """``num`` evenly spaced values from ``start`` to ``stop``, both included (whole numbers
    stay whole when every value is)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    start: float = Field(allow_inf_nan=False)
    stop: float = Field(allow_inf_nan=False)
    num: int = Field(ge=1)

    def values(self) -> list[float | int]:
        if self.num == 1:
            points = [self.start]
        else:
            step = (self.stop - self.start) / (self.num - 1)
            points = [self.start + i * step for i in range(self.num - 1)] + [self.stop]
        if all(float(p).is_integer() for p in points):
            return [int(p) for p in points]
        return points


class GridConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    base: dict[str, Any] = Field(default_factory=dict)
    axes: dict[str, list[Any] | Span] = Field(min_length=1)


def _check_value(axis: str, where: str, value: Any) -> Any:
    """``value`` validated (and coerced) as the policy field ``axis``; errors name ``where``."""
    if axis not in PARAMETERS:
        raise InputError(where, "unknown parameter (one of " + ", ".join(PARAMETERS) + ")", value)
    try:
        checked = PolicyConfig.model_validate({"name": "grid", axis: value})
    except ValidationError as exc:
        raise from_validation_error(exc).relabel(where) from None
    from hedgekit.backtest.engine import Policy

    try:  # the dataclass's own checks too (finite threshold), so no run can fail later
        Policy(name="grid", **{axis: getattr(checked, axis)})
    except InputError as exc:
        raise exc.relabel(where) from None
    return getattr(checked, axis)


def parse_grid(data: Any) -> GridConfig:
    """Validate a grid mapping: structure, parameter names, every value against its bounds."""
    if not isinstance(data, dict):
        raise InputError("grid", "must be a YAML mapping with axes:", type(data).__name__)
    try:
        grid = GridConfig.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc) from None
    for name, value in grid.base.items():
        _check_value(name, f"base.{name}", value)
    runs = 1
    for axis, spec in grid.axes.items():
        values = spec.values() if isinstance(spec, Span) else spec
        if axis not in PARAMETERS:
            raise InputError(f"axes.{axis}", "unknown parameter (one of " + ", ".join(PARAMETERS) + ")",
                             values)
        if not values:
            raise InputError(f"axes.{axis}", "must list at least one value", values)
        if axis in grid.base:
            raise InputError(f"axes.{axis}", "is also set in base: (sweep it or fix it, not both)",
                             grid.base[axis])
        seen: list[Any] = []
        for i, value in enumerate(values):
            checked = _check_value(axis, f"axes.{axis}[{i}]", value)
            if checked in seen:
                raise InputError(f"axes.{axis}[{i}]", "repeats an earlier value", value)
            seen.append(checked)
        runs *= len(values)
    if runs > MAX_RUNS:
        raise InputError("axes", f"the product is {runs:,} runs, more than {MAX_RUNS:,}", runs,
                         show_value=False)
    return grid


def load_grid(path: str | Path) -> GridConfig:
    """Read and validate a YAML grid file."""
    return parse_grid(read_yaml(path, "--grid"))


def _label(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) else str(value)
    return str(getattr(value, "value", value))


def grid_policies(grid: GridConfig) -> list:
    """The product of the axes as :class:`Policy` objects, the last axis varying fastest; each
    named by its swept values (``ratio=0.5 band=0.1``)."""
    from hedgekit.backtest.engine import Policy

    fixed = {name: _check_value(name, f"base.{name}", v) for name, v in grid.base.items()}
    axes = {axis: [_check_value(axis, f"axes.{axis}[{i}]", v)
                   for i, v in enumerate(spec.values() if isinstance(spec, Span) else spec)]
            for axis, spec in grid.axes.items()}
    out = []
    for combo in itertools.product(*axes.values()):
        params = dict(zip(axes, combo, strict=True))
        name = " ".join(f"{axis}={_label(v)}" for axis, v in params.items())
        out.append(Policy(name=name, **fixed, **params))
    return out
