"""Local fake servers that speak the real protocols: news sources and the Anthropic Messages API.

Both are aiohttp apps served on a free port in a thread of their own, so sync callers (the
FastAPI TestClient, the CLI runner) and async tests use them alike. They record what they saw.

FakeAnthropic answers ``POST /v1/messages`` with the real response JSON (a ``tool_use`` block
when tools are given, else a text block, with ``usage``). Its default scorer is a small,
deterministic reading of the article text (bullish/bearish words); a test can script the next
answers instead: ``fake.script(tool_input=...)``, ``fake.script(status=529)``,
``fake.script(delay=2.0)``, ``fake.script(text="...")``.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

FIXTURES = Path(__file__).resolve().parent / "fixtures"
API_KEY = "sk-ant-test-0123456789abcdef"

BULLISH = ("inflows", "reclaims", "record", "approve", "rebounds", "calls", "recovers", "climbs")
BEARISH = ("exploit", "slips", "fine", "hack", "ban", "withdrawals", "sell")


@contextmanager
def serve(app: web.Application) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1:<free port> in a thread; yields the base URL."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict[str, Any] = {}

    async def start() -> None:
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        box["runner"] = runner
        box["url"] = f"http://127.0.0.1:{runner.addresses[0][1]}"

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.call_soon(ready.set)  # only once running: a stop() before would be lost
        loop.run_forever()
        loop.run_until_complete(box["runner"].cleanup())
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10), "fake server did not start"
    try:
        yield str(box["url"])
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


# -- news --------------------------------------------------------------------------------------


ROUTES = {
    "/api/v1/posts/": ("cryptopanic_posts.json", "application/json"),
    "/api/v3/news": ("coingecko_news.json", "application/json"),
    "/feeds/coindesk.xml": ("coindesk_rss.xml", "application/rss+xml"),
    "/feeds/theblock.xml": ("theblock_atom.xml", "application/atom+xml"),
}


@dataclass
class FakeNews:
    """CryptoPanic, CoinGecko and two feeds, answering with the recorded fixtures (or overrides)."""

    bodies: dict[str, bytes] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    seen: list[tuple[str, str]] = field(default_factory=list)  # (path, query string)
    token: str = "cp-test-token"

    def app(self) -> web.Application:
        async def handle(request: web.Request) -> web.Response:
            path = request.path
            self.seen.append((path, request.query_string))
            if path not in ROUTES:
                return web.json_response({"error": "not found"}, status=404)
            if path == "/api/v1/posts/" and request.query.get("auth_token") != self.token:
                return web.json_response({"status": "Incomplete", "info": "Token"}, status=401)
            if path in self.statuses:
                return web.Response(status=self.statuses[path], text="upstream trouble")
            name, content_type = ROUTES[path]
            body = self.bodies.get(path, (FIXTURES / name).read_bytes())
            return web.Response(body=body, content_type=content_type)

        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", handle)
        return app


# -- Anthropic ---------------------------------------------------------------------------------


@dataclass
class Scripted:
    tool_input: dict[str, Any] | None = None
    text: str | None = None
    status: int | None = None
    delay: float = 0.0
    usage: tuple[int, int] = (120, 40)


def default_tool_input(prompt: str) -> dict[str, Any]:
    """A deterministic 'reading' of the article: bullish and bearish words, tagged assets."""
    title = next((ln[7:] for ln in prompt.splitlines() if ln.startswith("Title: ")), prompt)
    words = title.lower()
    up = sum(w in words for w in BULLISH)
    down = sum(w in words for w in BEARISH)
    sentiment = 0.0 if up == down else (0.6 if up > down else -0.6)
    tagged = next((ln for ln in prompt.splitlines() if ln.startswith("Assets tagged")), "")
    assets = [a.strip() for a in tagged.split(":", 1)[-1].split(",") if a.strip().isupper()]
    return {
        "sentiment": sentiment,
        "relevance": 0.8,
        "confidence": 0.7 if sentiment else 0.4,
        "assets": assets,
        "rationale": f"{up} bullish and {down} bearish cues in the title",
    }


@dataclass
class FakeAnthropic:
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    queue: deque[Scripted] = field(default_factory=deque)
    api_key: str = API_KEY
    model_seen: set[str] = field(default_factory=set)
    responder: Callable[[str], dict[str, Any]] = default_tool_input

    def script(self, **kwargs: Any) -> None:
        self.queue.append(Scripted(**kwargs))

    def app(self) -> web.Application:
        async def messages(request: web.Request) -> web.Response:
            self.times.append(time.monotonic())
            self.headers.append(dict(request.headers))
            auth = request.headers.get("authorization", "")
            if (
                auth != f"Bearer {self.api_key}"
                and request.headers.get("x-api-key") != self.api_key
            ):
                return _error(401, "authentication_error", "invalid x-api-key")
            if "anthropic-version" not in request.headers:
                return _error(400, "invalid_request_error", "anthropic-version header is required")
            body = await request.json()
            self.requests.append(body)
            self.model_seen.add(body["model"])
            step = self.queue.popleft() if self.queue else Scripted()
            if step.delay:
                await asyncio.sleep(step.delay)
            if step.status is not None:
                kind = "overloaded_error" if step.status == 529 else "api_error"
                return _error(step.status, kind, "scripted failure")
            prompt = body["messages"][-1]["content"]
            if isinstance(prompt, list):
                prompt = " ".join(part.get("text", "") for part in prompt)
            if step.text is not None or not body.get("tools"):
                text = step.text if step.text is not None else f"Summary of: {prompt[:80]}"
                content: list[dict[str, Any]] = [{"type": "text", "text": text}]
                stop = "end_turn"
            else:
                tool = body["tools"][0]["name"]
                answer = step.tool_input if step.tool_input is not None else self.responder(prompt)
                content = [
                    {"type": "tool_use", "id": f"toolu_{len(self.requests):04d}", "name": tool,
                     "input": answer}
                ]  # fmt: skip
                stop = "tool_use"
            return web.json_response(
                {
                    "id": f"msg_{len(self.requests):06d}",
                    "type": "message",
                    "role": "assistant",
                    "model": body["model"],
                    "content": content,
                    "stop_reason": stop,
                    "stop_sequence": None,
                    "usage": {"input_tokens": step.usage[0], "output_tokens": step.usage[1]},
                }
            )

        app = web.Application()
        app.router.add_post("/v1/messages", messages)
        return app


def _error(status: int, kind: str, message: str) -> web.Response:
    return web.json_response(
        {"type": "error", "error": {"type": kind, "message": message}}, status=status
    )


def json_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_bytes())
