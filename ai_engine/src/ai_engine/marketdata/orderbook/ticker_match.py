"""Checking a rebuilt book against the captured bookTicker stream, by update id.

Both streams carry order-book update ids: a diff covers ``U..u`` and leaves the book as it is at
id ``u``; a bookTicker with id ``t`` is the best bid and ask at id ``t``. Binance pushes a
bookTicker on every change of the best bid or ask, in real time, while a depth diff aggregates
many updates (100 ms on spot, the engine's batch on futures). So, with tickers in id order:

* The top of the book at a diff's ``u`` is the last bookTicker with ``t <= u``. A ticker with
  ``u_prev < t <= u`` (``u_prev``: the diff before, or the snapshot's id) that no later ticker
  follows within ``t < t' <= u`` is therefore *comparable*: it must equal the book after that
  diff, price and quantity on both sides (``matched`` / ``mismatched``).
* A ticker followed by another inside the same diff's range shows an intermediate state the
  aggregated diff does not reveal: ``superseded``, not comparable (not a mismatch).
* A ticker whose id no synced book state covers (before the first snapshot, during an
  out-of-sync stretch, in a capture without snapshot) is ``unsynced``; one beyond the last
  applied diff when the input ends is ``after_end``; one whose id does not increase is
  ``out_of_order``. None of these is compared.

A second view of the same rule checks every book state: after each applied diff (and each
snapshot) the book's top must equal the last ticker with ``t <= u`` (``states_matched``), once
a ticker past ``u`` has arrived (so that last ticker is known) and when there was a ticker
before.

The join is streaming (the captures interleave by local receive time, not update id): tickers
and book states wait in two queues until both sides are known, so memory stays bounded by how
far the two streams drift apart.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from ai_engine.marketdata.captures import BookTickerEvent

Top = tuple[tuple[str, str] | None, tuple[str, str] | None]  # (best bid, best ask)
SHOWN_MISMATCHES = 5
MAX_WAITING = 100_000  # tickers kept while no book state can settle them


@dataclass(slots=True)
class MatchCounts:
    """Per-source counts of the ticker check (see the module docstring)."""

    tickers: int = 0
    matched: int = 0
    mismatched: int = 0
    superseded: int = 0
    unsynced: int = 0
    after_end: int = 0
    out_of_order: int = 0
    states_checked: int = 0
    states_matched: int = 0
    mismatches: list[str] = field(default_factory=list)  # the first few, described

    @property
    def compared(self) -> int:
        return self.matched + self.mismatched

    @property
    def match_rate(self) -> float | None:
        return None if self.compared == 0 else self.matched / self.compared


@dataclass(slots=True)
class _State:
    covers_from: int  # first update id this state stands for (ids before it: unsynced)
    last_id: int
    top: Top
    source: int


@dataclass(slots=True)
class _Ticker:
    update_id: int
    top: Top
    source: int


class TickerMatcher:
    """Feed book states (``add_state``) and tickers (``add_ticker``) in any interleaving;
    counts go to ``counts[source]`` of the ticker's (or state's) source."""

    def __init__(self, *, max_waiting: int = MAX_WAITING) -> None:
        self.counts: dict[int, MatchCounts] = {}
        self._states: deque[_State] = deque()
        self._tickers: deque[_Ticker] = deque()
        self._max_waiting = max_waiting
        self._chain_id: int | None = None  # last id of the newest state, while the chain holds
        self._last_ticker_id: int | None = None
        self._latest: _Ticker | None = None  # the newest ticker already settled

    def counts_of(self, source: int) -> MatchCounts:
        counts = self.counts.get(source)
        if counts is None:
            counts = self.counts[source] = MatchCounts()
        return counts

    def add_state(self, first_id: int | None, last_id: int, top: Top, source: int) -> None:
        """The book's top on reaching ``last_id``: after a diff (``first_id`` = its ``U``), or
        after a snapshot (``first_id`` None: the state stands for that one id)."""
        if first_id is None:
            covers_from = last_id
        elif self._chain_id is None:
            covers_from = first_id
        else:
            covers_from = self._chain_id + 1
        self._states.append(_State(covers_from, last_id, top, source))
        self._chain_id = last_id
        self._resolve(final=False)

    def break_chain(self) -> None:
        """The book lost sync: the next state does not continue the last one."""
        self._chain_id = None

    def add_ticker(self, ticker: BookTickerEvent, source: int) -> None:
        counts = self.counts_of(source)
        counts.tickers += 1
        if self._last_ticker_id is not None and ticker.update_id <= self._last_ticker_id:
            counts.out_of_order += 1
            return
        self._last_ticker_id = ticker.update_id
        top = ((ticker.bid, ticker.bid_qty), (ticker.ask, ticker.ask_qty))
        self._tickers.append(_Ticker(ticker.update_id, top, source))
        self._resolve(final=False)

    def finish(self) -> None:
        """No more input: settle what is still waiting."""
        self._resolve(final=True)
        while self._tickers:
            ticker = self._tickers.popleft()
            counts = self.counts_of(ticker.source)
            if self._chain_id is None:
                counts.unsynced += 1
            else:
                counts.after_end += 1  # past the last applied diff
        self._states.clear()  # the last ticker before them is not known: left unchecked

    def _resolve(self, *, final: bool) -> None:
        states, tickers = self._states, self._tickers
        while states and tickers:
            state, ticker = states[0], tickers[0]
            if ticker.update_id > state.last_id:
                # Every ticker up to this state's id is known: check the state, move on.
                self._check_state(state)
                states.popleft()
                continue
            if len(tickers) < 2 and not final:
                return  # whether a later ticker supersedes this one is not known yet
            tickers.popleft()
            self._latest = ticker
            counts = self.counts_of(ticker.source)
            if ticker.update_id < state.covers_from:
                counts.unsynced += 1
            elif tickers and tickers[0].update_id <= state.last_id:
                counts.superseded += 1
            elif ticker.top == state.top:
                counts.matched += 1
            else:
                counts.mismatched += 1
                if len(counts.mismatches) < SHOWN_MISMATCHES:
                    counts.mismatches.append(
                        f"bookTicker u={ticker.update_id} {_show(ticker.top)}; "
                        f"book at u={state.last_id} {_show(state.top)}"
                    )
        # Out of sync (or never synced) for long: settle the oldest tickers as unsynced so
        # that memory stays bounded (a later snapshot would not reach that far back anyway).
        while not states and len(tickers) > self._max_waiting:
            ticker = tickers.popleft()
            self._latest = ticker
            self.counts_of(ticker.source).unsynced += 1

    def _check_state(self, state: _State) -> None:
        latest = self._latest
        if latest is None or latest.update_id > state.last_id:
            return  # no ticker at or before this state: nothing to compare with
        counts = self.counts_of(state.source)
        counts.states_checked += 1
        if latest.top == state.top:
            counts.states_matched += 1


def _show(top: Top) -> str:
    return " ".join(
        f"{side} {level[0]}x{level[1]}" if level else f"{side} -"
        for side, level in zip(("bid", "ask"), top, strict=True)
    )
