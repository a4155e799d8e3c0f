"""LeadRange: the lead's range over the model frames as a second witness of the TTC, case by case."""
import pytest

from lcc_plus.safety.checks import LeadRange


def ranges(frames, window_s=0.2, fraction=0.5) -> LeadRange:
    r = LeadRange(window_s, fraction)
    for stamp_s, distance_m in frames:
        r.record(stamp_s, distance_m)
    return r


def at_10_hz(*distances):
    return [(round(0.1 * i, 3), d) for i, d in enumerate(distances)]


def test_a_range_that_shrinks_as_fast_as_the_model_says_confirms_it():
    r = ranges(at_10_hz(12.0, 11.2, 10.4, 9.6))
    assert r.closing_mps() == pytest.approx(8.0)
    assert r.confirms(8.0) and r.confirms(15.0) and not r.confirms(17.0)


@pytest.mark.parametrize("distances", [(1.9, 1.9, 1.9, 1.9),          # parked car, the ego standing
                                       (4.1, 5.2, 6.9, 9.0),          # the lead handed over to the next car
                                       (6.0, 5.9, 6.0, 5.9)])         # noise about a standing gap
def test_a_range_that_stays_put_or_grows_does_not_confirm_a_closing_lead(distances):
    r = ranges(at_10_hz(*distances))
    assert not r.confirms(2.0)
    assert not r.confirms(8.0)


def test_a_range_shrinking_far_slower_than_claimed_does_not_confirm_it():
    r = ranges(at_10_hz(10.0, 9.8, 9.6))  # 2 m/s seen, the model says 8
    assert r.confirms(4.0) and not r.confirms(8.0)


def test_a_lead_that_was_not_there_a_window_ago_is_judged_on_the_model_alone():
    # A cut-in: no lead, then a car 6 m ahead. It must not wait for a window of history.
    assert ranges(at_10_hz(None, None, 6.0)).confirms(10.0)
    assert ranges(at_10_hz(20.0, None, 6.0)).confirms(10.0)
    assert ranges(at_10_hz(20.0, None, 6.0)).closing_mps() is None


def test_too_short_a_history_is_judged_on_the_model_alone():
    assert ranges([]).confirms(10.0)
    assert ranges(at_10_hz(6.0)).confirms(10.0)
    assert ranges(at_10_hz(6.0, 6.0)).confirms(10.0)  # 0.1 s < the 0.2 s window


def test_a_long_gap_in_the_frames_leaves_no_witness():
    r = ranges([(0.0, 6.0), (2.0, 6.0)])
    assert r.closing_mps() is None and r.confirms(3.0)


def test_the_same_frame_twice_counts_once_and_time_running_back_starts_afresh():
    r = ranges(at_10_hz(2.0, 2.0, 2.0))
    r.record(0.2, 2.0)
    assert not r.confirms(2.0)
    r.record(0.05, 2.0)  # a replayed bag: earlier stamps
    assert r.closing_mps() is None and r.confirms(2.0)


def test_only_the_last_window_counts():
    # Closing fast a second ago, standing now: the old frames do not vouch for the present.
    r = ranges(at_10_hz(20.0, 17.0, 14.0, 11.0, 8.0, 5.0, 5.0, 5.0))
    assert r.closing_mps() == pytest.approx(0.0)
    assert not r.confirms(3.0)


@pytest.mark.parametrize("fraction, confirms", [(0.0, True), (0.5, True), (1.0, False)])
def test_the_fraction_sets_how_much_of_the_claimed_shrink_must_be_seen(fraction, confirms):
    r = ranges(at_10_hz(10.0, 9.5, 9.0), fraction=fraction)  # 5 m/s seen
    assert r.confirms(6.0) == confirms
