"""Issue 18 #7: help reads as a person expects: flags without "<bool>", every command listed."""

from __future__ import annotations

from typer.testing import CliRunner

from ddss.cli import app


def test_no_command_shows_bool_after_a_flag():
    runner = CliRunner()
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0
    commands = [
        "run",
        "check",
        "withdraw",
        "airflow-init",
        "airflow-ui",
        "serve",
        "generate",
        "demo",
    ]
    for name in commands:
        assert name in top.output
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "<bool>" not in result.output, (name, result.output)


def test_importing_the_cli_reads_no_contract():
    """Every command paid for reading the contracts while only `check --help` shows them."""
    import subprocess
    import sys

    code = "import sys, ddss.cli; print('ddss.data_contracts' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
