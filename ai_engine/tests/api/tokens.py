"""The API token the test apps are built with.

``AUTH`` is read-only: schemathesis' ``Case.call(headers=...)`` adds its own session headers
(``Connection: keep-alive``, ``user-agent``, ``Accept``...) INTO the mapping it is given. When
``AUTH`` was a plain dict, every later test that sent it carried ``Connection: keep-alive``; a
WebSocket handshake with it is not an upgrade to uvicorn, so ``/api/v1/events`` answered 404
(the in-process client of test_served_by_uvicorn.py, after the schemathesis tests). Pass
``dict(AUTH)`` to anything that may write to its headers.
"""

from types import MappingProxyType

TOKEN = "test-token-123"
AUTH = MappingProxyType({"Authorization": f"Bearer {TOKEN}"})
