"""Where Binance's public data archive keeps each file, and which files cover a range.

Layout of https://data.binance.vision (checked against Binance's own download scripts,
github.com/binance/binance-public-data):

    data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2023-01.zip
    data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2023-01-05.zip
    data/futures/um/monthly/markPriceKlines/BTCUSDT/1m/BTCUSDT-1m-2023-01.zip
    data/spot/monthly/trades/BTCUSDT/BTCUSDT-trades-2023-01.zip
    data/spot/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2023-01-05.zip
    data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2023-01.zip

each with ``<file>.CHECKSUM`` beside it (``<sha256>  <file name>``). Spot is ``data/spot``,
USD-M futures ``data/futures/um``.

Which files: a calendar month (UTC) wholly inside the range is one monthly file; the days of
the partial months at either end are daily files. A monthly file appears only after its month
has ended, so each monthly file carries its days as a fallback (used if it is missing). The
archive holds whole days only: the range ends at most at today 00:00 UTC. Funding rates are
published as monthly files only: every month the range touches, once that month is over
(``monthly_only``); the rest of the range is for the REST API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ai_engine.domain.enums import MarketType
from ai_engine.marketdata.intervals import to_datetime, to_ms

from .request import BAR_KINDS, DownloadRequest, Kind

DEFAULT_ARCHIVE_URL = "https://data.binance.vision"
DAY_MS = 86_400_000

MONTHLY_ONLY = frozenset({Kind.FUNDING})  # no daily fundingRate files in the archive
FOLDERS = {
    Kind.KLINES: "klines",
    Kind.MARK_PRICE: "markPriceKlines",
    Kind.TRADES: "trades",
    Kind.AGG_TRADES: "aggTrades",
    Kind.FUNDING: "fundingRate",
}


@dataclass(frozen=True)
class ArchiveFile:
    path: str  # below the base URL, no leading slash
    start_ms: int  # the period the file covers, [start, end)
    end_ms: int
    monthly: bool

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def checksum_path(self) -> str:
        return self.path + ".CHECKSUM"


@dataclass(frozen=True)
class PlannedFile:
    file: ArchiveFile
    fallback: tuple[ArchiveFile, ...] = ()  # a monthly file's days, if it is missing


def archive_file(request: DownloadRequest, start: datetime, *, monthly: bool) -> ArchiveFile:
    """The file of ``request``'s series for the month or day starting at ``start``."""
    market = "spot" if request.market is MarketType.SPOT else "futures/um"
    folder = FOLDERS[request.kind]
    bars = request.kind in BAR_KINDS
    middle = str(request.interval) if bars else folder
    series = f"{request.symbol}/{request.interval}" if bars else request.symbol
    stamp = start.strftime("%Y-%m" if monthly else "%Y-%m-%d")
    end = _next_month(start) if monthly else start + timedelta(days=1)
    return ArchiveFile(
        path=(
            f"data/{market}/{'monthly' if monthly else 'daily'}/{folder}/{series}/"
            f"{request.symbol}-{middle}-{stamp}.zip"
        ),
        start_ms=to_ms(start),
        end_ms=to_ms(end),
        monthly=monthly,
    )


def plan_files(
    request: DownloadRequest, end_ms: int, *, today_ms: int | None = None
) -> list[PlannedFile]:
    """The files covering ``[request.start_ms, end_ms)``, oldest first (``today_ms``: the
    start of today, for the kinds published monthly only)."""
    if request.kind in MONTHLY_ONLY:
        return [PlannedFile(f) for f in monthly_only(request, end_ms, today_ms or end_ms)]
    start_day = _day_start(request.start_ms)
    planned: list[PlannedFile] = []
    month = start_day.replace(day=1)
    while to_ms(month) < end_ms:
        following = _next_month(month)
        days = [
            archive_file(request, day, monthly=False)
            for day in _days(max(month, start_day), following)
            if to_ms(day) < end_ms
        ]
        if request.start_ms <= to_ms(month) and to_ms(following) <= end_ms:
            planned.append(PlannedFile(archive_file(request, month, monthly=True), tuple(days)))
        else:
            planned.extend(PlannedFile(day) for day in days)
        month = following
    return planned


def monthly_only(request: DownloadRequest, end_ms: int, today_ms: int) -> list[ArchiveFile]:
    """Monthly files of every month touching ``[start, end)`` that is over by ``today_ms``."""
    files: list[ArchiveFile] = []
    month = _day_start(request.start_ms).replace(day=1)
    while to_ms(month) < end_ms and to_ms(_next_month(month)) <= today_ms:
        files.append(archive_file(request, month, monthly=True))
        month = _next_month(month)
    return files


def archive_end(now_ms: int) -> int:
    """Today 00:00 UTC: the archive publishes a day once it is over."""
    return now_ms - now_ms % DAY_MS


def _day_start(ms: int) -> datetime:
    return to_datetime(ms - ms % DAY_MS)


def _days(first: datetime, stop: datetime) -> list[datetime]:
    count = (stop - first).days
    return [first + timedelta(days=i) for i in range(count)]


def _next_month(moment: datetime) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)
