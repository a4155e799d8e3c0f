"""Signal helpers for the KPIs: Butterworth low-pass, derivative, moving average.

Pure numpy (no scipy here). The R79 jerk method asks for >= 100 Hz samples, a
4th-order 0.5 Hz Butterworth on the acceleration, then the 0.5 s moving average of
its derivative; the simulator logs at its step rate (20 Hz), so the same steps are
applied to the 20 Hz samples.
"""
from __future__ import annotations

import math

import numpy as np


def butterworth_lowpass(x: np.ndarray, fs_hz: float, cutoff_hz: float, order: int = 4) -> np.ndarray:
    """Causal Butterworth low-pass of `x` sampled at `fs_hz` (cascade of biquads, bilinear transform).

    The filter starts in steady state at x[0], so a constant signal passes unchanged.
    `cutoff_hz <= 0` returns a copy of `x`.
    """
    x = np.asarray(x, dtype=float)
    if cutoff_hz <= 0.0 or x.size == 0:
        return x.copy()
    if order < 2 or order % 2:
        raise ValueError(f"order must be an even number >= 2, got {order}")
    if cutoff_hz >= fs_hz / 2.0:
        raise ValueError(f"cut-off {cutoff_hz} Hz must be below the Nyquist frequency {fs_hz / 2.0} Hz")
    k = math.tan(math.pi * cutoff_hz / fs_hz)  # pre-warped analog cut-off, in units of 2 fs
    y = x
    for i in range(order // 2):
        # Pole pair i of the analog prototype: s^2 + 2 zeta s + 1 with zeta = sin(theta).
        theta = math.pi * (2 * i + 1) / (2 * order)
        two_zeta = 2.0 * math.sin(theta)
        norm = 1.0 + two_zeta * k + k * k
        b0 = k * k / norm
        b = (b0, 2.0 * b0, b0)
        a1 = 2.0 * (k * k - 1.0) / norm
        a2 = (1.0 - two_zeta * k + k * k) / norm
        y = _biquad(y, b, a1, a2)
    return y


def _biquad(x: np.ndarray, b: tuple[float, float, float], a1: float, a2: float) -> np.ndarray:
    """Direct form II transposed, initial state set for a steady input x[0] (unit DC gain)."""
    out = np.empty_like(x)
    x0 = x[0]
    z1 = x0 - b[0] * x0
    z2 = b[2] * x0 - a2 * x0
    for n, xn in enumerate(x):
        yn = b[0] * xn + z1
        z1 = b[1] * xn - a1 * yn + z2
        z2 = b[2] * xn - a2 * yn
        out[n] = yn
    return out


def derivative(x: np.ndarray, t_s: np.ndarray) -> np.ndarray:
    """Backward-difference derivative dx/dt; the first sample repeats the second (0 for one sample)."""
    x = np.asarray(x, dtype=float)
    t_s = np.asarray(t_s, dtype=float)
    if x.size < 2:
        return np.zeros_like(x)
    dt = np.diff(t_s)
    if np.any(dt <= 0.0):
        raise ValueError("time stamps must be strictly increasing")
    d = np.diff(x) / dt
    return np.concatenate([d[:1], d])


def moving_average(x: np.ndarray, window_n: int) -> np.ndarray:
    """Trailing moving average over `window_n` samples (shorter at the start)."""
    x = np.asarray(x, dtype=float)
    if window_n < 1:
        raise ValueError(f"window must be at least one sample, got {window_n}")
    if x.size == 0:
        return x.copy()
    c = np.concatenate([[0.0], np.cumsum(x)])
    idx = np.arange(1, x.size + 1)
    lo = np.maximum(idx - window_n, 0)
    return (c[idx] - c[lo]) / (idx - lo)


def averaged_jerk(accel_mps2: np.ndarray, t_s: np.ndarray, window_s: float, cutoff_hz: float,
                  order: int) -> np.ndarray:
    """The R79-style jerk: low-pass the acceleration, differentiate, moving-average over `window_s`."""
    t_s = np.asarray(t_s, dtype=float)
    if t_s.size < 2:
        return np.zeros(t_s.size)
    dt_s = float(np.median(np.diff(t_s)))
    filtered = butterworth_lowpass(accel_mps2, 1.0 / dt_s, cutoff_hz, order)
    window_n = max(1, int(round(window_s / dt_s)))
    return moving_average(derivative(filtered, t_s), window_n)
