"""deploy/: the Prometheus config and alert rules, Grafana's provisioning and dashboards.

Every PromQL expression must parse (``promql-parser``, the Rust parser Prometheus-compatible
tools use) and name only metrics the engine defines (``ai_engine.metrics``) or Prometheus
itself provides; the rule file must follow Prometheus' rule-file format; the dashboards must be
well-formed Grafana dashboard models on the provisioned data source; the alert rules must cover
the Telegram alerts with the same thresholds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import promql_parser
import pytest
import yaml

from ai_engine.alerts.rules import RULES, Thresholds
from ai_engine.metrics.definitions import ProcessMetrics, new_registry
from ai_engine.metrics.scrape import StreamScraper

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
PROMETHEUS = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
RULE_FILES = sorted((DEPLOY / "prometheus" / "rules").glob("*.yml"))
DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
PROVIDED = {"up", "ALERTS", "process_resident_memory_bytes"}  # by Prometheus / the client

DURATION = r"^([0-9]+(ms|s|m|h|d|w|y))+$"
STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}
NAME = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
# Prometheus' rule-file format (docs: configuration/recording_rules, alerting_rules).
RULE_FILE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["groups"],
    "properties": {
        "groups": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "rules"],
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "interval": {"type": "string", "pattern": DURATION},
                    "query_offset": {"type": "string", "pattern": DURATION},
                    "limit": {"type": "integer", "minimum": 0},
                    "labels": STRINGS,
                    "rules": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["expr"],
                            "oneOf": [{"required": ["alert"]}, {"required": ["record"]}],
                            "properties": {
                                "alert": {"type": "string", "pattern": NAME},
                                "record": {"type": "string", "pattern": r"^[a-zA-Z_:][\w:]*$"},
                                "expr": {"type": "string", "minLength": 1},
                                "for": {"type": "string", "pattern": DURATION},
                                "keep_firing_for": {"type": "string", "pattern": DURATION},
                                "labels": STRINGS,
                                "annotations": STRINGS,
                            },
                        },
                    },
                },
            },
        }
    },
}  # fmt: skip


def known_metrics() -> set[str]:
    registry = new_registry()
    StreamScraper(None, registry=registry)  # the event metrics and the scraper's own counter
    ProcessMetrics.create(registry)
    names = {"tradingbot_celery_queue_depth", "tradingbot_celery_queue_up"}  # on scrape only
    for family in registry.collect():
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}
        for suffix in suffixes.get(family.type, ("",)):
            names.add(family.name + suffix)
    return names


KNOWN = known_metrics()


def metric_names(expr: str) -> set[str]:
    names: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.add(node.name)
        for attr in ("expr", "lhs", "rhs", "vector_selector", "param"):
            child = getattr(node, attr, None)
            if child is not None and not isinstance(child, (str, int, float)):
                visit(child)
        for arg in getattr(node, "args", None) or []:
            visit(arg)

    visit(promql_parser.parse(expr))
    return names


def rules() -> Iterator[dict[str, Any]]:
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            yield from group["rules"]


def dashboard_exprs() -> Iterator[tuple[str, str]]:
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel["targets"]:
                yield f"{path.name}/{panel['title']}", target["expr"]


EXPRS = [(r["alert"], r["expr"]) for r in rules()] + list(dashboard_exprs())


def test_the_parser_refuses_bad_promql() -> None:
    with pytest.raises(ValueError):  # noqa: PT011 -- the parser's message is its own
        promql_parser.parse("sum by (bot) (rate(tradingbot_fills_total[5m])")
    assert metric_names('sum(rate(a_total{x="1"}[5m])) / on (b) c > 1') == {"a_total", "c"}
    nested = "histogram_quantile(0.9, sum by (le) (rate(h_bucket[5m]))) > on () (time() - g)"
    assert metric_names(nested) == {"h_bucket", "g"}


@pytest.mark.parametrize(("where", "expr"), EXPRS, ids=[w for w, _ in EXPRS])
def test_every_expression_parses_and_names_known_metrics(where: str, expr: str) -> None:
    names = metric_names(expr)
    assert names, f"{where}: no metric in {expr}"
    assert names <= KNOWN | PROVIDED, f"{where}: unknown {names - KNOWN - PROVIDED}"


@pytest.mark.parametrize("path", RULE_FILES, ids=[p.name for p in RULE_FILES])
def test_rule_files_follow_the_prometheus_format(path: Path) -> None:
    document = yaml.safe_load(path.read_text())
    jsonschema.validate(document, RULE_FILE_SCHEMA)
    names = [r.get("alert") for g in document["groups"] for r in g["rules"]]
    assert len(names) == len(set(names))
    for rule in (r for g in document["groups"] for r in g["rules"]):
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert rule["annotations"]["summary"]


def test_the_schema_refuses_a_broken_rule() -> None:
    broken = {"groups": [{"name": "x", "rules": [{"alert": "A", "expr": "up", "for": "5 min"}]}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, RULE_FILE_SCHEMA)


# Telegram rule -> the Prometheus alert for the same condition (None: news, not a condition).
MATCHING = {
    "large_fill": None,
    "trade_pnl": None,
    "daily_summary": None,
    "daily_loss": "TradingBotDailyLoss",
    "breaker": "TradingBotHalted",
    "venue_errors": "TradingBotVenueErrors",
    "win_rate": "TradingBotLowWinRate",
    "idle": "TradingBotIdle",
    "stale_data": "TradingBotStaleData",
    "reconciliation": "TradingBotReconciliationMismatch",
}


def test_alert_rules_match_the_telegram_alerts_and_their_thresholds() -> None:
    assert set(MATCHING) == {rule.__name__ for rule in RULES}
    by_name = {r["alert"]: r["expr"] for r in rules()}
    assert {a for a in MATCHING.values() if a} <= set(by_name)
    t = Thresholds()

    def numbers(alert: str) -> set[float]:
        return {
            float(n) for n in re.findall(r"(?<![\w.\[])-?\d+(?:\.\d+)?(?![\w\]])", by_name[alert])
        }

    assert -float(t.daily_loss) in numbers("TradingBotDailyLoss")
    assert float(t.venue_errors_per_minute) in numbers("TradingBotVenueErrors")
    assert {float(t.win_rate_min), float(t.win_rate_trades)} <= numbers("TradingBotLowWinRate")
    assert t.idle_after == timedelta(seconds=600)
    assert 600.0 in numbers("TradingBotIdle")
    assert float(t.stale_after_s) in numbers("TradingBotStaleData")


def test_prometheus_scrapes_the_engine_and_loads_the_rules() -> None:
    jobs = [c["job_name"] for c in PROMETHEUS["scrape_configs"]]
    assert len(jobs) == len(set(jobs))
    assert "tradingbot-api" in jobs
    assert PROMETHEUS["rule_files"] == ["/etc/prometheus/rules/*.yml"]
    for config in PROMETHEUS["scrape_configs"]:
        for target in config["static_configs"][0]["targets"]:
            host, port = target.rsplit(":", 1)
            assert host
            assert 0 < int(port) < 65536


def test_grafana_provisions_the_data_source_and_the_dashboards_folder() -> None:
    provisioning = DEPLOY / "grafana" / "provisioning"
    (source,) = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())[
        "datasources"
    ]
    assert (source["type"], source["uid"], source["url"]) == (
        "prometheus", "prometheus", "http://prometheus:9090",
    )  # fmt: skip
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "tradingbot.yml").read_text())[
        "providers"
    ]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"


def test_four_dashboards_with_unique_ids() -> None:
    models = [json.loads(p.read_text()) for p in DASHBOARDS]
    assert {m["uid"] for m in models} == {
        "tradingbot-overview", "tradingbot-trading", "tradingbot-execution", "tradingbot-system",
    }  # fmt: skip
    assert len({m["title"] for m in models}) == 4


@pytest.mark.parametrize("path", DASHBOARDS, ids=[p.name for p in DASHBOARDS])
def test_dashboard_models_are_well_formed(path: Path) -> None:
    model = json.loads(path.read_text())
    assert isinstance(model["schemaVersion"], int)
    assert model["schemaVersion"] >= 36
    variables = {v["name"] for v in model["templating"]["list"]}
    ids, cells = set(), set()
    for panel in model["panels"]:
        assert panel["id"] not in ids
        ids.add(panel["id"])
        assert panel["type"] in {"timeseries", "stat", "table", "bargauge", "gauge"}
        assert panel["datasource"] == {"type": "prometheus", "uid": "prometheus"}
        grid = panel["gridPos"]
        assert grid["x"] >= 0
        assert grid["x"] + grid["w"] <= 24
        assert grid["h"] > 0
        area = {
            (grid["x"] + dx, grid["y"] + dy) for dx in range(grid["w"]) for dy in range(grid["h"])
        }
        assert not area & cells, f"{panel['title']} overlaps another panel"
        cells |= area
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs))
        for target in panel["targets"]:
            for used in re.findall(r"\$(\w+)", target["expr"]):
                assert used in variables, f"{panel['title']}: ${used} is not a variable"
