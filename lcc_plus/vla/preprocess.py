"""Camera frames and ego/intent state -> the network's input tensors.

The network sees a fixed *virtual* pinhole camera: undistorted, cropped to the road
and resized (for example 3x96x192 per frame). Its intrinsics `input_k` are fixed at
training time and shipped in the model metadata; any source camera (the simulator's,
or a real one from CameraInfo) is remapped into it with one precomputed cv2.remap at
`SUPERSAMPLE` times the input size, then area-averaged down so that thin lane
markings do not alias. Images stay uint8 here; the network scales them itself, so the
training data (stored as these uint8 arrays) and the runtime see identical pixels.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lcc_plus.common.types import EgoState, ForkPreference, Intent, IntentKind

SUPERSAMPLE = 2
SPEED_SCALE_MPS = 30.0
YAW_RATE_SCALE_RADPS = 0.5
STATE_SIZE = 2 + len(IntentKind) + len(ForkPreference)


@dataclass(frozen=True)
class CameraIntrinsics:
    """A pinhole camera with plumb-bob distortion, as in sensor_msgs/CameraInfo (pixels)."""

    width: int
    height: int
    k: tuple[float, ...]                 # row-major 3x3
    d: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"camera size must be positive, got {self.width}x{self.height}")
        if len(self.k) != 9 or self.k[0] <= 0 or self.k[4] <= 0:
            raise ValueError(f"camera K must be 9 values with positive fx, fy, got {self.k}")

    @property
    def matrix(self) -> np.ndarray:
        return np.asarray(self.k, dtype=np.float64).reshape(3, 3)

    def scaled_to(self, width: int, height: int) -> CameraIntrinsics:
        """The same camera delivering images of another size (a scaled sensor readout)."""
        sx, sy = width / self.width, height / self.height
        k = self.matrix.copy()
        k[0, :] *= sx
        k[1, :] *= sy
        return CameraIntrinsics(width, height, tuple(k.ravel()), self.d)


def virtual_camera_k(camera: CameraIntrinsics, crop_top_frac: float, crop_bottom_frac: float,
                     out_width: int, out_height: int) -> np.ndarray:
    """Intrinsics of the network input: `camera` undistorted, rows [top, bottom) kept, resized."""
    if not 0.0 <= crop_top_frac < crop_bottom_frac <= 1.0:
        raise ValueError(f"crop fractions must satisfy 0 <= top < bottom <= 1, got {crop_top_frac}, "
                         f"{crop_bottom_frac}")
    top = crop_top_frac * camera.height
    sx = out_width / camera.width
    sy = out_height / ((crop_bottom_frac - crop_top_frac) * camera.height)
    k = camera.matrix.copy()
    # pixel centres: u_out + 0.5 = s * (u_in + 0.5)
    k[0, 0] *= sx
    k[0, 2] = (k[0, 2] + 0.5) * sx - 0.5
    k[1, 1] *= sy
    k[1, 2] = (k[1, 2] - top + 0.5) * sy - 0.5
    return k


class Preprocessor:
    """Remaps frames of one source camera into the network's virtual camera (uint8 HxWx3)."""

    def __init__(self, source: CameraIntrinsics, input_k: np.ndarray, out_width: int, out_height: int):
        self.out_width, self.out_height = int(out_width), int(out_height)
        self.input_k = np.asarray(input_k, dtype=np.float64).reshape(3, 3)
        self._source = source
        self._build(source)

    def _build(self, source: CameraIntrinsics) -> None:
        s = SUPERSAMPLE
        k_big = self.input_k.copy()
        k_big[0, 0] *= s
        k_big[1, 1] *= s
        k_big[0, 2] = (k_big[0, 2] + 0.5) * s - 0.5
        k_big[1, 2] = (k_big[1, 2] + 0.5) * s - 0.5
        self._map1, self._map2 = cv2.initUndistortRectifyMap(
            source.matrix, np.asarray(source.d, dtype=np.float64), None, k_big,
            (self.out_width * s, self.out_height * s), cv2.CV_16SC2)
        self._source = source

    def frame(self, rgb: np.ndarray) -> np.ndarray:
        """One RGB frame (H, W, 3) uint8 from the source camera -> (out_h, out_w, 3) uint8."""
        if not isinstance(rgb, np.ndarray) or rgb.ndim != 3 or rgb.shape[2] != 3:
            shape = getattr(rgb, "shape", None)
            raise ValueError(f"expected an RGB image of shape (H, W, 3), got {type(rgb).__name__} {shape}")
        if rgb.dtype != np.uint8:
            raise ValueError(f"expected a uint8 RGB image, got dtype {rgb.dtype}")
        h, w = rgb.shape[:2]
        if (w, h) != (self._source.width, self._source.height):
            # The same camera read out at another resolution: rescale its intrinsics once.
            self._build(self._source.scaled_to(w, h))
        big = cv2.remap(rgb, self._map1, self._map2, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        return cv2.resize(big, (self.out_width, self.out_height), interpolation=cv2.INTER_AREA)


def stack_frames(frames: list[np.ndarray], num_frames: int) -> np.ndarray:
    """Preprocessed frames (oldest first, each (h, w, 3) uint8) -> (1, 3*num_frames, h, w) uint8.

    The newest `num_frames` are used; with fewer, the oldest one given is repeated (a
    standing start looks like a still scene, the safe reading).
    """
    if not frames:
        raise ValueError("no camera frame given")
    chosen = list(frames[-num_frames:])
    while len(chosen) < num_frames:
        chosen.insert(0, chosen[0])
    return np.concatenate([f.transpose(2, 0, 1) for f in chosen], axis=0)[None]


def encode_state(ego: EgoState, intent: Intent) -> np.ndarray:
    """Ego speed, yaw rate, intent one-hot and fork-preference one-hot -> (1, STATE_SIZE) float32."""
    v = np.zeros((1, STATE_SIZE), np.float32)
    speed, yaw_rate = float(ego.speed_mps), float(ego.yaw_rate_radps)
    if not (np.isfinite(speed) and np.isfinite(yaw_rate)):
        raise ValueError(f"ego speed and yaw rate must be finite, got {speed}, {yaw_rate}")
    v[0, 0] = speed / SPEED_SCALE_MPS
    v[0, 1] = yaw_rate / YAW_RATE_SCALE_RADPS
    v[0, 2 + int(IntentKind(intent.intent))] = 1.0
    v[0, 2 + len(IntentKind) + int(ForkPreference(intent.fork_preference))] = 1.0
    return v
