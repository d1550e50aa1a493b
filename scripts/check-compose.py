#!/usr/bin/env python3
"""Static checks of compose.yaml (no Docker engine needed).

- the file parses as YAML and has a `services` mapping;
- every service that runs the payflow binary names a real subcommand
  (from `payflow --help` of a built binary, else the list below);
- every ${VAR} that compose.yaml interpolates is documented in .env.example;
- depends_on targets exist; service_healthy targets have a healthcheck;
  service_completed_successfully targets are one-shot (no restart policy);
- files bind-mounted from the repository exist.

Usage: scripts/check-compose.py [compose.yaml]   (exit 1 on any problem)
"""

import os
import re
import subprocess
import sys
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
KNOWN_SUBCOMMANDS = {"migrate", "demo-produce", "demo-consumer", "generator", "anti-fraud", "fraud-report", "reconciliation", "reconciliation-report", "notification", "analytics", "audit-log", "audit", "streams", "dlq"}

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

        check_depends_on(name, service, services)
        check_mounts(name, service)
        check_healthcheck(name, service)


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


def check_mounts(name: str, service: dict) -> None:
    for volume in service.get("volumes") or []:
        source = volume.get("source") if isinstance(volume, dict) else str(volume).split(":")[0]
        if source and source.startswith((".", "/")) and "$" not in source:
            path = (ROOT / source) if source.startswith(".") else Path(source)
            if source.startswith(".") and not path.exists():
                error(f"service {name}: mounts {source}, which does not exist in the repository")


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
