"""The README names every command, option of `search`, setting and import format."""

from __future__ import annotations

import typer.main

from litfeed.cli import app
from litfeed.config import ENV_PREFIX, Settings
from litfeed.ingest import FORMATS
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_and_its_options_are_in_the_readme() -> None:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    assert len(commands) >= 7
    for name, command in commands.items():
        assert f"litfeed {name}" in README, name
        for parameter in command.params:
            for option in parameter.opts:
                if option.startswith("--") and option != "--help":
                    assert option in README, f"litfeed {name} {option}"


def test_every_setting_is_in_the_readme() -> None:
    for name in Settings.model_fields:
        assert f"{ENV_PREFIX}{name.upper()}" in README, name
    assert "LITFEED_CONFIG" in README


def test_every_import_format_is_in_the_readme() -> None:
    for name in FORMATS:
        assert f"`{name}`" in README, name


def test_readme_shows_the_two_commands() -> None:
    assert "make run" in README and "make test" in README
