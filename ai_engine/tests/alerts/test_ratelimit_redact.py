"""Sending limits (30/s overall, 1/s per chat) and secret redaction."""

from __future__ import annotations

from ai_engine.alerts.ratelimit import SendLimiter
from ai_engine.alerts.redact import REDACTED, Redactor


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_one_message_a_second_per_chat() -> None:
    t = FakeTime()
    limiter = SendLimiter(clock=t.clock, sleep=t.sleep)
    await limiter.acquire(1)
    await limiter.acquire(2)  # another chat: no wait
    assert t.slept == []
    await limiter.acquire(1)
    assert t.slept == [1.0]


async def test_thirty_messages_a_second_overall() -> None:
    t = FakeTime()
    limiter = SendLimiter(clock=t.clock, sleep=t.sleep)
    for chat in range(30):
        await limiter.acquire(chat)
    assert t.slept == []
    await limiter.acquire(99)
    assert t.slept == [1.0]
    sent_at = [t.now]
    for chat in range(100, 160):
        await limiter.acquire(chat)
        sent_at.append(t.now)
    # no rolling second ever holds more than 30 sends
    for i, start in enumerate(sent_at):
        assert sum(1 for s in sent_at[i:] if s < start + 1.0) <= 30


def test_redactor_removes_configured_secrets_and_token_shapes() -> None:
    redact = Redactor(["s3cr3t-api-key-123", "short", None, "binance-secret-xyz"])
    text = (
        "failed with key s3cr3t-api-key-123 and binance-secret-xyz; "
        "token 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0 "
        "Authorization: Bearer abcdefghijklmnop url postgresql://u:pw123456@db/x short"
    )
    clean = redact(text)
    for leaked in (
        "s3cr3t-api-key-123",
        "binance-secret-xyz",
        "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0",
        "abcdefghijklmnop",
        "pw123456",
    ):
        assert leaked not in clean
    assert clean.count(REDACTED) == 5
    assert clean.endswith("short")  # too short to be a secret: ordinary words stay
