"""Datagen on short episodes: labelled shards, suite weighting, extending data instead of regenerating it."""
import json
from dataclasses import replace

import numpy as np
import pytest

from lcc_plus.vla import datagen
from lcc_plus.vla import dataset as ds


def _params(**kw):
    base = dict(out_dir="unused", scenarios="curve_speed", episodes=1, first_seed=500000, episode_duration_s=3.0,
                control_dt_s=0.05, frame_gap_s=0.1, num_frames=2, width=64, height=32, crop_top_frac=0.36,
                crop_bottom_frac=0.94, randomize_appearance=True, recovery_fraction=0.5,
                perturbation_rate_per_min=6.0, perturbation_lat_accel_mps2=1.5, perturbation_duration_s=1.0,
                lane_change_rate_per_min=2.0, lane_change_hold_s=7.0, dagger_episodes=0, dagger_takeover_m=1.0,
                workers=1, shard_samples=1000)
    base.update(kw)
    return datagen.DatagenParams(**base)


def test_suite_names_expand_and_repeat_weights():
    names = datagen.scenario_names(_params(scenarios="small_roads, small_roads,curve_speed"))
    assert names.count("parked_village") == 2 and names.count("curve_speed") == 1
    assert len(datagen.scenario_names(_params(scenarios="all"))) == 20
    with pytest.raises(ValueError, match="unknown scenario or suite 'no_such_road'"):
        datagen.scenario_names(_params(scenarios="all,no_such_road"))


def test_more_episodes_extend_the_data_and_another_config_regenerates(tmp_path):
    p = _params()
    first = datagen.generate(p, tmp_path)
    assert first["episodes_done"] == [500000] and not first["failures"]
    shard = tmp_path / "expert-0000.npz"
    before = shard.read_bytes()
    data = ds.load(tmp_path)
    assert len(data) == first["scenarios"]["curve_speed"] == 30  # 3 s of 10 Hz frames
    assert data.frames.shape[1:] == (32, 64, 3) and np.all(np.isfinite(data.target))

    more = datagen.generate(replace(p, episodes=2), tmp_path)
    assert more["episodes_done"] == [500000, 500001]
    assert shard.read_bytes() == before          # the first episode was not run again
    assert sorted(f.name for f in tmp_path.glob("*.npz")) == ["expert-0000.npz", "expert1-0000.npz"]
    assert sorted(np.unique(ds.load(tmp_path).episode)) == [500000, 500001]

    other = datagen.generate(replace(p, width=48), tmp_path)
    assert other["episodes_done"] == [500000]
    assert [f.name for f in tmp_path.glob("*.npz")] == ["expert-0000.npz"]
    assert json.loads((tmp_path / ds.MANIFEST).read_text())["config"]["width"] == 48
