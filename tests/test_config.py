"""Settings: environment, TOML file, validation that names the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from litfeed.config import Settings, SettingsError, load_settings
from litfeed.hub import Hub
from litfeed.store import StoreError


def test_environment_and_defaults(settings: Settings, tmp_path: Path) -> None:
    assert settings.data_dir == tmp_path / "data"
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'data' / 'litfeed.db'}"
    assert not settings.data_dir.exists()  # reading settings creates nothing


def test_toml_file_below_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "litfeed.toml"
    config.write_text(f'data_dir = "{tmp_path / "from-toml"}"\nport = 9001\n')
    monkeypatch.setenv("LITFEED_CONFIG", str(config))
    monkeypatch.setenv("LITFEED_PORT", "9002")
    monkeypatch.delenv("LITFEED_DATA_DIR", raising=False)
    loaded = load_settings()
    assert (loaded.data_dir, loaded.port) == (tmp_path / "from-toml", 9002)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LITFEED_PORT", "eighty", "LITFEED_PORT:"),
        ("LITFEED_PORT", "70000", "LITFEED_PORT:"),
        ("LITFEED_DATABASE_URL", "oracle://db", "LITFEED_DATABASE_URL: must be"),
        ("LITFEED_PAGE_SIZE", "0", "LITFEED_PAGE_SIZE:"),
        ("LITFEED_SOURCES", "arxiv:cs.LG rss", "LITFEED_SOURCES: 'rss' is not a source"),
        ("LITFEED_SOURCES", "arxiv:", "LITFEED_SOURCES: 'arxiv:' is not a source"),
        ("LITFEED_TIMEZONE", "Mars/Olympus", "LITFEED_TIMEZONE: 'Mars/Olympus' is not a time"),
        ("LITFEED_HF_FETCH_TIME", "25:00", "LITFEED_HF_FETCH_TIME:"),
        ("LITFEED_ARXIV_OAI_URL", "ftp://x.org/oai", "LITFEED_ARXIV_OAI_URL: must be an http"),
        ("LITFEED_CONTACT", "café@example.org", "LITFEED_CONTACT: must be printable ASCII"),
        ("LITFEED_ARXIV_DELAY", "-1", "LITFEED_ARXIV_DELAY:"),
    ],
)
def test_bad_values_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=message):
        load_settings()


def test_bad_toml_and_unknown_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "litfeed.toml"
    monkeypatch.setenv("LITFEED_CONFIG", str(config))
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings()
    config.write_text("port = ")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings()
    config.write_text("colour = 'blue'\n")
    with pytest.raises(SettingsError, match="unknown setting"):
        load_settings()


def test_uncreatable_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("LITFEED_DATA_DIR", str(blocker / "data"))
    with pytest.raises(StoreError, match=f"^cannot create {blocker / 'data'}: Not a directory$"):
        Hub(load_settings())


def test_exported_models_are_one_cache_for_every_data_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("LITFEED_MODELS_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first = load_settings(data_dir=tmp_path / "one")
    second = load_settings(data_dir=tmp_path / "two")
    assert (
        first.resolved_models_dir == second.resolved_models_dir == tmp_path / "cache/litfeed/models"
    )
