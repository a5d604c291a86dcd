"""Schemathesis on GET /api/v1/sentiment/{asset} (with a database): never a 5xx, always the
documented shape; the same approach as ``test_signals_schemathesis.py``."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance

from .tokens import AUTH


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_sentiment_route_never_answers_a_server_error(
    make_client: Callable[..., TestClient], database_url: str, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", make_client(database_url).app)
    operation = next(
        op.ok() for op in schema.get_all_operations()
        if op.ok().label == "GET /api/v1/sentiment/{asset}"
    )  # fmt: skip

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(
            headers=dict(AUTH),  # a copy: schemathesis writes into it (tokens.py)
            checks=[not_a_server_error, response_schema_conformance],
        )

    check()
