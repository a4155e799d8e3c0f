"""ONNX runtime for the VLA driving model: frames + ego state + intent -> Perception.

The model file is checked completely at start-up (exists, parses, has the input and
output signature and the metadata of output layout v`LAYOUT_VERSION`), so a bad file
stops the node with a message naming the file and the problem instead of failing
on the first frame. Signature:
  input  "image"  uint8   [batch, 3*num_frames, height, width]  (preprocess.Preprocessor output)
  input  "state"  float32 [batch, STATE_SIZE]                   (preprocess.encode_state)
  output "output" float32 [batch, OUTPUT_SIZE]                  (decode.LAYOUT)
  metadata "lcc_plus.layout_version", "lcc_plus.input" (JSON: num_frames, width, height,
  input_k, camera {width, height, k, d}, frame_gap_s)
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from lcc_plus.common import params
from lcc_plus.common.params import spec
from lcc_plus.common.types import EgoState, Intent, Perception
from lcc_plus.vla.decode import LAYOUT_VERSION, OUTPUT_SIZE, decode
from lcc_plus.vla.preprocess import STATE_SIZE, CameraIntrinsics, Preprocessor, encode_state, stack_frames

PROVIDERS = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider",
             "tensorrt": "TensorrtExecutionProvider"}
META_LAYOUT = "lcc_plus.layout_version"
META_INPUT = "lcc_plus.input"
PACKAGE_DIR = Path(__file__).resolve().parents[1]


class VlaModelError(RuntimeError):
    """The model file or the requested execution provider cannot be used; names the file."""


@dataclass(frozen=True)
class VlaParams:
    """vla_node parameters (values in config/vla.yaml)."""

    model_path: str = spec("ONNX model; a relative path is taken from the lcc_plus package folder")
    threads: int = spec("onnxruntime intra-op threads", min=1, max=64)
    provider: str = spec("execution provider", choices=tuple(PROVIDERS))
    warmup_runs: int = spec("inferences run at start-up so the first frame is not slow", min=0, max=100)

    def resolved_model_path(self) -> Path:
        p = Path(self.model_path).expanduser()
        return p if p.is_absolute() else PACKAGE_DIR / p


def load_params(overrides: dict | None = None) -> VlaParams:
    return params.load(VlaParams, "vla.yaml", "vla_node", overrides)


@dataclass(frozen=True)
class InputSpec:
    """What the model expects, read from its metadata."""

    num_frames: int
    width: int
    height: int
    input_k: np.ndarray
    camera: CameraIntrinsics
    frame_gap_s: float


def _fail(path: Path, what: str) -> VlaModelError:
    return VlaModelError(f"VLA model {path}: {what}")


def _read_input_spec(path: Path, meta: dict[str, str]) -> InputSpec:
    version = meta.get(META_LAYOUT)
    if version is None:
        raise _fail(path, f"metadata {META_LAYOUT!r} missing: not an lcc_plus VLA export")
    if version != str(LAYOUT_VERSION):
        raise _fail(path, f"output layout v{version}, this runtime decodes v{LAYOUT_VERSION}")
    try:
        d = json.loads(meta[META_INPUT])
        cam = d["camera"]
        return InputSpec(int(d["num_frames"]), int(d["width"]), int(d["height"]),
                         np.asarray(d["input_k"], dtype=np.float64).reshape(3, 3),
                         CameraIntrinsics(int(cam["width"]), int(cam["height"]), tuple(cam["k"]),
                                          tuple(cam["d"])),
                         float(d["frame_gap_s"]))
    except (KeyError, TypeError, ValueError, json.JSONDecodeError) as err:
        raise _fail(path, f"metadata {META_INPUT!r} missing or malformed ({err})") from err


def _check_signature(path: Path, session: ort.InferenceSession, spec_: InputSpec) -> None:
    inputs = {i.name: i for i in session.get_inputs()}
    outputs = session.get_outputs()
    if set(inputs) != {"image", "state"}:
        raise _fail(path, f"inputs are {sorted(inputs)}, expected ['image', 'state']")
    expected = {"image": ("tensor(uint8)", [3 * spec_.num_frames, spec_.height, spec_.width]),
                "state": ("tensor(float)", [STATE_SIZE])}
    for name, (dtype, dims) in expected.items():
        got = inputs[name]
        if got.type != dtype or len(got.shape) != len(dims) + 1 or list(got.shape[1:]) != dims:
            raise _fail(path, f"input {name!r} is {got.type} {got.shape}, expected {dtype} [batch, "
                              f"{', '.join(map(str, dims))}]")
    if len(outputs) != 1 or outputs[0].name != "output":
        raise _fail(path, f"outputs are {[o.name for o in outputs]}, expected ['output']")
    out = outputs[0]
    if out.type != "tensor(float)" or len(out.shape) != 2 or out.shape[1] != OUTPUT_SIZE:
        raise _fail(path, f"output 'output' is {out.type} {out.shape}, expected tensor(float) "
                          f"[batch, {OUTPUT_SIZE}] (layout v{LAYOUT_VERSION})")


def model_id_of(path: Path) -> str:
    """File name and the first 8 hex digits of its SHA-256."""
    return f"{path.name}@{hashlib.sha256(path.read_bytes()).hexdigest()[:8]}"


class VlaRuntime:
    """Loads and checks one VLA ONNX model; `infer` runs it on camera frames."""

    def __init__(self, model_path: str | Path, threads: int = 2, provider: str = "cpu",
                 camera: CameraIntrinsics | None = None, warmup_runs: int = 0):
        path = Path(model_path)
        if provider not in PROVIDERS:
            raise VlaModelError(f"unknown provider {provider!r}; choose one of {', '.join(PROVIDERS)}")
        available = ort.get_available_providers()
        if PROVIDERS[provider] not in available:
            raise VlaModelError(f"provider {provider!r} ({PROVIDERS[provider]}) is not available in this "
                                f"onnxruntime build; available: {', '.join(available)}")
        if threads < 1:
            raise VlaModelError(f"threads must be >= 1, got {threads}")
        if not path.is_file():
            raise _fail(path, "file not found")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = int(threads)
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        providers = [PROVIDERS[provider]] + (["CPUExecutionProvider"] if provider != "cpu" else [])
        try:
            self._session = ort.InferenceSession(str(path), sess_options=opts, providers=providers)
        except Exception as err:  # onnxruntime raises several unrelated types for a bad file
            raise _fail(path, f"cannot be loaded as ONNX ({type(err).__name__}: {err})") from err
        self.input_spec = _read_input_spec(path, self._session.get_modelmeta().custom_metadata_map)
        _check_signature(path, self._session, self.input_spec)
        self.path = path
        self.model_id = model_id_of(path)
        self.provider = provider
        self.set_camera(camera or self.input_spec.camera)
        s = self.input_spec
        for _ in range(warmup_runs):
            self.run_raw(np.zeros((1, 3 * s.num_frames, s.height, s.width), np.uint8),
                         np.zeros((1, STATE_SIZE), np.float32))

    @classmethod
    def from_params(cls, p: VlaParams, camera: CameraIntrinsics | None = None) -> VlaRuntime:
        return cls(p.resolved_model_path(), threads=p.threads, provider=p.provider, camera=camera,
                   warmup_runs=p.warmup_runs)

    def set_camera(self, camera: CameraIntrinsics) -> None:
        """Use frames from this camera (e.g. from CameraInfo); they are remapped into the model's view."""
        s = self.input_spec
        self.preprocessor = Preprocessor(camera, s.input_k, s.width, s.height)
        self._recent: list[tuple[np.ndarray, np.ndarray]] = []

    def _preprocessed(self, frame: np.ndarray) -> np.ndarray:
        # Consecutive calls pass the previous frame again: reuse its remap. Holding the array keeps its
        # identity unique; callers must not modify a frame in place after handing it over.
        for src, out in self._recent:
            if src is frame:
                return out
        out = self.preprocessor.frame(frame)
        self._recent = (self._recent + [(frame, out)])[-self.input_spec.num_frames:]
        return out

    def run_raw(self, image: np.ndarray, state: np.ndarray) -> np.ndarray:
        """The network alone: (B, 3F, h, w) uint8 and (B, STATE_SIZE) float32 -> (B, OUTPUT_SIZE)."""
        return self._session.run(["output"], {"image": image, "state": state})[0]

    def infer(self, frames_rgb: list[np.ndarray], ego: EgoState, intent: Intent,
              stamp_s: float | None = None) -> Perception:
        """Frames (oldest first, RGB uint8 HxWx3, `input_spec.frame_gap_s` apart; the newest is now).

        Pass the same array objects again on the next call (e.g. [previous, current]) and the
        previous frame's remap is reused.

        Returns the decoded Perception stamped `stamp_s` (default: ego.stamp_s).
        """
        frames = [self._preprocessed(f) for f in frames_rgb[-self.input_spec.num_frames:]]
        image = stack_frames(frames, self.input_spec.num_frames)
        state = encode_state(ego, intent)
        t0 = time.perf_counter()
        raw = self.run_raw(image, state)[0]
        ms = (time.perf_counter() - t0) * 1e3
        return decode(raw, ego, intent, stamp_s=ego.stamp_s if stamp_s is None else stamp_s,
                      model_id=self.model_id, inference_time_ms=ms)
