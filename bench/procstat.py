"""CPU time and memory of a process from /proc (Linux), without psutil.

CPU % is the process's user + system time over a wall-clock window, in percent of
one core (100 % = one core busy); resident memory is VmRSS and its peak VmHWM.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

CLOCK_TICKS_HZ = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds `pid` has used so far (its threads included, its children not)."""
    with open(f"/proc/{pid}/stat") as f:
        # The command name (field 2) may hold spaces and parentheses: split after its closing ')'.
        fields = f.read().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / CLOCK_TICKS_HZ


def memory_mb(pid: int) -> tuple[float, float]:
    """(resident, peak resident) memory of `pid` in MiB: VmRSS and VmHWM of /proc/<pid>/status."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024.0  # kB
    return values.get("VmRSS", float("nan")), values.get("VmHWM", float("nan"))


@dataclass
class ProcessUsage:
    """What one process used over a window."""

    cpu_percent: float  # percent of one core
    rss_mb: float
    peak_rss_mb: float


class UsageWindow:
    """CPU of several processes between `start()` and `stop()`; memory read at `stop()`."""

    def __init__(self, pids: dict[str, int]):
        self.pids = dict(pids)
        self._cpu0: dict[str, float] = {}
        self._t0 = 0.0

    def start(self) -> None:
        self._t0 = time.monotonic()
        self._cpu0 = {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def stop(self) -> dict[str, ProcessUsage]:
        """Usage per process name; a process that ended meanwhile is left out."""
        wall_s = time.monotonic() - self._t0
        out = {}
        for name, pid in self.pids.items():
            try:
                cpu = cpu_seconds(pid) - self._cpu0[name]
                rss, peak = memory_mb(pid)
            except (FileNotFoundError, ProcessLookupError):
                continue
            out[name] = ProcessUsage(100.0 * cpu / wall_s, rss, peak)
        return out
