"""docker-compose.yml cannot be run here (no Docker engine): validate it against the Compose
Specification schema, and check that what each service runs is what the tests run."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
TESTS = ROOT / "ai_engine" / "tests"
RAW = (ROOT / "docker-compose.yml").read_text()
COMPOSE: dict[str, Any] = yaml.safe_load(RAW)
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
ONE_SHOT = {"migrate", "import-sample", "rails-migrate"}
SCHEMA = json.loads((Path(__file__).parent / "compose-spec.json").read_text())


def test_validates_against_the_compose_specification() -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(COMPOSE)]
    assert errors == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("services", "api", "healthcheck", "test"), {"not": "a command"}),
        (("services", "api", "depends_on", "redis", "condition"), "whenever"),
        (("services", "api", "restrat"), "always"),
        (("volumes", "postgres-data"), ["not", "a", "mapping"]),
    ],
)
def test_the_schema_catches_a_broken_file(path: tuple[str, ...], value: object) -> None:
    # the check above would pass on anything if the schema were too lax
    broken = yaml.safe_load(RAW)
    node = broken
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(broken))


def test_runs_the_full_stack() -> None:
    expected = {"postgres", "redis", "sim-exchange", "api", "worker-orders", "worker-research",
                "beat", "trader", "rails", "frontend", "prometheus", "grafana"}  # fmt: skip
    assert expected <= set(SERVICES)


@pytest.mark.parametrize("name", sorted(set(SERVICES) - ONE_SHOT))
def test_long_running_services_have_health_checks(name: str) -> None:
    check = SERVICES[name].get("healthcheck")
    assert check, f"{name} has no healthcheck"
    assert check["test"], f"{name} has an empty healthcheck"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_dependencies_exist_and_wait_for_a_condition(name: str) -> None:
    for dep, cond in SERVICES[name].get("depends_on", {}).items():
        assert dep in SERVICES, f"{name} depends on unknown service {dep}"
        assert cond["condition"] in {"service_healthy", "service_completed_successfully"}
        assert not SERVICES[dep].get("profiles"), f"{name} depends on optional {dep}"


def test_required_secrets_fail_fast_and_are_documented() -> None:
    required = set(re.findall(r"\$\{(\w+):\?", RAW))
    assert required == {
        "POSTGRES_PASSWORD", "TRADINGBOT_API_TOKEN", "RAILS_SECRET_KEY_BASE",
        "GRAFANA_ADMIN_PASSWORD",
    }  # fmt: skip
    example = (ROOT / ".env.example").read_text()
    for variable in set(re.findall(r"\$\{(\w+)", RAW)):
        assert re.search(rf"^#? ?{variable}=", example, re.M), f"{variable} not in .env.example"
    assert "password" not in RAW.lower().replace("_password", "").replace("password:", "")


def test_data_lives_in_named_volumes() -> None:
    mounts = {
        "postgres": "/var/lib/postgresql/data", "redis": "/data", "prometheus": "/prometheus",
        "grafana": "/var/lib/grafana", "api": "/var/lib/tradingbot/data",
    }  # fmt: skip
    for name, target in mounts.items():
        volumes = [v for v in SERVICES[name]["volumes"] if v.endswith(target)]
        assert volumes, f"{name}: nothing mounted at {target}"
        assert volumes[0].split(":")[0] in COMPOSE["volumes"], f"{name}: not a named volume"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_bind_mounts_and_build_contexts_exist(name: str) -> None:
    service = SERVICES[name]
    for volume in service.get("volumes", []):
        source = volume.split(":")[0]
        if source.startswith("."):
            assert (ROOT / source).exists() or source == "./backups", f"{name}: {source}"
    build = service.get("build")
    if build is not None:
        context = ROOT / (build if isinstance(build, str) else build["context"])
        assert context.is_dir(), f"{name}: no build context {context}"
        inline = isinstance(build, dict) and "dockerfile_inline" in build
        assert inline or (context / "Dockerfile").is_file(), f"{name}: no Dockerfile"


def _leaf(command: list[str]) -> tuple[Any, list[str]]:
    """The click command a `tradingbot ...` argv reaches, and its arguments."""
    from typer.main import get_command

    from ai_engine.cli.main import app

    root = get_command(app)
    parent = root.make_context("tradingbot", [], resilient_parsing=True)
    leaf: Any = root
    args = list(command[1:])
    while hasattr(leaf, "get_command"):  # a group
        assert args, f"{leaf.name} needs a subcommand"
        sub = leaf.get_command(parent, args[0])
        assert sub is not None, f"unknown tradingbot command {args[0]!r}"
        leaf, args = sub, args[1:]
        if hasattr(leaf, "get_command"):
            parent = leaf.make_context(leaf.name, [], parent=parent, resilient_parsing=True)
    leaf.make_context(leaf.name, list(args), parent=parent)  # raises on an unknown option
    return leaf, args


ENGINE_SERVICES = sorted(
    n for n, s in SERVICES.items() if (s.get("command") or [""])[0] == "tradingbot"
)


@pytest.mark.parametrize("name", ENGINE_SERVICES)
def test_engine_commands_parse_with_the_cli(name: str) -> None:
    _leaf(SERVICES[name]["command"])


# What the tests run, for each service whose command a test runs as a process: the compose
# command with its values replaced by "*" must equal the test's, and the test must still hold it.
TESTED = {
    "api": ("servers.py", ["tradingbot", "api", "--host", "*", "--port", "*"]),
    "trader": ("metrics/test_scrape_during_replay.py",
               ["tradingbot", "run", "--config", "*", "--mode", "replay", "--speed", "*",
                "--metrics-port", "*", "--metrics-host", "*"]),
    "alerts": ("alerts/test_alerts_cli.py",
               ["tradingbot", "alerts", "run", "--metrics-port", "*", "--metrics-host", "*"]),
    "worker-orders": ("metrics/test_venue_weight.py",
                      ["celery", "-A", "ai_engine.workers.order_worker", "worker", "-Q", "*",
                       "--pool", "solo", "--hostname", "*", "--loglevel", "*",
                       "--include", "ai_engine.metrics.celery_exporter"]),
}  # fmt: skip
# Values that are part of what is tested (the rest are free: ports, paths, names, levels); a
# test runs the Celery worker on a queue of its own (the routing test checks the queue).
KEPT = ("--mode", "--pool", "--include")
FREE = ("-Q",)


def _masked(command: list[str]) -> list[str]:
    out, value_next = [], False
    for word in command:
        out.append("*" if value_next else word)
        value_next = (
            (word.startswith("--") and word not in KEPT) or word in FREE
        ) and not value_next
    return out


@pytest.mark.parametrize("name", sorted(TESTED))
def test_service_commands_are_the_ones_the_tests_run(name: str) -> None:
    test_file, pattern = TESTED[name]
    masked = _masked(SERVICES[name]["command"])
    assert masked == pattern
    source = (TESTS / test_file).read_text()
    words = [w for w in pattern[1:] if w != "*"]
    quoted = ", ".join(f'"{w}"' for w in words[:2])
    assert quoted in source, f"{test_file} no longer runs `{' '.join(words[:2])}`"
    for word in words[2:]:
        assert f'"{word}"' in source, f"{test_file} no longer passes {word}"


CELERY_SERVICES = sorted(
    n for n, s in SERVICES.items() if (s.get("command") or [""])[0] == "celery"
)


@pytest.mark.parametrize("name", CELERY_SERVICES)
def test_celery_services_name_an_app_its_queues_and_the_metrics_exporter(name: str) -> None:
    from ai_engine.settings import Settings
    from ai_engine.workers.app import close_celery, make_celery

    command = SERVICES[name]["command"]
    module = command[command.index("-A") + 1]
    assert importlib.util.find_spec(module) is not None, f"{name}: no module {module}"
    if "worker" not in command:
        assert "beat" in command
        return
    app = make_celery(Settings(_env_file=None), redis_url="redis://127.0.0.1:1/0")  # type: ignore[call-arg]
    try:
        routed = {route["queue"] for route in app.conf.task_routes.values()}
        tasks = {t for t in app.tasks if not t.startswith("celery.")}
    finally:
        close_celery(app)
    queues = command[command.index("-Q") + 1].split(",")
    assert set(queues) <= routed, f"{name}: queues {queues}, tasks go to {routed}"
    assert any(t.startswith(f"{queues[0]}.") for t in tasks), f"{name}: no task for {queues}"
    assert command[command.index("--pool") + 1] == "solo"  # the tests' start_worker pool
    include = command[command.index("--include") + 1]
    assert importlib.util.find_spec(include) is not None
    port = SERVICES[name]["environment"]["TRADINGBOT_METRICS_PORT"]
    assert f"{name}:{port}" in (ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text()


def test_trader_health_check_reads_the_heartbeat_of_the_bot_it_runs() -> None:
    trader = SERVICES["trader"]
    config = trader["command"][trader["command"].index("--config") + 1]
    assert config.startswith("/app/bots/")
    bot = yaml.safe_load((ROOT / "bots" / Path(config).name).read_text())
    check = " ".join(trader["healthcheck"]["test"])
    assert f"'tradingbot:bot:{bot['id']}'" in check
    assert "heartbeat_ts" in check


@pytest.mark.parametrize("name", sorted(n for n in SERVICES if n not in {"rails", "frontend"}))
def test_engine_variables_are_settings_the_engine_reads(name: str) -> None:
    from ai_engine.alerts.settings import AlertSettings
    from ai_engine.settings import Settings

    orders = {"orders_venue", "orders_api_key", "orders_api_secret"}  # workers/order_worker.py
    fields = set(Settings.model_fields) | set(AlertSettings.model_fields) | {"metrics_port"}
    fields |= orders
    environment = SERVICES[name].get("environment", {})
    for variable in environment:
        if variable.startswith("TRADINGBOT_"):
            assert variable.removeprefix("TRADINGBOT_").lower() in fields, f"{name}: {variable}"


def test_the_orders_worker_environment_configures_the_worker() -> None:
    from ai_engine.workers.order_worker import orders_config_from_env

    environment = SERVICES["worker-orders"]["environment"]
    defaults = {k: re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(v)) for k, v in environment.items()}
    assert defaults["TRADINGBOT_ORDERS_VENUE"] == "sim-spot:http://sim-exchange:9000"
    assert "sim-exchange" in SERVICES["worker-orders"]["depends_on"]
    config = orders_config_from_env(defaults)  # raises on a venue or keys it cannot use
    assert "unrestricted" in config.limits
