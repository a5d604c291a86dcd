"""python-binance 1.0.37, imported once, here.

Importing it imports a name that websockets 14+ deprecated (``websockets.legacy``), which
raises under warnings-as-errors (the test suite) although nothing here uses that API; the
warning is silenced for the import only. The package ships no type information.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from binance import AsyncClient  # type: ignore[import-untyped]
    from binance.exceptions import (  # type: ignore[import-untyped]
        BinanceAPIException,
        BinanceRequestException,
    )

__all__ = ["AsyncClient", "BinanceAPIException", "BinanceRequestException"]
