"""Simulated-exchange memory figure (not a test): the server's peak RSS while a month of 1m
bars of three symbols is replayed through the admin API with orders resting and filling.

    .venv/bin/python ai_engine/benchmarks/bench_sim_memory.py [--month 2023-01]

Data: BTCUSDT, ETHUSDT and SOLUSDT 1m bars of the month, from
/work/shared/data/binance/spot/klines_1m, imported into a temporary store (without the shared
data: the bundled 3-day sample of BTCUSDT and ETHUSDT, and the figure says so).
Server: `tradingbot sim-exchange --speed 0` as its own process. The script advances the replay
clock one day at a time (POST /sim/clock/advance?bars=1440) to the end of the data; each day,
for each symbol, it places a MARKET buy, a resting LIMIT buy 1 % under the bid, a resting
LIMIT sell 1 % over the ask and an OCO sell (+2 % / -2 %), and every seventh day cancels what
is still open. Reported: the server's peak resident set (VmHWM of /proc/<pid>/status), its
resident set at the end, orders placed, fills, wall time.
Target: peak RSS < 500 MB.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

import requests

from ai_engine.infra.waiting import wait_until
from ai_engine.marketdata import import_files

SHARED = Path("/work/shared/data/binance/spot/klines_1m")
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "binance" / "spot" / "klines_1m"
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
STEPS = {"BTCUSDT": Decimal("0.00001"), "ETHUSDT": Decimal("0.0001"), "SOLUSDT": Decimal("0.001")}
TICK = Decimal("0.01")
KEY, SECRET = "mem-key", "mem-secret"
BALANCES = "USDT=100000000,BTC=1000,ETH=10000,SOL=1000000"
TARGET_MB = 500
DAY_BARS = 1440


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def store_for(month: str) -> tuple[Path, tuple[str, ...], str]:
    """A temporary store with the month's bars; (store, symbols, what it holds)."""
    files = [SHARED / f"{symbol}-1m-{month}.csv.gz" for symbol in SYMBOLS]
    store = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    if all(path.exists() for path in files):
        import_files(files, store)
        return store, SYMBOLS, f"{', '.join(SYMBOLS)} 1m bars of {month}"
    import_files(sorted(SAMPLE.glob("*.csv.gz")), store)
    return store, SYMBOLS[:2], "the bundled 3-day sample (shared data not found)"


def peak_and_current_mb(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            fields[name] = int(value.split()[0]) / 1024  # kB -> MB
    return fields["VmHWM"], fields["VmRSS"]


def start_server(store: Path, symbols: tuple[str, ...], port: int) -> subprocess.Popen[str]:
    command = [
        sys.executable, "-m", "ai_engine.cli.main", "--data-dir", str(store), "sim-exchange",
        "--port", str(port), "--speed", "0", "--symbols", ",".join(symbols),
        "--weight-limit", "100000000", "--orders-per-10s", "100000000",
        "--account", f"{KEY}:{SECRET}:{BALANCES}",
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def client_for(api_url: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from binance import Client

    return type("LocalClient", (Client,), {"API_URL": api_url})(KEY, SECRET)


def tick(value: Decimal) -> str:
    return str(value.quantize(TICK))


def place_day(client: Any, symbol: str, day: int) -> int:
    """The day's orders on ``symbol``; returns how many were placed."""
    top = client.get_orderbook_ticker(symbol=symbol)
    bid, ask = Decimal(top["bidPrice"]), Decimal(top["askPrice"])
    last = (bid + ask) / 2
    quantity = str((Decimal(100) / last).quantize(STEPS[symbol], ROUND_DOWN))  # ~100 USDT
    client.order_market_buy(symbol=symbol, quantity=quantity, newClientOrderId=f"m-{day}")
    client.order_limit_buy(symbol=symbol, quantity=quantity, price=tick(bid * Decimal("0.99")))
    client.order_limit_sell(symbol=symbol, quantity=quantity, price=tick(ask * Decimal("1.01")))
    client.create_oco_order(
        symbol=symbol, side="SELL", quantity=quantity,
        aboveType="LIMIT_MAKER", abovePrice=tick(last * Decimal("1.02")),
        belowType="STOP_LOSS_LIMIT", belowStopPrice=tick(last * Decimal("0.98")),
        belowPrice=tick(last * Decimal("0.975")), belowTimeInForce="GTC",
    )  # fmt: skip
    return 5


def run(month: str) -> int:
    store, symbols, holding = store_for(month)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(store, symbols, port)
    started = time.monotonic()
    try:
        up = wait_until(lambda: _answers(base) or server.poll() is not None, timeout=120)
        if not up or server.poll() is not None:
            print(server.communicate(timeout=5)[1], file=sys.stderr)
            return 1
        client = client_for(base + "/api")
        placed, day = 0, 0
        while True:
            day += 1
            for symbol in symbols:
                placed += place_day(client, symbol, day)
            if day % 7 == 0:
                for symbol in symbols:
                    if client.get_open_orders(symbol=symbol):
                        client.cancel_all_open_orders(symbol=symbol)
            clock = requests.post(f"{base}/sim/clock/advance?bars={DAY_BARS}", timeout=600).json()
            if clock["atEnd"]:
                break
        peak, current = peak_and_current_mb(server.pid)
        fills = clock["fills"]
    finally:
        server.terminate()
        server.communicate(timeout=30)
    seconds = time.monotonic() - started
    verdict = "OK" if peak < TARGET_MB else "OVER TARGET"
    print(f"data: {holding}; {day} replay days, {placed} orders placed, {fills} fills")
    print(f"server peak RSS (VmHWM): {peak:.0f} MB  [{verdict}: target < {TARGET_MB} MB]")
    print(f"server RSS at the end:   {current:.0f} MB; wall time {seconds:.0f} s")
    return 0 if peak < TARGET_MB else 2


def _answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/api/v3/ping", timeout=1).status_code == 200
    except requests.ConnectionError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--month", default="2023-01", help="YYYY-MM of the shared 1m bars")
    sys.exit(run(parser.parse_args().month))


if __name__ == "__main__":
    main()
