"""API credentials: held as ``SecretStr`` from the settings to python-binance, never printed.

The plain values leave the ``SecretStr`` in exactly one place, the construction of the
python-binance client (which needs them to sign requests). ``repr``/``str`` show asterisks;
the adapter's logs name the endpoint, the call and the venue's error code, never a key.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr


@dataclass(frozen=True, slots=True)
class BinanceCredentials:
    api_key: SecretStr
    api_secret: SecretStr

    @classmethod
    def of(cls, api_key: str | SecretStr, api_secret: str | SecretStr) -> BinanceCredentials:
        """Wrap plain strings (tests, the sim's demo keys); SecretStr values pass through."""
        return cls(_secret(api_key), _secret(api_secret))


def _secret(value: str | SecretStr) -> SecretStr:
    if isinstance(value, SecretStr):
        return value
    if not value:
        raise ValueError("API key and secret must not be empty")
    return SecretStr(value)
