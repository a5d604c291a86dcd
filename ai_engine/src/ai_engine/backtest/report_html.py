"""A backtest as one self-contained HTML page: inline SVG and CSS, no script, no network.

Sections: the headline metrics; equity with its drawdown underneath; the price of each symbol
with the trades marked (entries as triangles pointing the trade's way, exits as circles); the
monthly returns as a year-by-month heat map; the distribution of trade P&L; the trade list
(the first ``MAX_TRADE_ROWS``).

Long series are reduced for drawing to the minimum and maximum of each pixel column
(``envelope``), so a year of 1m bars stays a few hundred kilobytes and every spike stays
visible. Monthly returns use the equity at the last close of each UTC month; the first month
starts from the initial cash.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from ai_engine.backtest.metrics import Metrics
from ai_engine.backtest.report_json import trade_rows
from ai_engine.backtest.result import BacktestResult
from ai_engine.marketdata.intervals import iso

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

WIDTH, PAD_L, PAD_R, PAD_T, PAD_B = 960, 72, 16, 12, 26
EQUITY_COLOUR = "#2563eb"  # the report test looks for this colour inside the plot box
PLOT_BG = "#f4f7ff"
MAX_TRADE_ROWS = 500
MAX_MARKERS = 3000
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:16px 24px;color:#111827;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:22px 0 6px}
.sub{color:#4b5563;margin-bottom:10px}
table{border-collapse:collapse}td,th{padding:3px 8px;border:1px solid #e5e7eb;text-align:right}
th{background:#f9fafb}td.l,th.l{text-align:left}td{white-space:nowrap}
.kpi{display:grid;grid-template-columns:repeat(6,minmax(120px,1fr));gap:6px;max-width:960px}
.kpi div{border:1px solid #e5e7eb;border-radius:4px;padding:4px 8px}
.kpi b{display:block;font-size:16px}.kpi span{color:#6b7280;font-size:12px}
svg{display:block}.note{color:#6b7280;font-size:12px}
"""


def render_html(
    result: BacktestResult,
    metrics: Metrics,
    *,
    prices: Mapping[str, F64] | None = None,
    title: str = "Backtest",
    subtitle: str = "",
) -> str:
    """The page of the module docstring. ``prices``: close of each symbol on the result's bar
    grid (the price charts are left out without it)."""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1><div class='sub'>{_e(subtitle)}</div>",
        _kpis(metrics),
        "<h2>Equity and drawdown</h2>",
        equity_svg(result),
    ]
    for symbol, close in (prices or {}).items():
        parts += [f"<h2>{_e(symbol)}: price and trades</h2>", price_svg(result, symbol, close)]
    parts += [
        "<h2>Monthly returns</h2>",
        monthly_table(result),
        "<h2>Trade P&amp;L distribution</h2>",
        pnl_histogram(np.asarray(result.trades.pnl, np.float64)),
        "<h2>Trades</h2>",
        _trade_table(result),
        "</body></html>",
    ]
    return "\n".join(parts)


def envelope(values: F64, columns: int) -> tuple[F64, F64]:
    """(position 0..1, value) pairs: every point if few, else each column's min then max."""
    n = len(values)
    if n <= 2 * columns:
        return np.linspace(0.0, 1.0, n) if n > 1 else np.zeros(n), values
    edges = np.linspace(0, n, columns + 1).astype(np.int64)[:-1]
    low, high = np.minimum.reduceat(values, edges), np.maximum.reduceat(values, edges)
    x = np.repeat((edges + 0.5 * np.diff(np.append(edges, n))) / n, 2)
    y = np.column_stack((low, high)).ravel()
    return x, y


def equity_svg(result: BacktestResult) -> str:
    equity = np.concatenate(([float(result.config.cash)], np.asarray(result.equity, np.float64)))
    peak = np.maximum.accumulate(equity)
    dd = 100.0 * (equity / peak - 1.0)
    times = _times(result)
    top = _line_chart(
        times, equity, 300, EQUITY_COLOUR, "equity-chart", fmt="{:,.2f}", fill_bg=PLOT_BG
    )
    bottom = _line_chart(times, dd, 130, "#dc2626", "drawdown-chart", fmt="{:.1f}%", area=True)
    return top + bottom


def price_svg(result: BacktestResult, symbol: str, close: F64) -> str:
    close = np.asarray(close, np.float64)
    if len(close) != len(result.open_time):
        return "<p class='note'>prices do not match the bar grid; chart left out</p>"
    index = result.symbols.index(symbol) if symbol in result.symbols else -1
    t = result.trades
    mine = np.flatnonzero(np.asarray(t.symbol) == index)
    marks: list[str] = []
    closes = _times(result)[1:]
    start, span = int(closes[0]), float(max(closes[-1] - closes[0], 1))
    low, high = _bounds(np.concatenate((close, t.entry_price[mine], t.exit_price[mine])))
    box = _Box(300, low, high)
    if len(mine) <= MAX_MARKERS:
        for i in mine.tolist():
            side = int(t.side[i])
            for when, price, entry in ((t.entry_time[i], t.entry_price[i], True),
                                       (t.exit_time[i], t.exit_price[i], False)):  # fmt: skip
                x, y = box.x((int(when) - start) / span), box.y(float(price))
                marks.append(_marker(x, y, side, entry))
        note = ""
    else:
        note = f"<p class='note'>{len(mine):,} trades: markers left out above {MAX_MARKERS:,}</p>"
    chart = _line_chart(
        closes, close, 300, "#374151", f"price-{symbol}", fmt="{:,.6g}", box=box,
        extra="".join(marks),
    )  # fmt: skip
    return chart + note


def monthly_returns(result: BacktestResult) -> list[tuple[int, int, float]]:
    """(year, month, return) for each UTC month with bars, from month-end equity."""
    closes = np.asarray(result.open_time, np.int64) + result.interval_ms - 1
    equity = np.asarray(result.equity, np.float64)
    months = closes.astype("datetime64[ms]").astype("datetime64[M]").astype(np.int64)
    last = np.flatnonzero(np.append(months[1:] != months[:-1], True))
    base = float(result.config.cash)
    out = []
    for i in last.tolist():
        code = int(months[i])
        out.append((1970 + code // 12, code % 12 + 1, float(equity[i]) / base - 1.0))
        base = float(equity[i])
    return out


def monthly_table(result: BacktestResult) -> str:
    by_year: dict[int, dict[int, float]] = {}
    for year, month, value in monthly_returns(result):
        by_year.setdefault(year, {})[month] = value
    head = "".join(f"<th>{m}</th>" for m in _MONTHS)
    rows = [f"<table id='monthly-returns'><tr><th class='l'>year</th>{head}<th>year</th></tr>"]
    for year in sorted(by_year):
        cells, growth = [], 1.0
        for month in range(1, 13):
            if month not in by_year[year]:
                cells.append("<td></td>")
                continue
            value = by_year[year][month]
            growth *= 1.0 + value
            cells.append(f"<td style='background:{_heat(value)}'>{100 * value:+.2f}%</td>")
        total = growth - 1.0
        cells.append(f"<td style='background:{_heat(total)}'><b>{100 * total:+.2f}%</b></td>")
        rows.append(f"<tr><th class='l'>{year}</th>{''.join(cells)}</tr>")
    return "".join(rows) + "</table>"


def pnl_histogram(pnl: F64, bins: int = 30) -> str:
    if len(pnl) == 0:
        return "<p class='note'>no closed trades</p>"
    low, high = float(pnl.min()), float(pnl.max())
    if low == high:
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(pnl, bins=bins, range=(low, high))
    box = _Box(200, 0.0, float(counts.max()))
    bar_w = (box.right - box.left) / bins
    rects = []
    for k, count in enumerate(counts.tolist()):
        colour = "#16a34a" if edges[k] + edges[k + 1] > 0 else "#dc2626"
        x, y = box.left + k * bar_w, box.y(count)
        rects.append(
            f"<rect x='{x:.1f}' y='{y:.1f}' width='{max(bar_w - 1, 1):.1f}' "
            f"height='{box.bottom - y:.1f}' fill='{colour}'><title>{edges[k]:,.2f} .. "
            f"{edges[k + 1]:,.2f}: {count}</title></rect>"
        )
    if low < 0 < high:
        zx = box.left + (0 - low) / (high - low) * (box.right - box.left)
        rects.append(
            f"<line x1='{zx:.1f}' x2='{zx:.1f}' y1='{box.top}' y2='{box.bottom}' stroke='#111827'/>"
        )
    anchors = {0.0: "start", 1.0: "end"}
    axis = "".join(
        _text(box.x(f), box.bottom + 16, f"{low + f * (high - low):,.2f}", anchors.get(f, "middle"))
        for f in (0.0, 0.25, 0.5, 0.75, 1.0)
    )
    yaxis = _text(box.left - 6, box.top + 10, f"{int(counts.max())} trades", "end")
    return _svg("pnl-histogram", box.height, _frame(box) + "".join(rects) + axis + yaxis)


class _Box:
    """The plot area of one chart and its value-to-pixel mapping."""

    def __init__(self, height: int, low: float, high: float) -> None:
        self.height, self.low, self.high = height, low, high
        self.left, self.right = PAD_L, WIDTH - PAD_R
        self.top, self.bottom = PAD_T, height - PAD_B

    def x(self, fraction: float) -> float:
        return self.left + fraction * (self.right - self.left)

    def y(self, value: float) -> float:
        span = self.high - self.low
        return self.bottom - (value - self.low) / span * (self.bottom - self.top)


def _line_chart(
    times: I64,
    values: F64,
    height: int,
    colour: str,
    ident: str,
    *,
    fmt: str,
    area: bool = False,
    fill_bg: str = "#ffffff",
    box: _Box | None = None,
    extra: str = "",
) -> str:
    if box is None:
        box = _Box(height, *_bounds(values))
    frac, ys = envelope(values, int(box.right - box.left))
    if len(times) > 1:
        span = float(times[-1] - times[0])
        pos = (times.astype(np.float64) - times[0]) / span
        frac = np.interp(frac * (len(times) - 1), np.arange(len(times)), pos)
    pts = " ".join(f"{box.x(f):.1f},{box.y(v):.1f}" for f, v in zip(frac, ys, strict=True))
    body = [_frame(box, fill_bg), _y_axis(box, fmt), _x_axis(box, times)]
    if area and len(frac):
        zero = box.y(0.0)
        body.append(
            f"<polygon points='{box.x(frac[0]):.1f},{zero:.1f} {pts} "
            f"{box.x(frac[-1]):.1f},{zero:.1f}' fill='{colour}' fill-opacity='0.25'/>"
        )
    body.append(
        f"<polyline points='{pts}' fill='none' stroke='{colour}' stroke-width='2' "
        "shape-rendering='crispEdges'/>"
    )
    return _svg(ident, height, "".join(body) + extra)


def _frame(box: _Box, fill: str = "#ffffff") -> str:
    return (
        f"<rect x='{box.left}' y='{box.top}' width='{box.right - box.left}' "
        f"height='{box.bottom - box.top}' fill='{fill}' stroke='#9ca3af' "
        "shape-rendering='crispEdges'/>"
    )


def _y_axis(box: _Box, fmt: str) -> str:
    out = []
    for f in (0.0, 0.25, 0.5, 0.75, 1.0):
        value = box.low + f * (box.high - box.low)
        y = box.y(value)
        out.append(
            f"<line x1='{box.left}' x2='{box.right}' y1='{y:.1f}' y2='{y:.1f}' "
            "stroke='#e5e7eb'/>" + _text(box.left - 6, y + 4, fmt.format(value), "end")
        )
    return "".join(out)


def _x_axis(box: _Box, times: I64) -> str:
    if len(times) < 2:
        return ""
    out = []
    for f in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        moment = int(times[0] + f * (times[-1] - times[0]))
        anchor = "start" if f == 0.0 else "end" if f == 1.0 else "middle"
        out.append(_text(box.x(f), box.bottom + 16, iso(moment)[:16].replace("T", " "), anchor))
    return "".join(out)


def _marker(x: float, y: float, side: int, entry: bool) -> str:
    if not entry:
        return f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3.5' fill='#f59e0b' stroke='#78350f'/>"
    up = side > 0
    tip, base = (y - 6, y + 4) if up else (y + 6, y - 4)
    colour = "#16a34a" if up else "#dc2626"
    return (
        f"<polygon points='{x:.1f},{tip:.1f} {x - 5:.1f},{base:.1f} {x + 5:.1f},{base:.1f}' "
        f"fill='{colour}'/>"
    )


def _svg(ident: str, height: int, body: str) -> str:
    return (
        f"<svg id='{_e(ident)}' xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' "
        f"height='{height}' viewBox='0 0 {WIDTH} {height}' font-size='11' "
        f"font-family='system-ui,sans-serif'>{body}</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str) -> str:
    return f"<text x='{x:.1f}' y='{y:.1f}' text-anchor='{anchor}' fill='#4b5563'>{_e(text)}</text>"


def _times(result: BacktestResult) -> I64:
    """When each point of the equity curve was observed: the first open, then every close."""
    open_time = np.asarray(result.open_time, np.int64)
    return np.concatenate((open_time[:1], open_time + result.interval_ms))


def _bounds(values: F64) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    pad = (high - low) * 0.05 or abs(high) * 0.01 or 1.0
    return low - pad, high + pad


def _heat(value: float) -> str:
    strength = min(abs(value) / 0.1, 1.0)  # 10 % a month is full colour
    alpha = 0.15 + 0.6 * strength
    return f"rgba(22,163,74,{alpha:.2f})" if value >= 0 else f"rgba(220,38,38,{alpha:.2f})"


def _kpis(m: Metrics) -> str:
    items = [
        ("final equity", f"{m.final_equity:,.2f}"),
        ("total return", _pct(m.total_return)),
        ("CAGR", _pct(m.cagr)),
        ("Sharpe", _num(m.sharpe)),
        ("Sortino", _num(m.sortino)),
        ("Calmar", _num(m.calmar)),
        ("max drawdown", _pct(m.max_drawdown)),
        ("drawdown duration", _duration(m.max_drawdown_duration_ms)),
        ("trades", f"{m.trades:,}"),
        ("win rate", _pct(m.win_rate)),
        ("profit factor", _num(m.profit_factor)),
        ("expectancy", _num(m.expectancy)),
        ("SQN", _num(m.sqn)),
        ("avg win / loss", f"{_num(m.average_win)} / {_num(m.average_loss)}"),
        ("avg holding", _duration(m.average_holding_ms)),
        ("exposure", _pct(m.exposure)),
        ("trades per day", _num(m.trades_per_day)),
        ("fees / funding", f"{m.fees_paid:,.2f} / {m.funding_paid:,.2f}"),
    ]
    cells = "".join(f"<div><span>{_e(k)}</span><b>{_e(v)}</b></div>" for k, v in items)
    return f"<div class='kpi' id='metrics'>{cells}</div>"


def _trade_table(result: BacktestResult) -> str:
    rows = trade_rows(result)
    if not rows:
        return "<p class='note'>no closed trades</p>"
    cols: Sequence[str] = ("symbol", "side", "entry_time", "entry_price", "exit_time",
                           "exit_price", "quantity", "pnl", "return_pct", "entry_reason",
                           "exit_reason")  # fmt: skip
    head = "".join(f"<th class='l'>{c.replace('_', ' ')}</th>" for c in cols)
    body = []
    for row in rows[:MAX_TRADE_ROWS]:
        cells = "".join(f"<td>{_e(_cell(row[c]))}</td>" for c in cols)
        body.append(f"<tr>{cells}</tr>")
    more = len(rows) - MAX_TRADE_ROWS
    note = f"<p class='note'>and {more:,} more trades (see the JSON)</p>" if more > 0 else ""
    return f"<table id='trades'><tr>{head}</tr>{''.join(body)}</table>{note}"


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.6g}"
    return "" if value is None else str(value)


def _pct(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{100 * value:.2f}%"


def _num(value: float) -> str:
    if math.isinf(value):
        return "inf"
    return "n/a" if math.isnan(value) else f"{value:,.3f}"


def _duration(ms: float) -> str:
    if not math.isfinite(ms):
        return "n/a"
    seconds = int(ms // 1000)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    return f"{days}d {hours}h {minutes}m" if days else f"{hours}h {minutes}m"


def _e(text: str) -> str:
    return html.escape(text, quote=True)
