"""Training machinery on a tiny synthetic data set: shards round trip, loss falls, calibration, metrics."""
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lcc_plus.common.types import EgoState, Intent, LaneLine, Lead, LineType, Perception  # noqa: E402
from lcc_plus.vla import dataset as ds  # noqa: E402
from lcc_plus.vla import metrics, train  # noqa: E402
from lcc_plus.vla.decode import LAYOUT, LAYOUT_VERSION, encode, existence_indices  # noqa: E402
from lcc_plus.vla.model import VlaNet  # noqa: E402
from lcc_plus.vla.preprocess import encode_state  # noqa: E402

H, W = 32, 64


def _params(**kw):
    base = dict(seed=3, threads=1, epochs=8, batch_size=16, learning_rate=3e-3, weight_decay=0.0, val_fraction=0.25,
                test_fraction=0.25, confidence_threshold_m=0.3, path_weight=4.0, line_weight=2.0, lead_weight=1.0,
                class_weight=0.5, confidence_weight=0.1, dagger_rounds=0, dagger_epochs=0, model_out="unused.onnx",
                model_card="unused.md")
    base.update(kw)
    return train.TrainParams(**base)


def _episode(rng, episode_id, n=24):
    """Images whose brightness encodes the lateral offset the labels ask for (learnable)."""
    offsets = rng.uniform(-1.0, 1.0, n)
    frames = np.clip(128 + offsets[:, None, None, None] * 100 + rng.normal(0, 3, (n, H, W, 3)), 0, 255)
    rows = {k: [] for k in ("state", "target", "mask", "line_type")}
    for off in offsets:
        ego = EgoState(speed_mps=10.0)
        t = np.linspace(0, 5, 11)
        lines = [LaneLine(np.array([y, 0, 0, 0]), 0, 50, 1.0, LineType.DASHED) for y in (5.25, 1.75, -1.75, -5.25)]
        gt = Perception(path_t_s=t, path_x_m=10 * t, path_y_m=np.full(11, off), path_speed_mps=np.full(11, 10.0),
                        lane_lines=lines, lead=Lead(30.0, -1.0, 0.0, 1.0))
        lab = encode(gt, ego)
        rows["state"].append(encode_state(ego, Intent())[0])
        rows["target"].append(lab.target)
        rows["mask"].append(lab.mask)
        rows["line_type"].append(lab.line_type.astype(np.int8))
    out = {k: np.stack(v) for k, v in rows.items()}
    out.update(frames=frames.astype(np.uint8), prev=np.maximum(np.arange(n) - 1, 0).astype(np.int32),
               episode=np.full(n, episode_id, np.int32), source=np.zeros(n, np.uint8))
    return out


@pytest.fixture()
def data(tmp_path):
    rng = np.random.default_rng(0)
    writer = ds.ShardWriter(tmp_path, "expert", shard_samples=50)
    for e in range(8):
        writer.add_episode(_episode(rng, e))
    writer.flush()
    (tmp_path / ds.MANIFEST).write_text(json.dumps({"input": {"num_frames": 2}, "layout_version": LAYOUT_VERSION}))
    return ds.load(tmp_path)


def test_shards_round_trip_and_previous_frames(data):
    assert len(data) == 8 * 24 and len(np.unique(data.episode)) == 8
    # prev stays inside its own episode, also across shard borders
    assert np.all(data.episode[data.prev] == data.episode)
    img = data.images(np.array([30, 24]), 2)
    assert img.shape == (2, 6, H, W)
    np.testing.assert_array_equal(img[0, :3], data.frames[29].transpose(2, 0, 1))
    np.testing.assert_array_equal(img[1, :3], img[1, 3:])  # episode start repeats its own frame


def test_split_is_by_episode_and_seeded(data):
    p = _params()
    a = train.split_episodes(data.episode, p)
    b = train.split_episodes(data.episode, p)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    tr, va, te = a
    assert not set(data.episode[tr]) & set(data.episode[te]) and not set(data.episode[va]) & set(data.episode[te])
    assert (tr | va | te).all()


def test_training_learns_calibrates_and_reports(data):
    p = _params()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    net = VlaNet(2, H, W)
    tr, va, te = train.split_episodes(data.episode, p)
    idx = np.flatnonzero(tr)
    before = metrics.offline_metrics(train.predict(net, data, idx), data, idx, 0.3)["path_lateral_rms_m_mean"]
    history = train.fit(net, data, idx, p.epochs, p, seed=0)
    assert history[-1]["images_per_s"] > 0
    after = metrics.offline_metrics(train.predict(net, data, idx), data, idx, 0.3)["path_lateral_rms_m_mean"]
    assert after < 0.7 * before
    val = np.flatnonzero(va)
    raw_val = train.predict(net, data, val)
    a, b = train.calibrate_confidence(net, raw_val, data.target[val], data.mask[val, 0] > 0, 0.3)
    raw_after = train.predict(net, data, val)
    np.testing.assert_allclose(raw_after[:, LAYOUT.confidence], a * raw_val[:, LAYOUT.confidence] + b, atol=1e-4)
    m = metrics.offline_metrics(train.predict(net, data, np.flatnonzero(te)), data, np.flatnonzero(te), 0.3)
    assert sum(r["samples"] for r in m["confidence_reliability"]) == m["path_samples"]
    assert 0.0 <= m["confidence_ece"] <= 1.0
    test = np.flatnonzero(te)
    cross = metrics.crossfit_calibration(
        metrics.confidence_outcomes(raw_after, data.target[val], data.mask[val, 0] > 0, 0.3),
        metrics.confidence_outcomes(train.predict(net, data, test), data.target[test], data.mask[test, 0] > 0, 0.3))
    assert sum(r["samples"] for r in cross["confidence_reliability_crossfit"]) == len(val) + len(test)
    assert 0.0 <= cross["confidence_ece_crossfit"] <= 1.0
    assert m["line_ego_left_type_accuracy"] >= 0.0 and "lead_distance_error_m_mean" in m


def test_reliability_table_of_a_calibrated_predictor():
    rng = np.random.default_rng(2)
    conf = rng.uniform(size=20000)
    rows, ece = metrics.reliability(conf, rng.uniform(size=20000) < conf)
    assert len(rows) == 10 and ece < 0.02
    rows, ece = metrics.reliability(conf, np.ones(20000))
    assert ece > 0.4


def test_existence_logits_are_left_to_the_cross_entropy():
    """The regression terms must not pull an existence logit toward its 0 / 1 label (a logit of 0 is p 0.5)."""
    ego = EgoState(speed_mps=10.0)
    t = np.linspace(0, 5, 11)
    lines = [LaneLine(np.array([y, 0, 0, 0]), 0, 50, 1.0, LineType.DASHED) for y in (1.75, -1.75)]
    gt = Perception(path_t_s=t, path_x_m=10 * t, path_y_m=np.zeros(11), path_speed_mps=np.full(11, 10.0),
                    lane_lines=lines, lead=Lead(30.0, -1.0, 0.0, 1.0))
    lab = encode(gt, ego)
    target = torch.from_numpy(lab.target[None])
    ex = existence_indices()
    out = target.clone()
    out[0, ex] = 0.5  # every other value exact; the existence logits halfway between their labels
    out.requires_grad_(True)
    losses = train.loss_terms(out, target, torch.from_numpy(lab.mask[None]),
                              torch.from_numpy(lab.line_type[None].astype(np.int64)), _params())
    for name in ("lines", "leads"):
        (grad,) = torch.autograd.grad(losses[name], out, retain_graph=True, allow_unused=True)
        assert grad is None or float(grad[0, ex].abs().max()) == 0.0, name
    (grad,) = torch.autograd.grad(losses["classes"], out)
    absent = [i for i in ex if lab.target[i] == 0.0]
    present = [i for i in ex if lab.target[i] == 1.0]
    assert absent and present
    # Cross-entropy pushes an absent label's logit down and a present one's up.
    assert (grad[0, absent] > 0).all() and (grad[0, present] < 0).all()
