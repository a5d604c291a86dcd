"""The HTML report: self-contained, every section present, and drawn by a real Chromium.

The screenshot test opens the report of a real backtest (ema_cross on the vendored BTCUSDT
minutes) in headless Chromium and reads the PNG back (a small decoder below: no imaging
library in the venv): the equity chart's plot area (its own background colour) must hold the
equity line (its own colour) across almost its whole width and over many rows (not flat).
It is skipped only where no Chromium is installed (``apt-get install chromium``).
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

from ai_engine.backtest import engine
from ai_engine.backtest.config import BacktestConfig
from ai_engine.backtest.metrics import DAY_MS, compute_metrics
from ai_engine.backtest.report_html import (
    EQUITY_COLOUR,
    MAX_TRADE_ROWS,
    PLOT_BG,
    envelope,
    monthly_returns,
    render_html,
)
from ai_engine.backtest.result import BacktestResult, Trades
from ai_engine.marketdata.frames import Bars

from .test_backtrader_parity import bars_of_sample


@pytest.fixture(scope="module")
def btc() -> Bars:
    return bars_of_sample("BTCUSDT")


@pytest.fixture(scope="module")
def page(btc: Bars) -> tuple[str, BacktestResult]:
    result = engine.run("ema_cross", btc, symbol="BTCUSDT", interval_ms=60_000)
    html = render_html(
        result, compute_metrics(result), prices={"BTCUSDT": btc.close}, title="ema_cross"
    )
    return html, result


def test_self_contained_with_every_section(page: tuple[str, BacktestResult]) -> None:
    html, result = page
    for ident in ("metrics", "equity-chart", "drawdown-chart", "price-BTCUSDT",
                  "monthly-returns", "pnl-histogram", "trades"):  # fmt: skip
        assert f"id='{ident}'" in html, ident
    # nothing to fetch: no scripts, links, images or URLs (the SVG namespace is a name only)
    assert not re.search(r"<script|<link|<img|src=|href=|url\(", html)
    assert set(re.findall(r"https?://[^'\" ]+", html)) == {"http://www.w3.org/2000/svg"}
    trades = len(result.trades)
    assert trades > 20
    table = html[html.index("id='trades'") :]
    assert table.count("<tr>") - 1 == min(trades, MAX_TRADE_ROWS)
    # one entry triangle and one exit circle per trade on the price chart
    price = html[html.index("id='price-BTCUSDT'") : html.index("id='monthly-returns'")]
    assert price.count("<circle") == trades
    assert price.count("<polygon") == trades


def test_monthly_returns_chain_month_end_equity() -> None:
    # bars at 2023-01-30, 01-31, 02-01, 03-01 (days): month ends 101 (Jan), 99 (Feb), 110 (Mar)
    jan30 = 19_387 * DAY_MS  # 2023-01-30 00:00 UTC
    times = np.array([jan30, jan30 + DAY_MS, jan30 + 2 * DAY_MS, jan30 + 30 * DAY_MS])
    result = BacktestResult(
        symbols=("X",),
        open_time=times.astype(np.int64),
        equity=np.array([105.0, 101.0, 99.0, 110.0]),
        trades=Trades.empty(),
        config=BacktestConfig(cash=100.0),
        interval_ms=DAY_MS,
    )
    got = monthly_returns(result)
    assert [(y, m) for y, m, _ in got] == [(2023, 1), (2023, 2), (2023, 3)]
    assert [r for _, _, r in got] == pytest.approx([0.01, 99 / 101 - 1, 110 / 99 - 1])
    html = render_html(result, compute_metrics(result))
    assert "+1.00%" in html  # January
    assert "+10.00%" in html  # the year: 110 / 100


def test_envelope_keeps_every_extreme() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(size=100_000)
    values[12_345], values[67_890] = 50.0, -50.0
    x, y = envelope(values, 800)
    assert len(y) == 1600
    assert y.max() == 50.0
    assert y.min() == -50.0
    assert np.all(np.diff(x) >= 0)
    short = np.arange(10.0)
    assert envelope(short, 800)[1].tolist() == short.tolist()


def read_png(path: Path) -> np.ndarray:
    """RGB(A) pixels of an 8-bit, non-interlaced PNG (what Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], b""
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, interlace) == (8, 0), (depth, interlace)
    assert colour in (2, 6), colour
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(b"".join(idat)), width * bpp
    out = np.zeros((height, stride), np.uint8)
    prev = bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 255
        out[row] = np.frombuffer(bytes(line), np.uint8)
        prev = line
    return out.reshape(height, width, bpp)[:, :, :3]


def rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])


def test_report_opens_in_chromium_and_draws_the_equity(
    page: tuple[str, BacktestResult], tmp_path: Path
) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    report = tmp_path / "report.html"
    report.write_text(page[0], encoding="utf-8")
    shot = tmp_path / "shot.png"
    run = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
         "--force-device-scale-factor=1", "--window-size=1000,640",
         f"--screenshot={shot}", report.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert shot.exists(), f"no screenshot (exit {run.returncode}): {run.stderr[-2000:]}"
    pixels = read_png(shot).astype(np.int32)
    near = lambda colour: np.all(np.abs(pixels - rgb(colour)) <= 3, axis=2)  # noqa: E731
    # the plot area: rows and columns mostly of its background (anti-aliased text elsewhere
    # can come close to that colour in a few pixels, never in whole rows)
    background = near(PLOT_BG)
    rows = np.flatnonzero(background.sum(axis=1) > 300)
    cols = np.flatnonzero(background.sum(axis=0) > 100)
    assert len(rows), "the equity chart's plot area is not on the screenshot"
    assert len(cols), "the equity chart's plot area is not on the screenshot"
    top, bottom, left, right = rows.min(), rows.max(), cols.min(), cols.max()
    assert right - left > 600
    assert bottom - top > 200
    assert background[top : bottom + 1, left : right + 1].mean() > 0.8
    line = near(EQUITY_COLOUR)
    inside = line[top : bottom + 1, left : right + 1]
    # the 2 px stroke may overhang the frame by a pixel at the ends
    assert line.sum() == line[top - 3 : bottom + 4, left - 3 : right + 4].sum(), (
        "equity colour outside the equity chart"
    )
    covered = np.flatnonzero(inside.any(axis=0))
    assert len(covered) >= 0.9 * (right - left + 1), "the equity line does not span the chart"
    assert len(np.flatnonzero(inside.any(axis=1))) > 50, "the equity line is flat"
