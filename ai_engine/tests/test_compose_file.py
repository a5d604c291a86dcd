"""docker-compose.yml cannot be run here (no Docker engine); keep it structurally valid."""

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
ONE_SHOT = {"migrate", "import-sample"}


def test_names_every_component_of_the_architecture() -> None:
    expected = {"postgres", "redis", "api", "worker", "trader", "sim-exchange", "rails", "frontend"}
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


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_active_services_build_from_folders_that_exist(name: str) -> None:
    service = SERVICES[name]
    build = service.get("build")
    if build is None or "planned" in service.get("profiles", []):
        return
    context = ROOT / (build if isinstance(build, str) else build["context"])
    assert (context / "Dockerfile").is_file(), f"{name}: no Dockerfile in {context}"


def test_active_services_do_not_depend_on_planned_ones() -> None:
    planned = {n for n, s in SERVICES.items() if "planned" in s.get("profiles", [])}
    for name, service in SERVICES.items():
        if name not in planned:
            assert not set(service.get("depends_on", {})) & planned, name


def test_engine_commands_parse_with_todays_cli() -> None:
    # Every active `tradingbot ...` command line must name real (sub)commands and options.
    from typer.main import get_command

    from ai_engine.cli.main import app

    def is_group(command: object) -> bool:
        return hasattr(command, "get_command")  # typer vendors click: no isinstance check

    root = get_command(app)
    checked = 0
    for name, service in SERVICES.items():
        command = service.get("command")
        if "planned" in service.get("profiles", []) or not command or command[0] != "tradingbot":
            continue
        parent = root.make_context("tradingbot", [], resilient_parsing=True)
        leaf: Any = root
        args = list(command[1:])
        while is_group(leaf):
            assert args, f"{name}: {leaf.name} needs a subcommand"
            sub = leaf.get_command(parent, args[0])
            assert sub is not None, f"{name}: unknown tradingbot command {args[0]!r}"
            leaf, args = sub, args[1:]
            if is_group(leaf):
                parent = leaf.make_context(leaf.name, [], parent=parent, resilient_parsing=True)
        leaf.make_context(leaf.name, args, parent=parent)  # raises on an unknown option
        checked += 1
    assert checked >= 4


def test_celery_services_name_a_celery_app_and_its_queues() -> None:
    # `celery -A MODULE worker -Q QUEUES`: the module exists and routes tasks to those queues.
    import importlib.util

    from ai_engine.workers.app import QUEUE

    checked = 0
    for name, service in SERVICES.items():
        command = service.get("command")
        if "planned" in service.get("profiles", []) or not command or command[0] != "celery":
            continue
        module = command[command.index("-A") + 1]
        assert importlib.util.find_spec(module) is not None, f"{name}: no module {module}"
        if "worker" in command:
            queues = command[command.index("-Q") + 1].split(",")
            assert queues == [QUEUE], f"{name}: queues {queues}, tasks go to {QUEUE!r}"
        checked += 1
    assert checked >= 1
