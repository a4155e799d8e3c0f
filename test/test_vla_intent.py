"""Text driving commands -> Intent tokens, and clear rejection of unknown phrases."""
import pytest

from lcc_plus.common.types import ForkPreference, IntentKind
from lcc_plus.vla.intent_text import parse_intent


@pytest.mark.parametrize("text, intent, fork", [
    ("change lane left", IntentKind.CHANGE_LEFT, ForkPreference.DEFAULT),
    ("Change lanes to the right, please!", IntentKind.CHANGE_RIGHT, ForkPreference.DEFAULT),
    ("go left", IntentKind.CHANGE_LEFT, ForkPreference.DEFAULT),
    ("move right", IntentKind.CHANGE_RIGHT, ForkPreference.DEFAULT),
    ("lane change right", IntentKind.CHANGE_RIGHT, ForkPreference.DEFAULT),
    ("overtake", IntentKind.CHANGE_LEFT, ForkPreference.DEFAULT),
    ("stay in lane", IntentKind.KEEP_LANE, ForkPreference.DEFAULT),
    ("keep the lane", IntentKind.KEEP_LANE, ForkPreference.DEFAULT),
    ("go straight", IntentKind.KEEP_LANE, ForkPreference.DEFAULT),
    ("keep right at the fork", IntentKind.KEEP_LANE, ForkPreference.RIGHT),
    ("Keep LEFT at the fork.", IntentKind.KEEP_LANE, ForkPreference.LEFT),
    ("take the right branch", IntentKind.KEEP_LANE, ForkPreference.RIGHT),
    ("follow the main road", IntentKind.KEEP_LANE, ForkPreference.MAIN),
])
def test_accepted_phrases(text, intent, fork):
    parsed = parse_intent(text, stamp_s=3.5)
    assert (parsed.intent, parsed.fork_preference) == (intent, fork)
    assert parsed.text == text and parsed.stamp_s == 3.5


@pytest.mark.parametrize("text", ["", "fly to the moon", "change lane", "go left right", "turn around", "left"])
def test_unknown_phrase_is_rejected_with_the_accepted_forms(text):
    with pytest.raises(ValueError) as err:
        parse_intent(text)
    msg = str(err.value)
    assert repr(text) in msg
    assert "change lane left" in msg and "keep right at the fork" in msg


def test_non_string_is_rejected():
    with pytest.raises(ValueError, match="must be a string"):
        parse_intent(None)
