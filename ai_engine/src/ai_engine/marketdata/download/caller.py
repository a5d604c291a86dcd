"""One paced, retried request: wait as the pacer says, send, classify a failure, try again.

The loop for each request (see ``retry`` for the policy and ``pacing`` for the waits):

1. sleep ``pacer.delay(now, weight)`` -- the weight budget and any Retry-After in force;
2. send; on success feed the answer's ``X-MBX-USED-WEIGHT-1M`` to the pacer and return;
3. on failure, classify: RETRY sleeps a backoff, RATE_LIMITED/BANNED block the pacer until
   Retry-After has passed (so nothing at all is sent before), FATAL raises at once.

Every attempt is recorded (``CallStats.attempts``: when it was sent, what came back), so a
caller or a test can check afterwards that no request went out during a Retry-After.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from .errors import BannedError, ExchangeRefusedError, RetriesExhaustedError
from .pacing import WeightPacer
from .retry import Failure, Outcome, RetryPolicy, used_weight
from .timing import Timing

T = TypeVar("T")
log = logging.getLogger(__name__)

WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"


@dataclass(frozen=True)
class Attempt:
    sent_at: float  # server time, seconds
    label: str
    failure: Failure | None  # None: it succeeded


@dataclass
class CallStats:
    requests: int = 0  # attempts sent
    retries: int = 0  # attempts after a RETRY failure
    rate_limited: int = 0  # 429 answers
    banned: int = 0  # 418 answers
    waited_s: float = 0.0  # time slept: pacing, backoff, Retry-After
    attempts: list[Attempt] = field(default_factory=list)

    def failures(self, outcome: Outcome) -> list[Attempt]:
        return [a for a in self.attempts if a.failure is not None and a.failure.outcome is outcome]


class PacedCaller:
    """Runs requests of one client through the pacer and the retry policy."""

    def __init__(
        self,
        *,
        timing: Timing,
        pacer: WeightPacer,
        policy: RetryPolicy,
        rng: random.Random,
        classify: Callable[[Exception], Failure | None],
        last_headers: Callable[[], Mapping[str, str] | None],
        offset_s: float = 0.0,
    ) -> None:
        self.timing = timing
        self.pacer = pacer
        self.policy = policy
        self.rng = rng
        self.classify = classify
        self.last_headers = last_headers
        self.offset_s = offset_s  # server clock - local clock
        self.stats = CallStats()

    def server_now(self) -> float:
        return self.timing.now() + self.offset_s

    def call(self, label: str, weight: int, send: Callable[[], T]) -> T:
        """``send()``'s answer, or ``RetriesExhaustedError`` / ``BannedError`` /
        ``ExchangeRefusedError``."""
        failed = limited = 0
        while True:
            self._sleep(self.pacer.delay(self.server_now(), weight))
            sent_at = self.server_now()
            self.stats.requests += 1
            try:
                answer = send()
            except Exception as exc:
                failure = self.classify(exc)
                if failure is None:
                    raise  # not a request failure: a bug, let it surface
                self.stats.attempts.append(Attempt(sent_at, label, failure))
                now = self.server_now()
                if failure.used_weight is not None:
                    self.pacer.observe(now, failure.used_weight)
                if failure.outcome is Outcome.FATAL:
                    raise ExchangeRefusedError(
                        f"{label}: {failure.what}", status=failure.status or 0, code=failure.code
                    ) from exc
                if failure.outcome is Outcome.RETRY:
                    failed += 1
                    if failed >= self.policy.max_attempts:
                        raise RetriesExhaustedError(
                            f"{label}: gave up after {failed} attempts; last: {failure.what}"
                        ) from exc
                    self.stats.retries += 1
                    pause = self.policy.backoff(failed, self.rng)
                    log.info("%s: %s; trying again in %.1f s", label, failure.what, pause)
                    self._sleep(pause)
                    continue
                limited += 1
                self._rate_limited(label, failure, now, limited)
                continue
            self.stats.attempts.append(Attempt(sent_at, label, None))
            headers = self.last_headers()
            seen = used_weight(headers.get(WEIGHT_HEADER)) if headers is not None else None
            if seen is not None:
                self.pacer.observe(self.server_now(), seen)
            return answer

    def _rate_limited(self, label: str, failure: Failure, now: float, count: int) -> None:
        wait = failure.retry_after_s
        if failure.outcome is Outcome.BANNED:
            self.stats.banned += 1
            if wait is None or wait > self.policy.max_ban_wait_s:
                shown = "no Retry-After" if wait is None else f"Retry-After {wait:g} s"
                raise BannedError(
                    f"{label}: Binance banned this IP (HTTP 418, {shown}); that is longer "
                    f"than the {self.policy.max_ban_wait_s:g} s this download waits. "
                    "Stopped; run it again once the ban has passed (it resumes).",
                    retry_after_s=wait if wait is not None else float("inf"),
                )
        else:
            self.stats.rate_limited += 1
            if failure.used_weight is not None:
                # Binance's weight limiter answered: the rest of this minute is off limits
                # (anything sent in it now would get the IP banned).
                self.pacer.spent(now)
            if count > self.policy.max_rate_limited:
                raise RetriesExhaustedError(f"{label}: still rate limited after {count - 1} waits")
        if wait is None:  # Binance always sends one; without it, wait out the minute
            wait = 60.0 - now % 60.0
        self.pacer.block_until(now + wait)
        log.warning("%s: %s; nothing is sent for %.0f s", label, failure.what, wait)

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.stats.waited_s += seconds
            self.timing.sleep(seconds)
