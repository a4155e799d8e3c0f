"""lcc-plus record / play over real DDS, sample bags from the simulator, and process replay."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.ros

REPO = Path(__file__).resolve().parents[1]
BAG = REPO / "test" / "data" / "replay" / "highway_slow_truck_s0"


def _cli(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "lcc_plus.cli", *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kwargs)


def _messages(bag: Path, topic: str) -> list[tuple[int, bytes]]:
    from rosbags.rosbag2 import Reader

    with Reader(bag) as reader:
        conns = [c for c in reader.connections if c.topic == topic]
        return [(t, bytes(raw)) for _, t, raw in reader.messages(connections=conns)]


def test_committed_bag_is_small_and_complete():
    size = sum(p.stat().st_size for p in BAG.iterdir())
    assert size < 2_000_000
    from rosbags.rosbag2 import Reader

    with Reader(BAG) as reader:
        topics = {c.topic: c.msgtype for c in reader.connections}
    assert topics["/vehicle/state"] == "lcc_plus/msg/VehicleState"
    assert topics["/camera/image_raw/compressed"] == "sensor_msgs/msg/CompressedImage"
    assert {"/vehicle/driver_input", "/sensing/rear_objects", "/lcc/vla_action", "/camera/camera_info"} <= set(topics)


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
def test_sample_bag_from_the_simulator(tmp_path, storage):
    from lcc_plus.msg import VehicleState
    from rclpy.serialization import deserialize_message
    from sensor_msgs.msg import Image

    from lcc_plus.bags.sample import write_sim_bag

    out = write_sim_bag(tmp_path / "bag", "narrow_curves", seed=3, duration_s=0.5, storage=storage, camera="raw",
                        camera_every_n=5, progress=False)
    states = _messages(out, "/vehicle/state")
    images = _messages(out, "/camera/image_raw")
    assert len(states) == 10 and len(images) == 2
    first = deserialize_message(states[1][1], VehicleState)
    assert first.speed_mps > 5.0 and first.header.stamp.nanosec > 0
    image = deserialize_message(images[0][1], Image)
    assert (image.width, image.height, image.encoding) == (640, 480, "rgb8")
    assert (out / "metadata.yaml").read_text().count(storage) >= 1


def test_play_then_record_over_dds_gives_the_same_bytes(tmp_path):
    out = tmp_path / "recorded"
    topics = ["/vehicle/state", "/lcc/vla_action"]
    recorder = _cli("record", "-o", str(out), "--duration", "14", *topics)
    try:
        player = _cli("play", str(BAG), "--topics", *topics, "--wait-for-subscribers", "4", "--clock")
        play_out, _ = player.communicate(timeout=60)
        assert player.returncode == 0, play_out
    finally:
        rec_out, _ = recorder.communicate(timeout=60)
    assert recorder.returncode == 0, rec_out
    from rclpy.serialization import deserialize_message

    from lcc_plus.bags.record import message_class

    for topic, msgtype in zip(topics, ("lcc_plus/msg/VehicleState", "lcc_plus/msg/VlaAction")):
        cls = message_class(msgtype)

        def canonical(raw: bytes, cls=cls) -> str:  # CDR padding bytes are not part of the message
            return repr(deserialize_message(raw, cls))  # repr: NaN fields compare equal

        original = [canonical(raw) for _, raw in _messages(BAG, topic)]
        got = [canonical(raw) for _, raw in _messages(out, topic)]
        assert got == original, f"{topic}: {len(got)} of {len(original)} messages came back intact\n{rec_out}"


def test_record_stopped_by_ctrl_c_mid_stream_closes_a_whole_bag(tmp_path):
    out = tmp_path / "recorded"
    recorder = _cli("record", "-o", str(out), "/vehicle/state")
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(recorder.stdout), daemon=True)
    reader.start()
    player = _cli("play", str(BAG), "--topics", "/vehicle/state", "--wait-for-subscribers", "1", "--loop")
    try:
        deadline = time.monotonic() + 60.0
        while not any("recording /vehicle/state" in line for line in lines) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(3.0)  # the player's 1 s wait, then a few dozen messages into the stream
        assert player.poll() is None, "the stream still flows when Ctrl-C comes"
        recorder.send_signal(signal.SIGINT)
        recorder.wait(timeout=30)
        reader.join(timeout=10)
    finally:
        player.kill()
        player.communicate()
    rec_out = "".join(lines)
    assert recorder.returncode == 0, rec_out
    assert "Traceback" not in rec_out and "Exception ignored" not in rec_out, rec_out
    from lcc_plus.msg import VehicleState
    from rclpy.serialization import deserialize_message

    got = _messages(out, "/vehicle/state")
    assert got, rec_out
    assert f"/vehicle/state: {len(got)} messages" in rec_out
    assert all(deserialize_message(raw, VehicleState).header.stamp.sec >= 0 for _, raw in got)


def test_play_rejects_bad_arguments(tmp_path):
    bad = _cli("play", str(tmp_path))
    assert bad.wait(timeout=30) != 0 and "not a rosbag2 folder" in bad.stdout.read()
    missing = _cli("play", str(BAG), "--topics", "/nope")
    assert missing.wait(timeout=30) != 0 and "no topic(s) /nope" in missing.stdout.read()


def test_replay_matches_the_stored_reference():
    from lcc_plus.bags.replay import DEFAULT_REFERENCE, diff, replay

    reference = json.loads(DEFAULT_REFERENCE.read_text())["rows"]
    diffs = diff(reference, replay(BAG))
    assert not diffs, "outputs changed; if intended run `lcc-plus replay --update`:\n" + "\n".join(map(str, diffs))


def test_replay_diff_reports_what_changed(tmp_path):
    from lcc_plus.bags import replay as rp

    rows = rp.replay(BAG)
    changed = [dict(r) for r in rows]
    changed[30]["gated_accel_mps2"] += 0.5
    changed[40]["mode"] = 6
    diffs = {d.field: d for d in rp.diff(rows, changed)}
    assert set(diffs) == {"gated_accel_mps2", "mode"}
    assert diffs["gated_accel_mps2"].max_abs == pytest.approx(0.5) and diffs["mode"].first_t_s == rows[40]["t_s"]
    assert rp.diff(rows, rows[:-3])[0].field == "rows"
    text = rp.report_markdown(BAG, list(diffs.values()), len(rows))
    assert "gated_accel_mps2" in text and "--update" in text
    # --update writes a reference that the next replay matches.
    ref = tmp_path / "ref.json"
    update = _cli("replay", "--reference", str(ref), "--update")
    assert update.wait(timeout=120) == 0
    check = _cli("replay", "--reference", str(ref), "--report", str(tmp_path / "diff.md"))
    assert check.wait(timeout=120) == 0, check.stdout.read()
    assert "All outputs match" in (tmp_path / "diff.md").read_text()


def test_record_from_sim_cli_and_missing_topics(tmp_path):
    out = tmp_path / "sim_bag"
    proc = _cli("record", "--from-sim", "narrow_curves", "--duration", "0.5", "--camera", "none", "-o", str(out))
    text, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, text
    assert len(_messages(out, "/vehicle/driver_input")) == 10
    bare = _cli("record", "-o", str(tmp_path / "none"))
    assert bare.wait(timeout=30) != 0 and "name the topics" in bare.stdout.read()


def test_remap_rules():
    from lcc_plus.bags.play import parse_remaps

    assert parse_remaps(["vehicle/state:=/other/state", "/a:=b"]) == {"/vehicle/state": "/other/state", "/a": "/b"}
    with pytest.raises(SystemExit, match="FROM:=TO"):
        parse_remaps(["/a=/b"])
