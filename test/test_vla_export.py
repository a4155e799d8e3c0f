"""torch -> ONNX export: parity with torch, and the export loads in the runtime (needs torch)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lcc_plus.common.types import EgoState, Intent, IntentKind  # noqa: E402
from lcc_plus.vla.decode import OUTPUT_SIZE  # noqa: E402
from lcc_plus.vla.export import export_onnx, parity_max_abs_diff  # noqa: E402
from lcc_plus.vla.model import VlaNet, parameter_count  # noqa: E402
from lcc_plus.vla.preprocess import STATE_SIZE, CameraIntrinsics, virtual_camera_k  # noqa: E402
from lcc_plus.vla.runtime import InputSpec, VlaRuntime  # noqa: E402

CAM = CameraIntrinsics(640, 480, (520.0, 0.0, 320.0, 0.0, 520.0, 240.0, 0.0, 0.0, 1.0))


def _spec(w=96, h=48, frames=2):
    return InputSpec(frames, w, h, virtual_camera_k(CAM, 0.35, 0.95, w, h), CAM, 0.1)


def test_shapes_and_size():
    torch.manual_seed(0)
    net = VlaNet(2, 96, 192)
    assert 0.5e6 < parameter_count(net) < 2e6
    out = net(torch.zeros(4, 6, 96, 192, dtype=torch.uint8), torch.zeros(4, STATE_SIZE))
    assert out.shape == (4, OUTPUT_SIZE)


def test_export_parity_and_runtime_load(tmp_path):
    torch.manual_seed(1)
    spec = _spec()
    net = VlaNet(spec.num_frames, spec.height, spec.width)
    # Non-trivial BatchNorm statistics so the fold into the convolutions is exercised.
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(torch.randint(0, 255, (8, 6, spec.height, spec.width), dtype=torch.uint8),
                torch.randn(8, STATE_SIZE))
    path = tmp_path / "vla.onnx"
    export_onnx(net, spec, path, {"lcc_plus.note": "test"})
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (5, 6, spec.height, spec.width), dtype=np.uint8)
    state = rng.normal(size=(5, STATE_SIZE)).astype(np.float32)
    assert parity_max_abs_diff(net, path, image, state) < 1e-4
    vla = VlaRuntime(path, threads=1)
    assert vla.input_spec.num_frames == 2 and vla.input_spec.frame_gap_s == 0.1
    p = vla.infer([rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)], EgoState(speed_mps=10.0),
                  Intent(intent=IntentKind.CHANGE_RIGHT))
    assert p.path_t_s.size >= 10 and np.all(np.isfinite(p.path_y_m))
    assert 0.0 <= p.confidence <= 1.0
