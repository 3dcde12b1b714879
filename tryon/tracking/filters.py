"""One Euro filter (Casiez et al., CHI 2012): low jitter when still, low lag when moving.

The cutoff frequency rises with speed: fc = min_cutoff + beta * |speed|. Here the speed of a
whole landmark set is one number (the mean over points), so every point of a face gets the same
cutoff and the face's shape is never distorted by uneven smoothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OneEuroParams:
    """min_cutoff (Hz): smoothing when still; beta (1/unit): how fast the cutoff rises with
    speed (units per second); d_cutoff (Hz): smoothing of the speed estimate itself."""

    min_cutoff: float = 1.0
    beta: float = 0.05
    d_cutoff: float = 1.0


def _alpha(cutoff_hz: float, dt: float) -> float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Filters an array of any shape over time; call `reset()` when the tracked thing is lost."""

    def __init__(self, params: OneEuroParams = OneEuroParams()) -> None:
        self.params = params
        self.reset()

    def reset(self) -> None:
        self._x: np.ndarray | None = None
        self._dx = 0.0
        self._t: float | None = None

    def __call__(self, value: np.ndarray, t: float, unit: float = 1.0) -> np.ndarray:
        """Filtered value at time t (seconds, increasing). `unit` converts the value's units to
        the ones beta is given in (the same as filtering value * unit and dividing back).
        The result is read-only: the filter keeps it as its state."""
        x = np.array(value, dtype=np.float64)
        x.flags.writeable = False
        if self._x is None or self._t is None or t <= self._t:
            self._x, self._t, self._dx = x, t, 0.0
            return x
        dt = t - self._t
        speed = unit * float(np.mean(np.abs(x - self._x))) / dt
        a_d = _alpha(self.params.d_cutoff, dt)
        self._dx = a_d * speed + (1.0 - a_d) * self._dx
        cutoff = self.params.min_cutoff + self.params.beta * self._dx
        a = _alpha(cutoff, dt)
        filtered = a * x + (1.0 - a) * self._x
        filtered.flags.writeable = False
        self._x, self._t = filtered, t
        return filtered
