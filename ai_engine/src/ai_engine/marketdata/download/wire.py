"""REST answers -> the CSV text of Binance's own dump files, for the one importer to read.

A kline row of ``/api/v3/klines`` is, field for field, a line of Binance's kline archive
(open time, OHLC, volume, close time, quote volume, trade count, taker volumes, ignore), and
the aggTrades and fundingRate answers carry the columns of their archive files. Writing them
out unchanged (the exchange's decimal strings included) and importing that text means a
download passes exactly the parsing and validation an imported file does, and the same bars
come out of the store whichever way they arrived.

Checked here: the shape of each row (a list of 12 fields, an object with the expected keys,
integer times) and, for klines, that the bar has closed by the server time given: a bar still
in progress is dropped, never stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ai_engine.domain.errors import BadMarketData

KLINE_FIELDS = 12
AGG_HEADER = (
    b"agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker\n"
)
FUNDING_HEADER = b"funding_time,funding_rate\n"
_BAD = (",,", ",\n", "\n,", '"', "\r")


@dataclass(frozen=True)
class Chunk:
    """CSV text of one answer: ``rows`` data lines, times ``first_ms``..``last_ms``."""

    data: bytes
    rows: int
    first_ms: int | None
    last_ms: int | None
    dropped_open: int = 0  # klines still open at the server time: not kept


def kline_chunk(rows: Sequence[Any], *, step_ms: int, now_ms: int, source: str) -> Chunk:
    """Closed klines (``open + step <= now_ms``) as headerless kline CSV."""
    lines: list[str] = []
    times: list[int] = []
    dropped = 0
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, list | tuple) or len(row) != KLINE_FIELDS:
            raise BadMarketData(
                f"expected a kline of {KLINE_FIELDS} fields, got {str(row)[:120]}",
                source=source,
                row=index,
            )
        opened = _integer(row[0], "open time", source, index)
        if opened + step_ms > now_ms:
            dropped += 1  # still open: its values would change
            continue
        lines.append(",".join(map(str, row)))
        times.append(opened)
    return _chunk(lines, times, KLINE_FIELDS, source, dropped=dropped)


def funding_chunk(rows: Sequence[Any], *, source: str) -> Chunk:
    lines: list[str] = []
    times: list[int] = []
    for index, row in enumerate(rows, start=1):
        entry = _object(row, ("fundingTime", "fundingRate"), source, index)
        moment = _integer(entry["fundingTime"], "fundingTime", source, index)
        lines.append(f"{moment},{entry['fundingRate']}")
        times.append(moment)
    return _chunk(lines, times, 2, source, header=FUNDING_HEADER)


def agg_trade_chunk(rows: Sequence[Any], *, source: str) -> Chunk:
    lines: list[str] = []
    times: list[int] = []
    for index, row in enumerate(rows, start=1):
        entry = _object(row, ("a", "p", "q", "f", "l", "T", "m"), source, index)
        moment = _integer(entry["T"], "T", source, index)
        ids = [_integer(entry[name], name, source, index) for name in ("a", "f", "l")]
        maker = entry["m"]
        if not isinstance(maker, bool):
            message = f"m must be true or false, got {maker!r}"
            raise BadMarketData(message, source=source, row=index)
        lines.append(f"{ids[0]},{entry['p']},{entry['q']},{ids[1]},{ids[2]},{moment},{maker}")
        times.append(moment)
    return _chunk(lines, times, 7, source, header=AGG_HEADER)


def agg_ids(rows: Sequence[Any]) -> list[int]:
    """The aggregate ids of an aggTrades answer already checked by ``agg_trade_chunk``."""
    return [int(row["a"]) for row in rows]


def _chunk(
    lines: list[str],
    times: list[int],
    fields: int,
    source: str,
    *,
    header: bytes = b"",
    dropped: int = 0,
) -> Chunk:
    if not lines:
        return Chunk(b"", 0, None, None, dropped)
    text = "\n".join(lines) + "\n"
    # One pass over the whole text instead of a check per value: every line has exactly
    # ``fields`` plain ASCII values, none empty, no quoting. Only on failure find the line.
    if (
        not text.isascii()
        or text.count(",") != (fields - 1) * len(lines)
        or text.count("\n") != len(lines)
        or any(bad in text for bad in _BAD)
        or text.startswith(",")
    ):
        _raise_on_bad_line(lines, fields, source)
    return Chunk(header + text.encode("ascii"), len(lines), times[0], times[-1], dropped)


def _raise_on_bad_line(lines: list[str], fields: int, source: str) -> None:
    for index, line in enumerate(lines, start=1):
        values = line.split(",")
        if len(values) != fields or any(_unusable(value) for value in values):
            raise BadMarketData(f"unusable value in {line[:120]!r}", source=source, row=index)
    raise BadMarketData("unusable values", source=source)


def _unusable(value: str) -> bool:
    return not value or not value.isascii() or any(c in value for c in '"\n\r')


def _object(row: Any, keys: tuple[str, ...], source: str, index: int) -> dict[str, Any]:
    missing = [key for key in keys if not isinstance(row, dict) or key not in row]
    if missing:
        raise BadMarketData(
            f"missing {', '.join(missing)} in {str(row)[:120]}", source=source, row=index
        )
    return row  # type: ignore[no-any-return]


def _integer(value: Any, name: str, source: str, index: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadMarketData(f"{name} must be an integer, got {value!r}", source=source, row=index)
    return value
