"""The files operators install from deploy/ and follow in docs/operations.md: they must name real commands,
real settings and pass the tools that check them."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpdesk.cli import cli
from shared.config import DEFAULTS, load_config
from tests.conftest import BIN, LiveServer

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "helpdesk.service"
ENV_EXAMPLE = DEPLOY / "helpdesk.env.example"
LAUNCHER = DEPLOY / "windows" / "helpdesk.cmd"
TASK_SCRIPT = DEPLOY / "windows" / "install-task.ps1"
OPERATIONS = ROOT / "docs" / "operations.md"
AUTOSTART = {
    "kiosk": DEPLOY / "kiosk" / "helpdesk-kiosk.desktop",
    "display": DEPLOY / "kiosk" / "helpdesk-display.desktop",
}
ASSIGNMENT = re.compile(r"^#?(HELPDESK_[A-Z_]+)=(.*)$")
# `helpdesk ARGS` as the files run it: the venv's script, the Windows exe, or the Windows launcher.
INVOCATION = re.compile(
    r'(?:bin/helpdesk|(?<![\w-])helpdesk\.exe"?|(?<![\w-])helpdesk\.cmd)[ \t]+([a-z][^\r\n#`\'|>]*)'
)
# The docs' shell function that runs `helpdesk` as the service's user: `hd ARGS`.
HD_FUNCTION = re.compile(r"^hd ([a-z].*)$", flags=re.M)


def tool(name: str) -> str:
    """The path of a checking tool; skipped where it is not installed, except under CI, which installs them all."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is missing under CI=true (.ci/run installs it): what it checks would go unchecked")
        pytest.skip(f"{name} is not installed")
    return path


def unit_settings(text: str) -> dict[str, list[str]]:
    """Each key of a unit file with its values, in order (systemd allows a key more than once)."""
    settings: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def env_assignments(commented_too: bool) -> dict[str, str]:
    """The example's settings, as systemd and helpdesk.cmd read them: one pair of double quotes is removed."""
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = ASSIGNMENT.match(line)
        if match and (commented_too or not line.startswith("#")):
            value = match.group(2)
            values[match.group(1)] = value[1:-1] if len(value) > 1 and value[0] == value[-1] == '"' else value
    return values


def cli_invocations(text: str) -> list[list[str]]:
    """The argument lists that a file passes to `helpdesk`."""
    return [shlex.split(match.group(1), comments=True) for match in INVOCATION.finditer(text)]


def assert_the_cli_takes(arguments: list[str]) -> None:
    # With --help appended, click parses every option (an unknown one fails) but runs nothing.
    result = CliRunner().invoke(cli, [*arguments, "--help"])
    assert result.exit_code == 0, f"helpdesk {shlex.join(arguments)}: {result.output}"


def test_the_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = tool("systemd-analyze")
    checkout = tmp_path / "opt"
    (checkout / "instance").mkdir(parents=True)
    (tmp_path / "helpdesk.env").write_text(ENV_EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    text = (
        UNIT.read_text(encoding="utf-8")
        .replace("/opt/kpu-helpdesk/.venv/bin/helpdesk", str(BIN / "helpdesk"))
        .replace("/opt/kpu-helpdesk", str(checkout))
        .replace("/etc/kpu-helpdesk/helpdesk.env", str(tmp_path / "helpdesk.env"))
    )
    unit = tmp_path / "helpdesk.service"
    unit.write_text(text, encoding="utf-8")

    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)

    complaints = [line for line in (result.stdout + result.stderr).splitlines() if "helpdesk" in line]
    assert result.returncode == 0, result.stdout + result.stderr
    assert complaints == []


def test_the_unit_migrates_then_serves_and_may_write_only_its_instance_folder() -> None:
    settings = unit_settings(UNIT.read_text(encoding="utf-8"))
    venv_helpdesk = "/opt/kpu-helpdesk/.venv/bin/helpdesk"
    assert settings["ExecStartPre"] == [f"{venv_helpdesk} db upgrade"]
    assert settings["ExecStart"] == [f"{venv_helpdesk} serve --host 0.0.0.0 --port 5000"]
    assert settings["WorkingDirectory"] == ["/opt/kpu-helpdesk"]
    assert settings["ReadWritePaths"] == ["/opt/kpu-helpdesk/instance"]
    assert settings["EnvironmentFile"] == ["/etc/kpu-helpdesk/helpdesk.env"]
    assert settings["User"] == ["helpdesk"]
    assert settings["KillMode"] == ["mixed"]  # the server stops its own print process and workers
    assert 10 <= int(settings["TimeoutStopSec"][0]) <= 20
    assert settings["Restart"] == ["on-failure"]
    for hardening in ("NoNewPrivileges", "PrivateTmp", "ProtectHome"):
        assert settings[hardening] == ["yes"]
    assert settings["ProtectSystem"] == ["strict"]
    for invocation in cli_invocations(UNIT.read_text(encoding="utf-8")):
        assert_the_cli_takes(invocation)


def test_the_env_example_lists_every_setting_once_and_nothing_else() -> None:
    names = [
        match.group(1)
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if (match := ASSIGNMENT.match(line))
    ]
    assert len(names) == len(set(names)), "a setting is listed twice"
    assert sorted(names) == sorted(f"HELPDESK_{key}" for key in DEFAULTS)


@pytest.mark.parametrize("commented_too", [False, True], ids=["as shipped", "every line uncommented"])
def test_the_env_example_holds_valid_settings(tmp_path: Path, commented_too: bool) -> None:
    values = env_assignments(commented_too)
    config = load_config(tmp_path, environ=values)
    assert config["OFFICE_NAME"] == "KPU Kota Kupang"  # the quotes are not part of the name
    assert config["PUBLIC_URL"] != "http://127.0.0.1:5000", "the example should show a LAN address"


def test_the_env_example_reads_the_same_in_the_shell_as_under_systemd(tmp_path: Path) -> None:
    # docs/operations.md runs commands with `set -a; . helpdesk.env`: the shell must see what systemd sees.
    result = subprocess.run(
        ["sh", "-c", f'set -a; . "{ENV_EXAMPLE}"; env'],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=True,
    )
    seen = dict(line.split("=", 1) for line in result.stdout.splitlines() if line.startswith("HELPDESK_"))
    assert seen == env_assignments(commented_too=False)


def test_the_windows_launcher_serves_with_commands_the_cli_has() -> None:
    text = LAUNCHER.read_text(encoding="ascii")
    invocations = [shlex.split(arguments) for arguments in re.findall(r'^"%HD_EXE%" ([a-z].*)$', text, flags=re.M)]
    assert ["db", "upgrade"] in invocations
    assert ["serve", "--host", "0.0.0.0", "--port", "5000"] in invocations
    for invocation in invocations:
        assert_the_cli_takes(invocation)
    assert r".venv\Scripts\helpdesk.exe" in text
    assert r"\helpdesk.env" in text and "findstr /b" in text  # only HELPDESK_ lines of the settings file


def test_the_task_script_starts_the_launcher_and_checks_what_exists() -> None:
    text = TASK_SCRIPT.read_text(encoding="ascii")
    assert "Register-ScheduledTask" in text
    assert "-RestartCount" in text and "-ExecutionTimeLimit ([TimeSpan]::Zero)" in text  # not the 3-day default
    assert '`" /restart`"' in text and "/restart" in LAUNCHER.read_text(encoding="ascii")
    for relative in re.findall(r'Join-Path \$InstallDir "(deploy\\[^"]+)"', text):
        assert (ROOT / relative.replace("\\", "/")).is_file(), relative
    assert r".venv\Scripts\helpdesk.exe" in text


@pytest.mark.parametrize("path", [LAUNCHER, TASK_SCRIPT], ids=lambda path: path.name)
def test_windows_scripts_are_ascii_with_crlf_line_ends(path: Path) -> None:
    data = path.read_bytes()
    data.decode("ascii")  # Windows PowerShell reads a file without a byte-order mark in the ANSI code page
    assert data.count(b"\n") == data.count(b"\r\n") > 0


def test_deploy_files_and_docs_name_only_settings_that_exist() -> None:
    known = {f"HELPDESK_{key}" for key in DEFAULTS}
    for path in [*DEPLOY.rglob("*"), OPERATIONS]:
        if path.is_file():
            named = set(re.findall(r"HELPDESK_[A-Z][A-Z_]*[A-Z]", path.read_text(encoding="utf-8")))
            assert named <= known, f"{path.relative_to(ROOT)}: {sorted(named - known)}"


def test_the_commands_in_the_operations_guide_exist() -> None:
    text = OPERATIONS.read_text(encoding="utf-8")
    invocations = cli_invocations(text) + [shlex.split(line, comments=True) for line in HD_FUNCTION.findall(text)]
    assert ["seed"] in invocations
    assert ["printer", "emulate", "--port", "9100", "--out", "/tmp/printouts"] in invocations
    assert ["officer", "add", "siti", "--name", "Siti Rahma", "--role", "officer"] in invocations
    for invocation in invocations:
        assert_the_cli_takes(invocation)


def test_the_winsw_example_is_well_formed_and_serves() -> None:
    xml = re.search(r"^```xml\n(.*?)^```", OPERATIONS.read_text(encoding="utf-8"), flags=re.S | re.M)
    assert xml, "docs/operations.md has no WinSW example"
    service = ElementTree.fromstring(xml.group(1))
    assert service.findtext("executable", "").endswith(r"\.venv\Scripts\helpdesk.exe")
    assert_the_cli_takes(shlex.split(service.findtext("arguments", "")))
    assert {env.get("name") for env in service.iter("env")} <= {f"HELPDESK_{key}" for key in DEFAULTS}


@pytest.mark.parametrize("screen", sorted(AUTOSTART))
def test_the_autostart_files_are_valid_desktop_entries(screen: str) -> None:
    path = AUTOSTART[screen]
    exec_line = unit_settings(path.read_text(encoding="utf-8"))["Exec"][0]
    assert exec_line.startswith("chromium --kiosk ")
    assert exec_line.endswith(f":5000/{screen}")
    for flag in ("--noerrdialogs", "--autoplay-policy=no-user-gesture-required", "--disable-pinch"):
        assert flag in exec_line.split()
    result = subprocess.run([tool("desktop-file-validate"), str(path)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


@pytest.mark.parametrize("screen", sorted(AUTOSTART))
def test_chromium_opens_the_screens_with_the_kiosk_flags(live_server: LiveServer, screen: str) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing under CI=true")
        pytest.skip("chromium is not installed")
    exec_line = unit_settings(AUTOSTART[screen].read_text(encoding="utf-8"))["Exec"][0]
    flags = shlex.split(exec_line)[1:-1]
    # Headless here; the flags that keep this machine's Chromium off the network are the probe's own.
    quiet = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    quiet += ["--disable-component-update", "--disable-sync", "--user-data-dir=" + str(live_server.log.parent / screen)]
    result = subprocess.run(
        [chromium, *quiet, *flags, "--dump-dom", f"{live_server.url}/{screen}"],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "KPU Kota Kupang" in result.stdout


def test_the_proxy_configurations_pass_their_checks(tmp_path: Path) -> None:
    checked = 0
    if shutil.which("caddy"):
        result = subprocess.run(
            ["caddy", "validate", "--adapter", "caddyfile", "--config", str(DEPLOY / "proxy" / "Caddyfile")],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "XDG_DATA_HOME": str(tmp_path / "caddy"), "XDG_CONFIG_HOME": str(tmp_path / "caddy")},
        )
        assert result.returncode == 0, result.stderr[-2000:]
        checked += 1
    if shutil.which("nginx") and shutil.which("openssl"):
        key, certificate = tmp_path / "helpdesk.key", tmp_path / "helpdesk.crt"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test"]
            + ["-keyout", str(key), "-out", str(certificate)],
            capture_output=True,
            check=True,
        )
        site = tmp_path / "site.conf"
        site.write_text(
            (DEPLOY / "proxy" / "nginx.conf")
            .read_text(encoding="utf-8")
            .replace("/etc/kpu-helpdesk/tls", str(tmp_path))
        )
        main = tmp_path / "nginx.conf"
        main.write_text(
            f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{\n    access_log off;\n"
            f"    client_body_temp_path {tmp_path}/body;\n    proxy_temp_path {tmp_path}/proxy;\n"
            f"    include {site};\n}}\n"
        )
        result = subprocess.run(
            ["nginx", "-t", "-c", str(main), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        checked += 1
    if not checked:
        if os.environ.get("CI") == "true":
            pytest.fail("neither caddy nor nginx is installed under CI=true (.ci/run installs both)")
        pytest.skip("neither caddy nor nginx is installed")
