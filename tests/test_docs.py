"""The documentation stays true: docs/cli.md names every command and option, docs/settings.md
every setting, docs/api.md lists every endpoint as the app's schema has it, the README stays
short and its links lead somewhere."""

from __future__ import annotations

import re
import sys

import typer.main

from litfeed.cli import app
from litfeed.config import ENV_PREFIX, Settings
from litfeed.ingest import FORMATS
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = ROOT / "docs"
CLI = (DOCS / "cli.md").read_text(encoding="utf-8")
SETTINGS = (DOCS / "settings.md").read_text(encoding="utf-8")


def _commands(group: object, prefix: str) -> list[tuple[str, object]]:
    found = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        found.append((f"{prefix} {name}", command))
        if hasattr(command, "commands"):
            found += _commands(command, f"{prefix} {name}")
    return found


def test_every_command_and_its_options_are_in_the_cli_page() -> None:
    commands = _commands(typer.main.get_command(app), "litfeed")
    assert len(commands) >= 25
    for name, command in commands:
        assert name in CLI, name
        for parameter in command.params:  # type: ignore[attr-defined]
            for option in parameter.opts:
                if option.startswith("--") and option != "--help":
                    assert option in CLI, f"{name} {option}"


def test_every_setting_is_in_the_settings_page_under_its_group() -> None:
    sections = re.split(r"(?m)^## ", SETTINGS)[1:]
    groups = list(Settings.groups().values())
    assert len(sections) == len(groups) + 1  # and the settings file's
    for section, group in zip(sections, groups, strict=False):
        named = re.findall(rf"^\| `{ENV_PREFIX}([A-Z_]+)`", section, re.MULTILINE)
        assert [name.lower() for name in named] == list(group.model_fields), section[:40]
    assert sum(len(group.model_fields) for group in groups) == len(Settings.model_fields)
    assert "LITFEED_CONFIG" in sections[-1]


def test_every_import_format_is_in_the_cli_page() -> None:
    for name in FORMATS:
        assert f"`{name}`" in CLI, name


def test_the_api_page_lists_the_apps_endpoints() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import api_docs
    finally:
        sys.path.pop(0)
    page = (DOCS / "api.md").read_text(encoding="utf-8")
    assert api_docs.written(page) == page, "docs/api.md is stale: run scripts/api_docs.py"
    assert page.count("| GET |") >= 20


def test_the_readme_is_short_shows_the_two_commands_and_links_to_every_page() -> None:
    assert len(README.splitlines()) < 150
    assert "make run" in README and "make test" in README
    linked = set(re.findall(r"\]\((docs/[^)#]+\.md)", README))
    assert linked == {f"docs/{page.name}" for page in DOCS.glob("*.md")}
    for page in linked | {"docs/daily.png"}:
        assert (ROOT / page).exists(), page


def test_every_page_says_first_what_it_is_for() -> None:
    for page in DOCS.glob("*.md"):
        title, blank, purpose, *_ = page.read_text(encoding="utf-8").splitlines()
        assert title.startswith("# ") and blank == "" and len(purpose) > 40, page.name
        for target in re.findall(r"\]\(([a-z]+\.md)", page.read_text(encoding="utf-8")):
            assert (DOCS / target).exists(), f"{page.name} links to {target}"
