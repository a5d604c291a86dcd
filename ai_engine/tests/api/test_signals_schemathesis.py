"""Schemathesis against the engine's OpenAPI schema, in process: no request may get a 5xx.

The app runs with the real PostgreSQL and Redis of the test session (so /health is up and a
503 there would be a real failure) and a store holding the vendored sample data. Every
operation of the schema is fuzzed with valid (positive) and invalid (negative) requests,
authenticated; checks: no server error on any operation, and, for the signal and strategy
operations, every response conforms to the documented schema.

Schemathesis' own pytest loader (``schemathesis.pytest.from_fixture``) fails on pytest 9
(it sets ``Function._nodeid``), so the cases are drawn with Hypothesis from
``APIOperation.as_strategy`` here.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance

from ai_engine.infra.local_services import ServiceUrls

from .tokens import AUTH


@pytest.fixture
def api_schema(
    make_client: Callable[..., TestClient], service_urls: ServiceUrls, database_url: str
) -> schemathesis.BaseSchema:
    # A migrated database of the session's server: the backtest routes read their tables.
    client = make_client(database_url, service_urls.redis_url)
    return schemathesis.openapi.from_asgi("/openapi.json", client.app)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_request_gets_a_server_error(
    api_schema: schemathesis.BaseSchema, mode: GenerationMode
) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    labels = {op.label for op in operations}
    assert {"GET /api/v1/signals/{symbol}", "POST /api/v1/signals/batch"} <= labels
    for operation in operations:
        inputs = [p for p in operation.iter_parameters() if p.name != "Authorization"]
        if mode is GenerationMode.NEGATIVE and not inputs and not list(operation.body):
            continue  # nothing to make invalid (the token is sent by us, below)
        checks = [not_a_server_error]
        if operation.path.startswith(("/api/v1/signals", "/api/v1/strategies")):
            checks.append(response_schema_conformance)

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            # a copy: schemathesis writes its session headers into the mapping (tokens.py)
            case.call_and_validate(headers=dict(AUTH), checks=checks)  # noqa: B023

        check()
