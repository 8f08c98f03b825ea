"""Typed settings, read once from ``LITFEED_*`` environment variables or a TOML file.

Every setting is validated at start-up; a bad value raises :class:`SettingsError` whose message
names the environment variable, so the CLI and the server can print one line and stop.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from litfeed.errors import LitfeedError

ENV_PREFIX = "LITFEED_"
CONFIG_FILE_VARIABLE = "LITFEED_CONFIG"
SUPPORTED_DATABASE_SCHEMES = ("sqlite", "postgresql")
# A source in LITFEED_SOURCES: hf-daily, or arxiv: and arXiv categories or OAI-PMH set specs.
_ARXIV_SET = r"[a-z]+(?:-[a-z]+)?(?:[.:][A-Za-z-]+)*"
_SOURCE = re.compile(rf"hf-daily|arxiv:{_ARXIV_SET}(?:,{_ARXIV_SET})*")


class SettingsError(LitfeedError, ValueError):
    """A setting is missing or invalid; the message names it."""


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "litfeed"


def default_models_dir() -> Path:
    """Exported models are the same for every data directory: one cache for all of them."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "litfeed" / "models"


class StoreSettings(BaseModel):
    """Where litfeed keeps its data: the data directory and the database."""

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Directory for the SQLite database and the derived search indexes.",
    )

    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means the SQLite file litfeed.db in the data directory.",
    )

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value:
            return value
        scheme = value.split(":", 1)[0].split("+", 1)[0]
        if scheme not in SUPPORTED_DATABASE_SCHEMES or "://" not in value:
            raise ValueError(
                "must be a sqlite:/// or postgresql:// URL, e.g. sqlite:////var/lib/litfeed/litfeed.db"
            )
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'litfeed.db'}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"


class WebSettings(BaseModel):
    """The web server: where it listens, whom it answers, its limits, its public address."""

    host: str = Field(default="127.0.0.1", description="Address `litfeed serve` listens on.")

    port: int = Field(default=8000, ge=1, le=65535, description="Port `litfeed serve` listens on.")

    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host names the web server answers for, separated by commas (* for any); "
        "empty: localhost names and the address it listens on.",
    )

    workers: int = Field(
        default_factory=lambda: max(1, os.cpu_count() or 1),
        ge=1,
        le=64,
        description="Web server processes `litfeed serve` starts (default: one per core).",
    )

    request_timeout: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description="Seconds a connection may take to send a request's headers.",
    )

    keep_alive_timeout: float = Field(
        default=5.0, gt=0, le=600, description="Seconds an idle connection is kept open."
    )

    max_connections: int = Field(
        default=1000,
        ge=1,
        le=100_000,
        description="Connections and requests each web process serves at once; past it: 503.",
    )

    forwarded_allow_ips: str = Field(
        default="",
        max_length=1000,
        description="Addresses of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto "
        "are believed (comma-separated addresses or networks; * for any); empty: none (the "
        "default, until a proxy is configured).",
    )

    page_size: int = Field(default=25, ge=1, le=200, description="Papers per page in lists.")

    base_url: str = Field(
        default="",
        description="The address readers reach litfeed at, for links in mail "
        "(https://papers.example.org); empty: http://HOST:PORT.",
    )

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [host for host in value.replace(",", " ").split() if host]
        return value

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// address")
        return value.rstrip("/")

    @property
    def public_url(self) -> str:
        """Where readers reach this instance, for links in mail."""
        return self.base_url or f"http://{self.host}:{self.port}"


class SearchSettings(BaseModel):
    """Search by meaning: the embedding model, how it reads a paper, where exported models
    are kept."""

    embedding_model: str = Field(
        min_length=1,
        default="sentence-transformers/all-MiniLM-L6-v2",
        description="sentence-transformers model name or local path used to embed papers.",
    )

    embedding_backend: Literal["onnx", "torch"] = Field(
        default="onnx", description="onnx (exported once, then ONNX Runtime) or torch."
    )

    embedding_precision: Literal["int8", "fp32"] = Field(
        default="int8", description="int8 (per-channel quantised) or fp32; onnx only."
    )

    embedding_device: str = Field(
        default="cpu",
        pattern=r"^(cpu|cuda(:[0-9]{1,2})?|mps)$",
        description="Where the torch backend runs the model: cpu, cuda (cuda:N) or mps; the "
        "onnx backend runs on cpu. Vectors made on any device are comparable.",
    )

    embedding_max_tokens: int | None = Field(
        default=None,
        ge=16,
        le=8192,
        description="Tokens the model reads at once; empty: the model's own window (256 for "
        "the default model).",
    )

    embedding_long_text: Literal["truncate", "windows"] = Field(
        default="truncate",
        description="A title and abstract longer than the window: truncate (the first window "
        "only) or windows (all of it, window after window, pooled over every token).",
    )

    models_dir: Path | None = Field(
        default=None,
        description="Where exported and quantised models are kept, for every data directory; "
        "empty: $XDG_CACHE_HOME/litfeed/models.",
    )

    embed_on_import: bool = Field(
        default=True, description="Embed new papers right after an import (else: litfeed index)."
    )

    topics_first_map: bool = Field(
        default=True,
        description="The background worker draws the topic map once every paper is embedded, "
        "when there is none yet (later maps: litfeed topics build).",
    )

    @property
    def resolved_models_dir(self) -> Path:
        return self.models_dir or default_models_dir()


class SourcesSettings(BaseModel):
    """Fetching: the sources, arXiv's and Hugging Face's addresses, politeness, retries, the
    schedule's time zone."""

    sources: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="What `litfeed fetch --all` and the background worker fetch, separated by "
        "spaces: arxiv:CATEGORY,… (arXiv categories or OAI-PMH sets, e.g. arxiv:cs.LG,cs.CL or "
        "arxiv:cs) and hf-daily; empty: nothing.",
    )

    contact: str = Field(
        default="",
        max_length=200,
        description="An e-mail address or URL sent in the User-Agent of every request to arXiv "
        "and Hugging Face, so that they can reach whoever runs this instance.",
    )

    arxiv_delay: float = Field(
        default=3.0,
        ge=0,
        le=3600,
        description="Seconds between two requests to arXiv (its terms: at most one every 3 s).",
    )

    arxiv_oai_url: str = Field(
        default="https://oaipmh.arxiv.org/oai", description="arXiv's OAI-PMH address."
    )

    arxiv_api_url: str = Field(
        default="https://export.arxiv.org/api/query", description="arXiv's Atom API address."
    )

    hf_url: str = Field(
        default="https://huggingface.co",
        description="Hugging Face's address; daily papers come from {hf_url}/api/daily_papers.",
    )

    fetch_tries: int = Field(
        default=6, ge=1, le=50, description="Tries of one request before a fetch gives up."
    )

    fetch_backoff: float = Field(
        default=5.0,
        ge=0,
        le=600,
        description="Seconds of the first wait after a failed request (server error, network "
        "error, bad body); doubled after each further failure, with jitter, up to 300.",
    )

    fetch_timeout: float = Field(
        default=60.0, gt=0, le=3600, description="Seconds a fetch request may take to answer."
    )

    timezone: str = Field(
        default="",
        description="Time zone of the times litfeed shows and of hf_fetch_time (e.g. "
        "Europe/Berlin); empty: the machine's.",
    )

    hf_fetch_time: str = Field(
        default="06:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="When the background worker fetches Hugging Face daily papers, HH:MM in "
        "the time zone of the timezone setting.",
    )

    @field_validator("sources", mode="before")
    @classmethod
    def _split_sources(cls, value: object) -> object:
        if isinstance(value, str):
            return value.split()
        return value

    @field_validator("sources")
    @classmethod
    def _check_sources(cls, value: list[str]) -> list[str]:
        for source in value:
            if not _SOURCE.fullmatch(source):
                raise ValueError(
                    f"{source!r} is not a source: write hf-daily or arxiv:CATEGORY,… "
                    "(e.g. arxiv:cs.LG,stat.ML or arxiv:cs)"
                )
        return value

    @field_validator("contact")
    @classmethod
    def _check_contact(cls, value: str) -> str:
        if not value.isascii() or not value.isprintable():
            raise ValueError("must be printable ASCII (it is sent in an HTTP header)")
        return value.strip()

    @field_validator("arxiv_oai_url", "arxiv_api_url", "hf_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")) or len(value) < 10:
            raise ValueError("must be an http:// or https:// address")
        return value.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"{value!r} is not a time zone (e.g. Europe/Berlin)") from None
        return value

    @property
    def zone(self) -> tzinfo:
        """The time zone of the times litfeed shows and schedules."""
        if self.timezone:
            return ZoneInfo(self.timezone)
        return datetime.now().astimezone().tzinfo or UTC


class MailSettings(BaseModel):
    """Mail: the server messages are handed to, and their sender."""

    smtp_url: str = Field(
        default="",
        description="Mail server: smtp://host:25, smtps://user:password@host:465 or "
        "smtp+starttls://user:password@host:587; empty: messages are written as .eml files "
        "in DATA_DIR/outbox/.",
    )

    mail_from: str = Field(
        default="litfeed <litfeed@localhost>", description="The From of litfeed's mail."
    )

    @field_validator("smtp_url")
    @classmethod
    def _check_smtp_url(cls, value: str) -> str:
        if value and not value.startswith(("smtp://", "smtps://", "smtp+starttls://")):
            raise ValueError("must be smtp://, smtps:// or smtp+starttls:// (or empty: outbox)")
        return value


class CommunitySettings(BaseModel):
    """Accounts and trending: how long a log-in lasts, the trending formula."""

    session_days: int = Field(default=30, ge=1, le=400, description="Days a login lasts.")

    trending_hours: int = Field(
        default=48,
        ge=1,
        le=24 * 365,
        description="Trending counts the votes cast here in the last this many hours.",
    )

    trending_days: int = Field(
        default=7, ge=1, le=366, description="Trending ranks the papers of the last N days."
    )

    trending_gravity: float = Field(
        default=1.8,
        ge=0,
        le=10,
        description="How fast a paper falls from trending as it ages: points / (hours + 2) ** "
        "gravity.",
    )


class Settings(  # fields are gathered from the last base to the first: store first
    BaseSettings,
    CommunitySettings,
    MailSettings,
    SourcesSettings,
    SearchSettings,
    WebSettings,
    StoreSettings,
):
    """litfeed's settings, grouped by area (each area's code reads its own group). Each field is
    read from ``LITFEED_<FIELD NAME>``, whatever its group."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid")

    @classmethod
    def groups(cls) -> dict[str, type[BaseModel]]:
        """The areas' groups of settings, in the order docs/settings.md lists them."""
        return {
            "store": StoreSettings,
            "web": WebSettings,
            "search": SearchSettings,
            "sources": SourcesSettings,
            "mail": MailSettings,
            "community": CommunitySettings,
        }


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment (and ``$LITFEED_CONFIG``, a TOML file); validate them.

    Environment variables win over the TOML file; explicit ``overrides`` win over both.
    """
    values: dict[str, Any] = {
        name: value
        for name, value in _read_config_file().items()
        if f"{ENV_PREFIX}{name.upper()}" not in os.environ
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        settings = Settings(**values)
    except ValidationError as error:
        raise SettingsError(_describe_validation_error(error)) from None
    return settings


def _read_config_file() -> dict[str, Any]:
    path_text = os.environ.get(CONFIG_FILE_VARIABLE)
    if not path_text:
        return {}
    path = Path(path_text)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise SettingsError(
            f"{CONFIG_FILE_VARIABLE}: cannot read {path}: {error.strerror}"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{CONFIG_FILE_VARIABLE}: {path} is not valid TOML: {error}") from None
    unknown = sorted(set(data) - set(Settings.model_fields))
    if unknown:
        raise SettingsError(f"{path}: unknown setting(s) {', '.join(unknown)}")
    return data


def _describe_validation_error(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "?"
        problems.append(f"{ENV_PREFIX}{field.upper()}: {item['msg'].removeprefix('Value error, ')}")
    return "; ".join(problems)
