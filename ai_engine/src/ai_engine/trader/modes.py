"""Trading modes and the refusals that come before anything connects.

| mode | venue | needs |
|---|---|---|
| ``replay`` | the sim exchange replaying history (in-process) | data files |
| ``paper`` | the sim exchange fed by Binance's live public streams | a bot config |
| ``testnet`` | Binance testnet (``BinanceEndpoints.testnet()``) | a bot config, API keys |
| ``live`` | Binance mainnet | a bot config, ``--confirm-live`` **and** API keys |

(API keys: in the environment.) Paper, testnet and live run a bot config (``trader.live``):
spot and USD-M (``market: usdm``) in all three (a USD-M bot without the dead-man switch,
``safety.dead_man_s: 0``, is refused). A spot testnet or live
bot started again picks up its position, its resting stop and its ids (its order key is stable
per bot, mode and account), a USD-M one from the venue's signed position; a paper run always
starts a fresh account and closes its books on a stop (``trader.live``'s docstring says what
each keeps).

Keys come only from the environment (``TRADINGBOT_BINANCE_API_KEY`` and
``TRADINGBOT_BINANCE_API_SECRET``, read once into ``Settings``), never from a bot config.
The order is fixed: the mode name, then ``--confirm-live``, then the keys, then what is built;
so ``--mode live`` without ``--confirm-live`` is refused even when keys are present, and the
refusal never prints a key. The live-safety guard of the adapter
(``venues.binance.endpoints.require_live_allowed``) is the second line behind this one
(``trader.live.check_live`` runs it before any client is built).
"""

from __future__ import annotations

from ai_engine.settings import Settings

MODES = ("replay", "paper", "testnet", "live")
BUILT = MODES  # paper, testnet, live: ``trader.live`` (spot and USD-M)


class ModeRefused(ValueError):  # noqa: N818 - a refusal, named for what it is
    """The mode cannot run as asked; the message says why and what would fix it."""


def check_mode(mode: str, *, confirm_live: bool, settings: Settings) -> None:
    """Raise ``ModeRefused`` unless ``mode`` may run now (see the module docstring)."""
    if mode not in MODES:
        raise ModeRefused(f"--mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "live" and not confirm_live:
        raise ModeRefused(
            "--mode live trades real money on Binance mainnet: it needs --confirm-live"
        )
    if mode in ("testnet", "live"):
        pairs = (("key", settings.binance_api_key), ("secret", settings.binance_api_secret))
        missing = [
            f"TRADINGBOT_BINANCE_API_{name.upper()}"
            for name, value in pairs
            if value is None or not value.get_secret_value().strip()
        ]
        if missing:
            raise ModeRefused(
                f"--mode {mode} needs API keys in the environment: {', '.join(missing)} unset"
            )
    if mode not in BUILT:  # pragma: no cover - every mode is built; kept for a new one
        raise ModeRefused(f"--mode {mode} is not built yet (docs/trading.md, 'Not built yet')")
