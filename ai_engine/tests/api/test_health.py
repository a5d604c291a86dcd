from collections.abc import Callable

from fastapi.testclient import TestClient

from ai_engine.infra.local_services import ServiceUrls


def test_healthy_when_database_redis_and_store_answer(
    make_client: Callable[..., TestClient], service_urls: ServiceUrls
) -> None:
    client = make_client(service_urls.database_url, service_urls.redis_url)
    response = client.get("/health")  # no token: /health is public
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert [body[k]["ok"] for k in ("database", "redis", "store")] == [True, True, True]
    assert body["store"]["detail"].endswith("series")
    assert int(body["store"]["detail"].split()[0]) >= 4


def test_degraded_with_503_when_dependencies_are_missing(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert not body["database"]["ok"]
    assert "TRADINGBOT_DATABASE_URL" in body["database"]["detail"]
    assert not body["redis"]["ok"]
    assert body["store"]["ok"]


def test_names_the_dependency_that_is_down(
    make_client: Callable[..., TestClient], service_urls: ServiceUrls, free_port: int
) -> None:
    client = make_client(service_urls.database_url, f"redis://127.0.0.1:{free_port}/0")
    body = client.get("/health").json()
    assert body["database"]["ok"]
    assert not body["redis"]["ok"]
    assert "Connection" in body["redis"]["detail"]
