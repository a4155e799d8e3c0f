"""Export a trained VlaNet to one ONNX file with its metadata, and check parity with torch."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

from lcc_plus.vla.decode import LAYOUT_VERSION
from lcc_plus.vla.model import VlaNet
from lcc_plus.vla.preprocess import STATE_SIZE
from lcc_plus.vla.runtime import META_INPUT, META_LAYOUT, InputSpec

OPSET = 17


def input_spec_json(spec: InputSpec) -> str:
    cam = spec.camera
    return json.dumps({
        "num_frames": spec.num_frames, "width": spec.width, "height": spec.height,
        "input_k": np.asarray(spec.input_k).ravel().tolist(),
        "camera": {"width": cam.width, "height": cam.height, "k": list(cam.k), "d": list(cam.d)},
        "frame_gap_s": spec.frame_gap_s,
    })


def export_onnx(net: VlaNet, spec: InputSpec, path: Path, extra_metadata: dict[str, str] | None = None) -> None:
    """Write `net` (eval mode) as a single ONNX file with the lcc_plus metadata."""
    net = net.eval()
    image = torch.zeros(1, 3 * spec.num_frames, spec.height, spec.width, dtype=torch.uint8)
    state = torch.zeros(1, STATE_SIZE)
    path.parent.mkdir(parents=True, exist_ok=True)
    batch = {0: "batch"}
    # The TorchScript exporter: the torch.export one needs onnxscript, which the train extra leaves out.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(net, (image, state), str(path), input_names=["image", "state"],
                          output_names=["output"], dynamic_axes={"image": batch, "state": batch, "output": batch},
                          opset_version=OPSET, dynamo=False, do_constant_folding=True)
    model = onnx.load(str(path))
    meta = {META_LAYOUT: str(LAYOUT_VERSION), META_INPUT: input_spec_json(spec), **(extra_metadata or {})}
    for key, value in meta.items():
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def parity_max_abs_diff(net: VlaNet, path: Path, image: np.ndarray, state: np.ndarray) -> float:
    """Max |torch - onnxruntime| over a batch of real inputs (uint8 images, float32 state)."""
    net = net.eval()
    with torch.no_grad():
        ref = net(torch.from_numpy(image), torch.from_numpy(state)).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(["output"], {"image": image, "state": state})[0]
    return float(np.max(np.abs(ref - got)))
