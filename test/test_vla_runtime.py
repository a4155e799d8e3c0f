"""ONNX runtime: loading, signature and metadata checks, provider choice, and a real inference.

The models here are built with the onnx helper API (no torch needed): output =
state @ W + mean(image) * u, so the expected output is known exactly.
"""
import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from lcc_plus.common.types import EgoState, Intent, IntentKind
from lcc_plus.vla.decode import LAYOUT_VERSION, OUTPUT_SIZE, decode
from lcc_plus.vla.preprocess import STATE_SIZE, CameraIntrinsics, encode_state, stack_frames, virtual_camera_k
from lcc_plus.vla.runtime import META_INPUT, META_LAYOUT, VlaModelError, VlaRuntime, load_params

CAM = CameraIntrinsics(640, 480, (520.0, 0.0, 320.0, 0.0, 520.0, 240.0, 0.0, 0.0, 1.0),
                       (-0.10, 0.02, 0.0, 0.0, 0.0))
W_IN, H_IN, FRAMES = 64, 32, 2
RNG = np.random.default_rng(0)
WEIGHT = (RNG.normal(size=(STATE_SIZE, OUTPUT_SIZE)) * 0.1).astype(np.float32)
U = (RNG.normal(size=(1, OUTPUT_SIZE)) * 0.01).astype(np.float32)


def _meta() -> dict[str, str]:
    return {META_LAYOUT: str(LAYOUT_VERSION), META_INPUT: json.dumps({
        "num_frames": FRAMES, "width": W_IN, "height": H_IN,
        "input_k": virtual_camera_k(CAM, 0.35, 0.95, W_IN, H_IN).ravel().tolist(),
        "camera": {"width": CAM.width, "height": CAM.height, "k": list(CAM.k), "d": list(CAM.d)},
        "frame_gap_s": 0.1})}


def _model(path, *, image_dims=(3 * FRAMES, H_IN, W_IN), image_type=TensorProto.UINT8, out_size=OUTPUT_SIZE,
           out_name="output", meta=None):
    image = helper.make_tensor_value_info("image", image_type, ["batch", *image_dims])
    state = helper.make_tensor_value_info("state", TensorProto.FLOAT, ["batch", STATE_SIZE])
    out = helper.make_tensor_value_info(out_name, TensorProto.FLOAT, ["batch", out_size])
    nodes = [
        helper.make_node("Cast", ["image"], ["image_f"], to=TensorProto.FLOAT),
        helper.make_node("ReduceMean", ["image_f"], ["mean"], axes=[1, 2, 3], keepdims=1),
        helper.make_node("Reshape", ["mean", "shape_b1"], ["mean_b1"]),
        helper.make_node("MatMul", ["state", "W"], ["sw"]),
        helper.make_node("Mul", ["mean_b1", "U"], ["mu"]),
        helper.make_node("Add", ["sw", "mu"], [out_name]),
    ]
    inits = [numpy_helper.from_array(WEIGHT[:, :out_size], "W"), numpy_helper.from_array(U[:, :out_size], "U"),
             numpy_helper.from_array(np.array([-1, 1], np.int64), "shape_b1")]
    graph = helper.make_graph(nodes, "vla_test", [image, state], [out], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    for k, v in (_meta() if meta is None else meta).items():
        model.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def test_inference_matches_the_graph_and_decodes(tmp_path):
    path = _model(tmp_path / "good.onnx")
    vla = VlaRuntime(path, threads=1, provider="cpu", warmup_runs=1)
    frames = [RNG.integers(0, 255, (480, 640, 3), dtype=np.uint8) for _ in range(3)]
    ego = EgoState(stamp_s=2.0, speed_mps=12.0, yaw_rate_radps=0.05)
    intent = Intent(intent=IntentKind.CHANGE_LEFT)
    p = vla.infer(frames, ego, intent)
    image = stack_frames([vla.preprocessor.frame(f) for f in frames[-FRAMES:]], FRAMES)
    expected_raw = encode_state(ego, intent) @ WEIGHT + image.astype(np.float32).mean() * U
    expected = decode(expected_raw[0], ego, intent)
    np.testing.assert_allclose(p.path_y_m, expected.path_y_m, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(p.lane_lines[1].coefficients, expected.lane_lines[1].coefficients, rtol=1e-3,
                               atol=1e-6)
    assert p.confidence == pytest.approx(expected.confidence, rel=1e-4)
    assert p.model_id.startswith("good.onnx@") and len(p.model_id) == len("good.onnx@") + 8
    assert p.stamp_s == 2.0 and p.inference_time_ms > 0.0
    assert p.intent == IntentKind.CHANGE_LEFT


def test_missing_file(tmp_path):
    with pytest.raises(VlaModelError, match="nope.onnx.*file not found"):
        VlaRuntime(tmp_path / "nope.onnx")


def test_corrupt_file(tmp_path):
    path = tmp_path / "corrupt.onnx"
    path.write_bytes(b"\x08\x07garbage that is not a protobuf" * 10)
    with pytest.raises(VlaModelError, match="corrupt.onnx.*cannot be loaded as ONNX"):
        VlaRuntime(path)


def test_truncated_file(tmp_path):
    good = _model(tmp_path / "good.onnx").read_bytes()
    path = tmp_path / "truncated.onnx"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(VlaModelError, match="truncated.onnx"):
        VlaRuntime(path)


@pytest.mark.parametrize("kwargs, match", [
    ({"image_dims": (3, H_IN, W_IN)}, "input 'image'.*expected tensor\\(uint8\\)"),
    ({"image_type": TensorProto.FLOAT}, "input 'image' is tensor\\(float\\)"),
    ({"out_size": OUTPUT_SIZE - 3}, f"output 'output'.*\\[batch, {OUTPUT_SIZE}\\]"),
    ({"out_name": "logits"}, "outputs are \\['logits'\\]"),
    ({"meta": {}}, "lcc_plus.layout_version.*missing"),
    ({"meta": {META_LAYOUT: "0"}}, "layout v0"),
    ({"meta": {META_LAYOUT: str(LAYOUT_VERSION), META_INPUT: "{}"}}, "lcc_plus.input.*malformed"),
])
def test_wrong_signature_or_metadata(tmp_path, kwargs, match):
    path = _model(tmp_path / "wrong.onnx", **kwargs)
    with pytest.raises(VlaModelError, match="wrong.onnx.*" + match):
        VlaRuntime(path)


def test_provider_choice(tmp_path):
    path = _model(tmp_path / "good.onnx")
    with pytest.raises(VlaModelError, match="unknown provider 'gpu'"):
        VlaRuntime(path, provider="gpu")
    import onnxruntime as ort
    if "TensorrtExecutionProvider" not in ort.get_available_providers():
        with pytest.raises(VlaModelError, match="'tensorrt'.*not available.*CPUExecutionProvider"):
            VlaRuntime(path, provider="tensorrt")
    with pytest.raises(VlaModelError, match="threads"):
        VlaRuntime(path, threads=0)


def test_bad_frame_is_a_clear_error(tmp_path):
    vla = VlaRuntime(_model(tmp_path / "good.onnx"))
    with pytest.raises(ValueError, match="RGB image"):
        vla.infer([np.zeros((480, 640), np.uint8)], EgoState(), Intent())


def test_params_file_loads():
    p = load_params()
    assert p.provider in ("cpu", "cuda", "tensorrt") and p.threads >= 1
    assert p.resolved_model_path().name.endswith(".onnx")


def test_previous_frame_remap_is_reused_but_new_frames_are_not(tmp_path):
    vla = VlaRuntime(_model(tmp_path / "good.onnx"))
    a, b = (RNG.integers(0, 255, (480, 640, 3), dtype=np.uint8) for _ in range(2))
    ego, intent = EgoState(speed_mps=5.0), Intent()
    vla.infer([a, b], ego, intent)
    calls = []
    original = vla.preprocessor.frame
    vla.preprocessor.frame = lambda f: calls.append(f) or original(f)
    c = RNG.integers(0, 255, (480, 640, 3), dtype=np.uint8)
    first = vla.infer([b, c], ego, intent)
    assert len(calls) == 1 and calls[0] is c
    vla.preprocessor.frame = original
    fresh = VlaRuntime(vla.path).infer([b.copy(), c.copy()], ego, intent)
    np.testing.assert_allclose(first.path_y_m, fresh.path_y_m, rtol=1e-5)
