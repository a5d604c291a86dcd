"""The engine's FastAPI service: REST + OpenAPI (later WebSocket and /metrics)."""
