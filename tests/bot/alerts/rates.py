"""Measuring a send log: the most messages in any one-second window, the closest two messages
to one chat. Used on the pacer's grants and on the emulator's receive log."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence


def max_in_window(times: Sequence[float], window: float = 1.0) -> int:
    """The largest number of `times` inside any half-open interval [t, t + window)."""
    ordered = sorted(times)
    best = 0
    start = 0
    for end, moment in enumerate(ordered):
        while ordered[start] <= moment - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def min_gap_per_chat(events: Iterable[tuple[int, float]]) -> float:
    """The shortest time between two messages to the same chat (inf if none repeats)."""
    by_chat: dict[int, list[float]] = defaultdict(list)
    for chat_id, moment in events:
        by_chat[chat_id].append(moment)
    gaps = [
        later - earlier
        for moments in by_chat.values()
        for earlier, later in zip(sorted(moments), sorted(moments)[1:], strict=False)
    ]
    return min(gaps, default=float("inf"))


def mean_rate(times: Sequence[float]) -> float:
    """Messages per second from the first to the last."""
    if len(times) < 2:
        return 0.0
    return (len(times) - 1) / (max(times) - min(times))
