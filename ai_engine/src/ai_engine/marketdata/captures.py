"""Binance raw WebSocket captures: one event per line, parsed into typed records, streamed.

A capture (``*.jsonl.gz``, gzip text, or plain text) holds one event per line::

    <local receive timestamp> <JSON>

The JSON is a combined-stream message ``{"stream": "btcusdt@depth@100ms", "data": {...}}`` or,
without a ``stream`` key, a REST depth snapshot ``{"lastUpdateId", "bids", "asks"}`` taken right
after connecting. Rules:

* The local stamp is converted once, here, to nanoseconds since the epoch: the captures use
  nanoseconds (2024 files, 19 digits) or microseconds (2023 files, 16 digits); the unit is told
  by magnitude (below 1e17 is microseconds, below 1e14 milliseconds).
* Streams are told by the name after the symbol: ``depth`` (any speed suffix), ``trade``,
  ``bookTicker``, ``markPrice``. Anything else (``aggTrade``, ``kline_1m``, ...) is unsupported.
* Prices and quantities stay the exchange's strings (exact); ids and times are ints. Futures
  depth diffs carry ``pu`` (``prev_final_id``), spot diffs do not (``None``); futures
  bookTicker carries ``E`` (``event_ms``), spot bookTicker does not.
* A malformed line (bad JSON, missing or mistyped field, unsupported stream) does not stop the
  reader: it is logged with file, line number and the start of its content, and skipped.
  ``strict=True`` raises ``BadMarketData(msg, source=path, row=line_no)`` instead. Blank lines
  are skipped silently.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import IO, Any, cast

from ai_engine.domain.errors import BadMarketData

logger = logging.getLogger(__name__)

Level = tuple[str, str]  # (price, quantity) as the exchange wrote them
_SHOWN = 160  # characters of a bad line quoted in the log
_LOGGED_PER_FILE = 20  # bad lines logged one by one per file; the rest are counted at the end
_decode_json = json.JSONDecoder().raw_decode


@dataclass(frozen=True, slots=True)
class DepthSnapshot:
    """A REST depth snapshot (``/api/v3/depth``, ``/fapi/v1/depth``), levels best first."""

    local_ns: int
    last_update_id: int
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]


@dataclass(frozen=True, slots=True)
class DepthDiff:
    """A ``depthUpdate`` diff covering update ids ``first_id`` (U) .. ``final_id`` (u).

    A quantity of zero removes the level. ``prev_final_id`` is futures' ``pu`` (the previous
    diff's ``u``); spot diffs have none.
    """

    local_ns: int
    event_ms: int
    symbol: str
    first_id: int
    final_id: int
    prev_final_id: int | None
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]


@dataclass(frozen=True, slots=True)
class TradeEvent:
    """One public trade (``@trade``). The taker bought when ``buyer_is_maker`` is False."""

    local_ns: int
    event_ms: int
    trade_ms: int
    symbol: str
    trade_id: int
    price: str
    qty: str
    buyer_is_maker: bool


@dataclass(frozen=True, slots=True)
class BookTickerEvent:
    """Best bid and ask (``@bookTicker``); ``update_id`` is an order-book update id."""

    local_ns: int
    symbol: str
    update_id: int
    bid: str
    bid_qty: str
    ask: str
    ask_qty: str
    event_ms: int | None  # futures bookTicker has E, spot has none


@dataclass(frozen=True, slots=True)
class MarkPriceEvent:
    """Futures mark price, index price and funding (``@markPrice`` / ``@markPrice@1s``)."""

    local_ns: int
    event_ms: int
    symbol: str
    mark: str
    index: str
    funding_rate: str
    next_funding_ms: int


CaptureEvent = DepthSnapshot | DepthDiff | TradeEvent | BookTickerEvent | MarkPriceEvent


def read_capture(
    path: Path, *, strict: bool = False, on_skip: Callable[[int, str], None] | None = None
) -> Iterator[CaptureEvent]:
    """The events of the capture at ``path``, in file order (gzip when the name ends in .gz).

    ``on_skip(line_no, reason)`` is called for each malformed line skipped (not in strict mode).
    """
    source = str(path)
    skipped = line_no = 0
    with _open_binary(path) as lines:
        try:
            for line_no, line in enumerate(lines, 1):
                if line.isspace():
                    continue
                try:
                    event = parse_line(line)
                except (ValueError, KeyError, TypeError, IndexError) as exc:
                    reason = _reason(exc)
                    if strict:
                        raise BadMarketData(
                            f"{reason}; line starts {_quote(line)}", source=source, row=line_no
                        ) from None
                    skipped += 1
                    if on_skip is not None:
                        on_skip(line_no, reason)
                    if skipped <= _LOGGED_PER_FILE:
                        logger.warning(
                            "%s:%d: skipped malformed line (%s): %s",
                            source,
                            line_no,
                            reason,
                            _quote(line),
                        )
                    continue
                yield event
        except EOFError:
            # A capture cut while it was being written ends in an unfinished gzip member.
            if strict:
                raise BadMarketData(
                    "gzip data ends early", source=source, row=line_no + 1
                ) from None
            logger.warning("%s: gzip data ends early after line %d; rest lost", source, line_no)
    if skipped > _LOGGED_PER_FILE:
        logger.warning("%s: %d malformed lines skipped in all", source, skipped)


def parse_line(line: bytes | str) -> CaptureEvent:
    """One capture line; ``ValueError`` (or ``KeyError``/``TypeError``) when it is malformed.

    ``UnicodeDecodeError`` and ``json.JSONDecodeError`` are ``ValueError``s.
    """
    parts = line.split(None, 1)
    if len(parts) != 2:
        raise ValueError("expected '<local timestamp> <JSON>'")
    stamp, body = parts
    local_ns = local_ns_of(int(stamp))
    text = body.decode() if isinstance(body, bytes) else body
    message, end = _decode_json(text)  # the C scanner, without json.loads' wrappers
    if end != len(text) and not text[end:].isspace():
        raise ValueError(f"extra data after the JSON at column {end + 1}")
    if not isinstance(message, dict):
        raise ValueError(f"expected a JSON object, got {type(message).__name__}")
    if "stream" in message:
        return parse_stream_message(local_ns, message)
    return parse_snapshot(local_ns, message)


def local_ns_of(stamp: int) -> int:
    """A local receive stamp in ns, us or ms (told by magnitude) as nanoseconds."""
    if stamp <= 0:
        raise ValueError(f"local timestamp {stamp} is not positive")
    if stamp < 100_000_000_000_000:  # < 1e14: milliseconds
        return stamp * 1_000_000
    if stamp < 100_000_000_000_000_000:  # < 1e17: microseconds
        return stamp * 1_000
    return stamp


def parse_stream_message(local_ns: int, message: dict[str, Any]) -> CaptureEvent:
    """A combined-stream message ``{"stream": ..., "data": ...}`` as a record."""
    stream = message["stream"]
    data = message["data"]
    kind = stream.split("@", 2)[1] if isinstance(stream, str) and "@" in stream else None
    parser = _PARSERS.get(kind) if kind is not None else None
    if parser is None:
        raise ValueError(f"unsupported stream {stream!r}")
    if not isinstance(data, dict):
        raise TypeError(f"stream {stream!r}: data is not an object")
    return parser(local_ns, data)


def parse_snapshot(local_ns: int, payload: dict[str, Any]) -> DepthSnapshot:
    """A REST depth snapshot body (``lastUpdateId``, ``bids``, ``asks``)."""
    return DepthSnapshot(
        local_ns, _int(payload, "lastUpdateId"), _levels(payload["bids"]), _levels(payload["asks"])
    )


def _depth(local_ns: int, d: dict[str, Any]) -> DepthDiff:
    pu = d.get("pu")
    if pu is not None and type(pu) is not int:
        raise TypeError(f"field 'pu' is {type(pu).__name__}, not int")
    first, final = _int(d, "U"), _int(d, "u")
    if first > final:
        raise ValueError(f"depth diff U={first} > u={final}")
    return DepthDiff(
        local_ns,
        _int(d, "E"),
        _str(d, "s"),
        first,
        final,
        pu,
        _levels(d["b"]),
        _levels(d["a"]),
    )


def _trade(local_ns: int, d: dict[str, Any]) -> TradeEvent:
    maker = d["m"]
    if type(maker) is not bool:
        raise TypeError(f"field 'm' is {type(maker).__name__}, not bool")
    return TradeEvent(
        local_ns,
        _int(d, "E"),
        _int(d, "T"),
        _str(d, "s"),
        _int(d, "t"),
        _str(d, "p"),
        _str(d, "q"),
        maker,
    )


def _book_ticker(local_ns: int, d: dict[str, Any]) -> BookTickerEvent:
    event_ms = d.get("E")
    if event_ms is not None and type(event_ms) is not int:
        raise TypeError(f"field 'E' is {type(event_ms).__name__}, not int")
    return BookTickerEvent(
        local_ns,
        _str(d, "s"),
        _int(d, "u"),
        _str(d, "b"),
        _str(d, "B"),
        _str(d, "a"),
        _str(d, "A"),
        event_ms,
    )


def _mark_price(local_ns: int, d: dict[str, Any]) -> MarkPriceEvent:
    return MarkPriceEvent(
        local_ns,
        _int(d, "E"),
        _str(d, "s"),
        _str(d, "p"),
        _str(d, "i"),
        _str(d, "r"),
        _int(d, "T"),
    )


_PARSERS: dict[str, Callable[[int, dict[str, Any]], CaptureEvent]] = {
    "depth": _depth,
    "trade": _trade,
    "bookTicker": _book_ticker,
    "markPrice": _mark_price,
}


def _int(d: dict[str, Any], key: str) -> int:
    value = d[key]
    if type(value) is not int:
        raise TypeError(f"field {key!r} is {type(value).__name__}, not int")
    return value


def _str(d: dict[str, Any], key: str) -> str:
    value = d[key]
    if type(value) is not str:
        raise TypeError(f"field {key!r} is {type(value).__name__}, not str")
    return value


def _levels(raw: Any) -> tuple[Level, ...]:
    """``[["price", "qty"], ...]`` as tuples; every level must be two strings."""
    if type(raw) is not list:
        raise TypeError(f"levels are {type(raw).__name__}, not a list")
    levels: tuple[Level, ...] = tuple(map(tuple, raw))
    if levels:
        # C-speed checks: every level has two items, and every item is a str (join refuses others).
        if set(map(len, levels)) != {2}:
            raise ValueError("a price level is not a [price, quantity] pair")
        try:
            "".join(chain.from_iterable(levels))
        except TypeError:
            raise TypeError("a price or quantity is not a string") from None
    return levels


def _open_binary(path: Path) -> IO[bytes]:
    # Lines are split as bytes and each decoded by ``json.loads``: a bad byte spoils one line only.
    if path.suffix == ".gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"bad JSON: {exc.msg} at column {exc.colno}"
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc) or type(exc).__name__


def _quote(line: bytes) -> str:
    text = line.decode("utf-8", "replace").rstrip("\r\n")
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "...")
