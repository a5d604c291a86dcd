"""The API token the test apps are built with."""

TOKEN = "test-token-123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
