"""Run the graph's processes: prefixed logs, Ctrl-C forwarded, non-zero exit if a node dies.

Each process gets its own session, so a terminal Ctrl-C reaches only this
supervisor, which forwards SIGINT to every child, waits `grace_s`, then sends
SIGTERM and finally SIGKILL. A process listed in `finishers` (the simulator) ending
with status 0 ends the run successfully; any other process ending while the run is
on is a failure: the rest are stopped and `run()` returns 1.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from lcc_plus.launcher.graph import ProcessSpec, ros_arguments

REPO_NODES = Path(__file__).resolve().parents[2] / "nodes"
EXIT_NODE_DIED = 1


def executable_path(name: str) -> Path:
    """lib/lcc_plus/<name> of the colcon install, else nodes/<name> of the source tree."""
    try:
        from ament_index_python.packages import PackageNotFoundError, get_package_prefix

        installed = Path(get_package_prefix("lcc_plus")) / "lib" / "lcc_plus" / name
        if installed.is_file():
            return installed
    except (ImportError, PackageNotFoundError):
        pass
    source = REPO_NODES / name
    if not source.is_file():
        raise FileNotFoundError(f"executable {name} not found in the lcc_plus install or in {REPO_NODES}")
    return source


class Supervisor:
    """Start `specs` as processes and watch them until Ctrl-C, a finisher's end or a failure."""

    def __init__(self, specs: list[ProcessSpec], namespace: str = "", env: Mapping[str, str] | None = None,
                 finishers: tuple[str, ...] = ("sim",), grace_s: float = 10.0, out=sys.stdout):
        self.specs = specs
        self.namespace = namespace
        self.env = dict(os.environ if env is None else env)
        self.finishers = finishers
        self.grace_s = grace_s
        self.out = out
        self.procs: dict[str, subprocess.Popen] = {}
        self._threads: list[threading.Thread] = []
        self._interrupted = threading.Event()
        self._print_lock = threading.Lock()

    def command(self, spec: ProcessSpec) -> list[str]:
        return [sys.executable, str(executable_path(spec.executable)), *ros_arguments(spec, self.namespace)]

    def say(self, label: str, line: str) -> None:
        with self._print_lock:
            self.out.write(f"[{label}] {line.rstrip()}\n")
            self.out.flush()

    def _pump(self, label: str, stream) -> None:
        for line in stream:
            self.say(label, line)

    def start(self) -> None:
        env = {**self.env, "PYTHONUNBUFFERED": "1", "RCUTILS_COLORIZED_OUTPUT": "0"}
        for spec in self.specs:
            cmd = self.command(spec)
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                                    start_new_session=True, errors="replace")
            self.procs[spec.label] = proc
            thread = threading.Thread(target=self._pump, args=(spec.label, proc.stdout), daemon=True)
            thread.start()
            self._threads.append(thread)
            self.say("up", f"started {spec.label} (pid {proc.pid}): {' '.join(cmd[1:])}")

    def stop(self) -> None:
        """SIGINT to every live child, then SIGTERM and SIGKILL after `grace_s` each."""
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            live = [p for p in self.procs.values() if p.poll() is None]
            if not live:
                break
            for p in live:
                try:
                    os.killpg(p.pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + self.grace_s
            while time.monotonic() < deadline and any(p.poll() is None for p in live):
                time.sleep(0.05)
        for thread in self._threads:
            thread.join(timeout=2.0)

    def wait(self) -> int:
        """Block until the run ends; returns 0 (Ctrl-C or a finisher done) or EXIT_NODE_DIED."""
        while not self._interrupted.is_set():
            for label, proc in self.procs.items():
                rc = proc.poll()
                if rc is None:
                    continue
                if label in self.finishers and rc == 0:
                    self.say("up", f"{label} finished")
                    return 0
                self.say("up", f"{label} died unexpectedly (exit status {rc}); stopping the graph")
                return EXIT_NODE_DIED
            time.sleep(0.1)
        self.say("up", "interrupted: stopping the graph")
        return 0

    def run(self) -> int:
        previous = signal.signal(signal.SIGINT, lambda *_: self._interrupted.set())
        try:
            self.start()
            return self.wait()
        finally:
            self.stop()
            signal.signal(signal.SIGINT, previous)
