"""Sharded training data: uint8 frames + encoded labels in .npz files, written by datagen.

One shard holds consecutive samples of whole episodes:
  frames     (N, h, w, 3) uint8   preprocessed frames (the network's virtual camera)
  prev       (N,) int32           index in this shard of the frame `frame_gap_s` earlier
                                  (the sample itself at an episode start)
  state      (N, STATE_SIZE) float32, target / mask (N, OUTPUT_SIZE) float32,
  line_type  (N, 4) int8, episode (N,) int32, source (N,) uint8 (SOURCES)
`manifest.json` beside the shards records the input geometry, the datagen config and
its hash; training reads the geometry from it so data and model always agree.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SOURCES = ("expert", "recovery", "dagger")
MANIFEST = "manifest.json"


def config_hash(values: dict) -> str:
    """Short stable hash of a config mapping (sorted JSON)."""
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:12]


class ShardWriter:
    """Accumulates samples of whole episodes and writes a shard when it is full."""

    def __init__(self, out_dir: Path, prefix: str, shard_samples: int):
        self.out_dir, self.prefix, self.shard_samples = Path(out_dir), prefix, shard_samples
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._rows: dict[str, list] = {k: [] for k in ("frames", "prev", "state", "target", "mask", "line_type",
                                                     "episode", "source")}
        self._count = 0
        self.paths: list[Path] = []

    def add_episode(self, samples: dict[str, np.ndarray]) -> None:
        """Append one episode (arrays of equal length; `prev` relative to the episode start)."""
        n = len(samples["frames"])
        if n == 0:
            return
        offset = sum(len(f) for f in self._rows["frames"])
        for key, rows in self._rows.items():
            rows.append(samples[key] + offset if key == "prev" else samples[key])
        if offset + n >= self.shard_samples:
            self.flush()

    def flush(self) -> None:
        if not self._rows["frames"]:
            return
        path = self.out_dir / f"{self.prefix}-{self._count:04d}.npz"
        np.savez(path, **{k: np.concatenate(v) for k, v in self._rows.items()})
        self.paths.append(path)
        self._count += 1
        for rows in self._rows.values():
            rows.clear()


@dataclass
class Dataset:
    """All shards of a data folder in memory."""

    frames: np.ndarray
    prev: np.ndarray
    state: np.ndarray
    target: np.ndarray
    mask: np.ndarray
    line_type: np.ndarray
    episode: np.ndarray
    source: np.ndarray
    manifest: dict

    def __len__(self) -> int:
        return len(self.frames)

    def images(self, idx: np.ndarray, num_frames: int) -> np.ndarray:
        """(B, 3*num_frames, h, w) uint8 for sample indices (oldest frame first)."""
        chans = [self.frames[idx]]
        cur = idx
        for _ in range(num_frames - 1):
            cur = self.prev[cur]
            chans.insert(0, self.frames[cur])
        return np.concatenate([c.transpose(0, 3, 1, 2) for c in chans], axis=1)


def load(data_dir: Path) -> Dataset:
    """Load every shard under `data_dir` into memory (datagen gives each episode a unique id)."""
    data_dir = Path(data_dir)
    manifest_path = data_dir / MANIFEST
    if not manifest_path.is_file():
        raise FileNotFoundError(f"{manifest_path}: no VLA data here; run `lcc-plus datagen` first")
    manifest = json.loads(manifest_path.read_text())
    shards = sorted(data_dir.glob("*.npz"))
    if not shards:
        raise FileNotFoundError(f"{data_dir}: manifest but no .npz shards")
    parts: dict[str, list] = {}
    base = 0
    for s in shards:
        with np.load(s) as z:
            for key in z.files:
                arr = z[key]
                if key == "prev":
                    arr = arr + base
                parts.setdefault(key, []).append(arr)
            base += len(z["frames"])
    cat = {k: np.concatenate(v) for k, v in parts.items()}
    return Dataset(manifest=manifest, **cat)
