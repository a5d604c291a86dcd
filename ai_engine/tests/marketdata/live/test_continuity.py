"""Per-series de-duplication and hole detection."""

from __future__ import annotations

from ai_engine.marketdata.live.continuity import BarCursor, Seen, SequenceFilter

M = 60_000


def test_bar_cursor_classifies_against_the_last_published_bar() -> None:
    cursor = BarCursor(M)
    assert cursor.classify(10 * M) is Seen.FIRST
    assert cursor.next_open_ms is None
    cursor.advance(10 * M)
    assert cursor.classify(10 * M) is Seen.DUPLICATE
    assert cursor.classify(9 * M) is Seen.DUPLICATE
    assert cursor.classify(11 * M) is Seen.NEXT
    assert cursor.classify(13 * M) is Seen.HOLE
    assert cursor.next_open_ms == 11 * M


def test_sequences_accept_growing_numbers_per_key() -> None:
    seen = SequenceFilter()
    assert [seen.accept("t:BTCUSDT", n) for n in (5, 6, 6, 4, 9)] == [
        True,
        True,
        False,
        False,
        True,
    ]
    assert seen.accept("t:ETHUSDT", 1)  # keys are independent
    seen.forget("t:BTCUSDT")
    assert seen.accept("t:BTCUSDT", 1)
