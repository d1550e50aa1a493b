#!/usr/bin/env python3
"""Static checks of compose.yaml (no Docker engine needed).

- the file parses as YAML and has a `services` mapping;
- every service that runs the payflow binary names a real subcommand
  (from `payflow --help` of a built binary, else the list below);
- every ${VAR} that compose.yaml interpolates is documented in .env.example;
- depends_on targets exist; service_healthy targets have a healthcheck;
  service_completed_successfully targets are one-shot (no restart policy);
- files bind-mounted from the repository exist; those under var/compose/ (the
  generated passwords, absent from a fresh clone) are files scripts/compose-secrets
  writes, as is every env file named there; each payflow service reads its own
  var/compose/<subcommand>.env (its Redis user and PostgreSQL role), last, so
  that it wins, and `migrate` the owner's;
- every service of the payflow image has an env_file (the settings of .env);
- each payflow service's healthcheck calls its own HTTP_PORT on a path the
  binary serves, and its published container port is that HTTP_PORT;
- the monitoring profile agrees: monitoring/prometheus.yml scrapes every
  long-running payflow service on its HTTP_PORT, and every metric the Grafana
  dashboard queries is one the code exports (MetricsCatalog.swift).

Usage: scripts/check-compose.py [compose.yaml]   (exit 1 on any problem)
"""

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

try:
    import yaml
except ImportError:
    # pyenv's python3 may lack PyYAML while Debian's has python3-yaml.
    system_python = "/usr/bin/python3"
    if os.path.realpath(sys.executable) != os.path.realpath(system_python) and os.path.exists(system_python):
        os.execv(system_python, [system_python, *sys.argv])
    sys.exit("check-compose: PyYAML is missing: apt-get install python3-yaml (or pip install pyyaml)")

ROOT = Path(__file__).resolve().parent.parent

# Subcommands of `payflow` when no built binary is there to ask.
# Keep in step with Sources/PayFlowCLI.
KNOWN_SUBCOMMANDS = {"migrate", "demo-produce", "demo-consumer", "generator", "anti-fraud", "fraud-report", "reconciliation", "reconciliation-report", "notification", "analytics", "audit-log", "audit", "streams", "dlq", "bench"}

# The port each subcommand listens on when HTTP_PORT is not set (Sources/PayFlowCLI).
DEFAULT_PORTS = {"generator": 8080, "demo-consumer": 8090, "anti-fraud": 8091, "notification": 8092,
                 "reconciliation": 8093, "analytics": 8094, "audit-log": 8095}
# Paths every long-running payflow process serves (OperationsServer).
SERVED_PATHS = {"/health", "/metrics"}

VALID_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}

errors: list[str] = []


def error(message: str) -> None:
    errors.append(message)


def payflow_subcommands() -> tuple[set[str], str]:
    """Subcommands listed by a built binary's --help, else KNOWN_SUBCOMMANDS."""
    # PAYFLOW_BIN, else the newest debug build of any scratch path (.build, .build-NAME).
    builds = sorted(ROOT.glob(".build*/debug/payflow"), key=lambda path: path.stat().st_mtime, reverse=True)
    candidates = [os.environ.get("PAYFLOW_BIN", ""), *builds]
    for candidate in candidates:
        if not candidate or not os.access(candidate, os.X_OK):
            continue
        try:
            result = subprocess.run([str(candidate), "--help"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        names = parse_help(result.stdout + result.stderr)
        if names:
            return names, f"`{candidate} --help`"
    return set(KNOWN_SUBCOMMANDS), "the list in scripts/check-compose.py"


def parse_help(text: str) -> set[str]:
    """Names under ArgumentParser's SUBCOMMANDS: heading."""
    names: set[str] = set()
    in_section = False
    for line in text.splitlines():
        if re.match(r"^SUBCOMMANDS:", line):
            in_section = True
            continue
        if in_section:
            if line and not line[0].isspace():
                break  # next heading
            match = re.match(r"^\s{1,8}([a-z][a-z0-9-]*)(\s|\(|$)", line)
            if match:
                names.add(match.group(1))
    names.discard("help")
    return names


def documented_variables(env_example: Path) -> set[str]:
    """VAR of every `VAR=...` line, also commented-out ones (`# VAR=` = unset by default)."""
    names = set()
    for line in env_example.read_text().splitlines():
        match = re.match(r"^\s*#?\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=", line)
        if match:
            names.add(match.group(1))
    return names


def interpolated_variables(text: str) -> set[str]:
    """${VAR}, ${VAR:-x}, ${VAR?err}... and $VAR, but not the escaped $$."""
    names = set()
    # Drop comment lines: a ${VAR} there is not interpolated.
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    for match in re.finditer(r"(?<!\$)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))", text):
        names.add(match.group(1) or match.group(2))
    return names


def command_words(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(word) for word in value]
    return []


def runs_payflow_image(service: dict) -> bool:
    image = str(service.get("image", ""))
    return "build" in service or image.split(":")[0].endswith("payflow")


def check_services(services: dict, subcommands: set[str], source: str) -> None:
    secrets = generated_secrets()
    for name, service in services.items():
        if not isinstance(service, dict):
            error(f"service {name}: not a mapping")
            continue
        words = command_words(service.get("entrypoint")) + command_words(service.get("command"))
        if "payflow" in [Path(word).name for word in words]:
            index = [Path(word).name for word in words].index("payflow")
            rest = words[index + 1:]
            if not rest:
                error(f"service {name}: runs payflow without a subcommand")
            elif rest[0] not in subcommands and rest[0] not in ("--help", "-h"):
                error(
                    f"service {name}: `payflow {rest[0]}` is not a subcommand "
                    f"(known from {source}: {', '.join(sorted(subcommands))})"
                )
        elif runs_payflow_image(service):
            error(f"service {name}: uses the payflow image but its command does not run `payflow <subcommand>`")
        if runs_payflow_image(service) and not service.get("env_file"):
            # Without it the settings of .env (FRAUD_*, GENERATOR_*, ...) never reach the container.
            error(f"service {name}: runs payflow without env_file, so the settings of .env do not reach it")

        check_depends_on(name, service, services)
        check_mounts(name, service, secrets)
        check_credentials(name, service, secrets)
        check_healthcheck(name, service)
        check_ports(name, service)


def payflow_subcommand(service: dict) -> str | None:
    words = [Path(word).name for word in command_words(service.get("entrypoint")) + command_words(service.get("command"))]
    if "payflow" in words and words.index("payflow") + 1 < len(words):
        return words[words.index("payflow") + 1]
    return None


def http_port(service: dict) -> int | None:
    """The port a payflow service listens on: its HTTP_PORT, else the subcommand's default."""
    subcommand = payflow_subcommand(service)
    if subcommand is None:
        return None
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment if "=" in item)
    value = str(environment.get("HTTP_PORT", DEFAULT_PORTS.get(subcommand, "")))
    return int(value) if value.isdigit() else None


def check_ports(name: str, service: dict) -> None:
    port = http_port(service)
    if port is None:
        return
    test = (service.get("healthcheck") or {}).get("test")
    if isinstance(test, list):
        for word in test:
            match = re.match(r"https?://[^/:]+:(\d+)(/[^\s?]*)", str(word))
            if match:
                if int(match.group(1)) != port:
                    error(f"service {name}: healthcheck calls port {match.group(1)}, but the service listens on {port}")
                if match.group(2) not in SERVED_PATHS:
                    error(f"service {name}: healthcheck calls {match.group(2)}, which payflow does not serve ({', '.join(sorted(SERVED_PATHS))})")
    for published in service.get("ports") or []:
        container = str(published).rsplit(":", 1)[-1].split("/")[0]
        if container.isdigit() and int(container) != port:
            error(f"service {name}: publishes container port {container}, but the service listens on {port}")


def check_monitoring(services: dict) -> None:
    prometheus = ROOT / "monitoring" / "prometheus.yml"
    if not prometheus.exists():
        error("monitoring/prometheus.yml is missing")
        return
    config = yaml.safe_load(prometheus.read_text()) or {}
    scraped: dict[str, int] = {}
    for job in config.get("scrape_configs") or []:
        for sd in job.get("dns_sd_configs") or []:
            for target in sd.get("names") or []:
                scraped[target] = int(sd.get("port", 0))
        for static in job.get("static_configs") or []:
            for target in static.get("targets") or []:
                host, _, port = str(target).partition(":")
                scraped[host] = int(port or 0)
    for target, port in scraped.items():
        if target not in services:
            error(f"monitoring/prometheus.yml scrapes {target}, which is not a compose service")
        elif http_port(services[target]) != port:
            error(f"monitoring/prometheus.yml scrapes {target} on {port}, but it listens on {http_port(services[target])}")
    for name, service in services.items():
        if http_port(service) is not None and service.get("healthcheck") and name not in scraped and name != "demo-consumer":
            error(f"service {name} serves /metrics but monitoring/prometheus.yml does not scrape it")

    catalog = (ROOT / "Sources" / "PayFlowRuntime" / "Operations" / "MetricsCatalog.swift").read_text()
    exported = set(re.findall(r'"(payflow_[a-z_]+)"', catalog))
    for dashboard in sorted((ROOT / "monitoring" / "grafana" / "dashboards").glob("*.json")):
        try:
            document = __import__("json").loads(dashboard.read_text())
        except ValueError as exc:
            error(f"{dashboard.relative_to(ROOT)}: not JSON: {exc}")
            continue
        for panel in document.get("panels", []):
            for target in panel.get("targets", []):
                for metric in re.findall(r"payflow_[a-z_]+", target.get("expr", "")):
                    base = re.sub(r"_(bucket|sum|count)$", "", metric)
                    if base not in exported:
                        error(f"{dashboard.relative_to(ROOT)}: panel {panel.get('title')!r} queries {metric}, which PayFlow does not export")


def check_depends_on(name: str, service: dict, services: dict) -> None:
    depends_on = service.get("depends_on") or {}
    if isinstance(depends_on, list):
        depends_on = {target: {"condition": "service_started"} for target in depends_on}
    if not isinstance(depends_on, dict):
        error(f"service {name}: depends_on must be a list or a mapping")
        return
    for target, options in depends_on.items():
        if target not in services:
            error(f"service {name}: depends_on {target}, which is not a service")
            continue
        condition = (options or {}).get("condition", "service_started")
        if condition not in VALID_CONDITIONS:
            error(f"service {name}: depends_on {target} with unknown condition {condition!r}")
        target_service = services[target] or {}
        if condition == "service_healthy":
            healthcheck = target_service.get("healthcheck")
            if not healthcheck or healthcheck.get("disable") or healthcheck.get("test") in (["NONE"], "NONE"):
                error(f"service {name}: waits for {target} to be healthy, but {target} has no healthcheck")
        if condition == "service_completed_successfully":
            restart = str(target_service.get("restart", "no"))
            if restart not in ("no", "on-failure") and not restart.startswith("on-failure"):
                error(f"service {name}: waits for {target} to complete, but {target} restarts ({restart})")


SECRETS_DIR = "var/compose/"


def generated_secrets() -> set[str]:
    """The names scripts/compose-secrets writes, rendered into a temporary directory."""
    with tempfile.TemporaryDirectory() as directory:
        result = subprocess.run(["bash", str(ROOT / "scripts" / "compose-secrets"), directory],
                                capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            error(f"scripts/compose-secrets failed: {result.stderr.strip()}")
        return set(os.listdir(directory))


def secret_name(path: str) -> str | None:
    """`users.acl` for ./var/compose/users.acl; None outside var/compose/."""
    path = path.removeprefix("./")
    return path[len(SECRETS_DIR):] if path.startswith(SECRETS_DIR) else None


def check_mounts(name: str, service: dict, secrets: set[str]) -> None:
    for volume in service.get("volumes") or []:
        source = volume.get("source") if isinstance(volume, dict) else str(volume).split(":")[0]
        if source and secret_name(source) is not None:
            if secret_name(source) not in secrets:
                error(f"service {name}: mounts {source}, which scripts/compose-secrets does not write")
        elif source and source.startswith((".", "/")) and "$" not in source:
            path = (ROOT / source) if source.startswith(".") else Path(source)
            if source.startswith(".") and not path.exists():
                error(f"service {name}: mounts {source}, which does not exist in the repository")


def env_files(service: dict) -> list[str]:
    value = service.get("env_file") or []
    return [str(item.get("path") if isinstance(item, dict) else item) for item in ([value] if isinstance(value, (str, dict)) else value)]


def check_credentials(name: str, service: dict, secrets: set[str]) -> None:
    """Every env file under var/compose/ is generated; a payflow service's last one is its own."""
    files = env_files(service)
    for path in files:
        if secret_name(path) is not None and secret_name(path) not in secrets:
            error(f"service {name}: env_file {path}, which scripts/compose-secrets does not write")
    if not runs_payflow_image(service):
        return
    words = [Path(word).name for word in command_words(service.get("command"))]
    subcommand = words[words.index("payflow") + 1] if "payflow" in words and words.index("payflow") + 1 < len(words) else None
    own = "owner.env" if subcommand == "migrate" else f"{subcommand}.env"
    if not files or secret_name(files[-1]) != own:
        error(f"service {name}: its last env_file must be {SECRETS_DIR}{own} (its own Redis user and PostgreSQL role), got {files}")
    environment = service.get("environment") or {}
    for variable in ("REDIS_URL", "DATABASE_URL"):
        if isinstance(environment, dict) and variable in environment:
            error(f"service {name}: sets {variable} in environment:, which would win over its credentials in {SECRETS_DIR}{own}")


def check_healthcheck(name: str, service: dict) -> None:
    healthcheck = service.get("healthcheck")
    if healthcheck is None:
        return
    test = healthcheck.get("test")
    if isinstance(test, list) and (not test or test[0] not in ("CMD", "CMD-SHELL", "NONE")):
        error(f"service {name}: healthcheck test must start with CMD, CMD-SHELL or NONE")


def main() -> int:
    compose_path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "compose.yaml"
    env_example = ROOT / ".env.example"
    try:
        text = compose_path.read_text()
        document = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        print(f"check-compose: {compose_path}: {exc}", file=sys.stderr)
        return 1
    if not isinstance(document, dict) or not isinstance(document.get("services"), dict):
        print(f"check-compose: {compose_path}: no `services` mapping", file=sys.stderr)
        return 1
    services = document["services"]

    subcommands, source = payflow_subcommands()
    check_services(services, subcommands, source)
    check_monitoring(services)

    if not env_example.exists():
        error(".env.example is missing")
    else:
        undocumented = interpolated_variables(text) - documented_variables(env_example)
        for variable in sorted(undocumented):
            error(f"${{{variable}}} is used in {compose_path.name} but not documented in .env.example")

    if errors:
        for message in errors:
            print(f"check-compose: error: {message}", file=sys.stderr)
        print(f"check-compose: {len(errors)} problem(s) in {compose_path}", file=sys.stderr)
        return 1
    print(f"check-compose: {compose_path.name} OK: {len(services)} services, subcommands from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
