"""Short text driving commands -> Intent tokens (the same tokens the mode manager sends).

Accepted forms (case and punctuation ignored, "please" and "the" optional):
  keep:   "stay in lane", "keep lane", "keep the lane", "go straight", "straight on"
  change: "change lane left|right", "change lanes to the left", "lane change right",
          "go left|right", "move left|right", "switch lane left|right", "overtake"
          ("overtake" means change left: passing on the left)
  fork:   "keep left|right at the fork", "take the left|right branch", "left|right at the fork",
          "follow the main road", "stay on the main road"
A keep/fork phrase sets only the fork preference; change phrases set only the lateral intent.
Anything else raises ValueError naming the phrase and these forms.
"""
from __future__ import annotations

import re

from lcc_plus.common.types import ForkPreference, Intent, IntentKind

ACCEPTED_FORMS = (
    "stay in lane", "keep lane", "go straight",
    "change lane left", "change lane right", "go left", "go right", "move left", "move right",
    "overtake", "keep left at the fork", "keep right at the fork", "take the left branch",
    "take the right branch", "follow the main road",
)

_SIDE = r"(?P<side>left|right)"
_FILLER = re.compile(r"\b(please|the|a|to|towards|into|onto|now)\b")
# (pattern over the normalised phrase, rule kind); `side` picks left or right where present.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), kind) for p, kind in (
        (r"^(stay|keep|remain)( in| on)?( my| your| current| ego)? lane$", "keep"),
        (r"^(go|drive|continue)? ?straight( on| ahead)?$", "keep"),
        (rf"^(change|switch|move)( lanes?)? {_SIDE}( lane)?$", "change"),
        (rf"^lane change {_SIDE}$", "change"),
        (rf"^(go|move|merge|steer) {_SIDE}$", "change"),
        (r"^(overtake|pass)( (lead|car|vehicle|it))?$", "overtake"),
        (rf"^(keep|stay|bear|go)? ?{_SIDE} at (fork|split|junction)$", "fork"),
        (rf"^(take|follow|choose) {_SIDE} (branch|exit|fork)$", "fork"),
        (r"^(follow|stay on|keep on|take) main (road|branch|carriageway)$", "main"),
    )
)


def normalise(text: str) -> str:
    """Lower case, punctuation and filler words removed, single spaces."""
    t = re.sub(r"[^a-z ]+", " ", text.lower())
    t = _FILLER.sub(" ", t)
    return " ".join(t.split())


def parse_intent(text: str, stamp_s: float = 0.0) -> Intent:
    """Parse a short text command into an Intent; ValueError for an unknown phrase."""
    if not isinstance(text, str):
        raise ValueError(f"intent text must be a string, got {type(text).__name__}")
    phrase = normalise(text)
    for pattern, kind in _RULES:
        m = pattern.match(phrase)
        if m is None:
            continue
        side = m.groupdict().get("side")
        intent, fork = IntentKind.KEEP_LANE, ForkPreference.DEFAULT
        if kind == "change":
            intent = IntentKind.CHANGE_LEFT if side == "left" else IntentKind.CHANGE_RIGHT
        elif kind == "overtake":
            intent = IntentKind.CHANGE_LEFT
        elif kind == "fork":
            fork = ForkPreference.LEFT if side == "left" else ForkPreference.RIGHT
        elif kind == "main":
            fork = ForkPreference.MAIN
        return Intent(stamp_s=stamp_s, intent=intent, fork_preference=fork, text=text)
    raise ValueError(
        f"unknown driving command {text!r}; accepted forms: " + "; ".join(f'"{f}"' for f in ACCEPTED_FORMS)
    )
