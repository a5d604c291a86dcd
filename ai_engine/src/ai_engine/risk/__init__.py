"""The risk engine: pre-trade checks, limits, sizing, leverage rules and the circuit breaker.

Pure functions over values passed in (no database, no clock, no I/O); imports ``domain`` only.

    verdict = check_order(intent, state, load_profile("futures_challenge"), now)
    if not verdict.approved:
        record(verdict.refusals)          # every broken rule, with code and plain reason

Modules: ``limits`` (typed limits), ``profiles`` (the plans' named profiles), ``state`` (the
account snapshot), ``history`` (the state's part from the bot's record: ``with_history``, the
trader's and the worker's checks alike), ``intent`` (the order asked about), ``in_force``
(milestones and leverage step-downs), ``checks_*`` (one rule each), ``pre_trade``
(``check_order``), ``sizing``,
``breaker`` (the halt state machine), ``breaches`` (account limits -> breaker events) and
``go_live`` (seed 002's testnet -> mainnet gate).
See docs/risk.md.
"""

from ai_engine.risk.breaches import account_breaches
from ai_engine.risk.breaker import (
    RESUME_RULES,
    BreakerEvent,
    BreakerState,
    DataAge,
    DayStarted,
    Halt,
    HaltCause,
    LimitBreached,
    OperatorHalt,
    OperatorResume,
    PriceMove,
    Reconciled,
    ReconciliationMismatch,
    ResumeRule,
    Tick,
    Transition,
    VenueError,
    next_state,
)
from ai_engine.risk.go_live import GoLiveRules, check_go_live, profit_factor
from ai_engine.risk.in_force import InForce, limits_in_force
from ai_engine.risk.intent import OrderIntent
from ai_engine.risk.limits import BreakerRules, LeverageRules, Milestone, RiskLimits
from ai_engine.risk.pre_trade import ENTRY_CHECKS, check_order, is_exit
from ai_engine.risk.profiles import PROFILES, load_profile, with_overrides
from ai_engine.risk.sizing import Sizing, size_by_equity_fraction, size_by_notional, size_by_risk
from ai_engine.risk.state import ClosedTrade, CorrelationGroup, OpenPosition, RiskState
from ai_engine.risk.verdict import Refusal, RefusalCode, Verdict

__all__ = [
    "ENTRY_CHECKS",
    "PROFILES",
    "RESUME_RULES",
    "BreakerEvent",
    "BreakerRules",
    "BreakerState",
    "ClosedTrade",
    "CorrelationGroup",
    "DataAge",
    "DayStarted",
    "GoLiveRules",
    "Halt",
    "HaltCause",
    "InForce",
    "LeverageRules",
    "LimitBreached",
    "Milestone",
    "OpenPosition",
    "OperatorHalt",
    "OperatorResume",
    "OrderIntent",
    "PriceMove",
    "Reconciled",
    "ReconciliationMismatch",
    "Refusal",
    "RefusalCode",
    "ResumeRule",
    "RiskLimits",
    "RiskState",
    "Sizing",
    "Tick",
    "Transition",
    "VenueError",
    "Verdict",
    "account_breaches",
    "check_go_live",
    "check_order",
    "is_exit",
    "limits_in_force",
    "load_profile",
    "next_state",
    "profit_factor",
    "size_by_equity_fraction",
    "size_by_notional",
    "size_by_risk",
    "with_overrides",
]
