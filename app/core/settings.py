"""Settings: one object, read from the environment (and an optional `.env` file).

Every field is documented in the README; a test keeps the two in step.
"""

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Keys copied from examples and tutorials; refused outside development.
KNOWN_DEFAULT_SECRETS = frozenset(
    {
        "",
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "secret-key",
        "secret_key",
        "dev",
        "development",
        "test",
        "password",
        "coproduce",
        "insecure",
        "your-secret-key",
        "supersecret",
    }
)
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "production", "test"] = Field(
        "development", description="development, production or test. Production refuses weak secrets."
    )
    data_dir: Path = Field(PROJECT_ROOT / "data", description="Folder for the SQLite database and the generated key.")
    database_url: str = Field("", description="SQLAlchemy URL. Empty means SQLite at DATA_DIR/coproduce.db.")
    secret_key: str = Field("", description="Signs session cookies. Empty means generate one into DATA_DIR/secret_key.")
    service_name: str = Field("Coproduce", description="The name shown in the header and page titles.")
    organisation_name: str = Field("", description="Who runs this instance, shown in the footer.")
    host: str = Field("127.0.0.1", description="Address `coproduce serve` listens on.")
    port: int = Field(8000, description="Port `coproduce serve` listens on.")
    workers: int = Field(1, ge=1, description="Worker processes for `coproduce serve` (PostgreSQL only above 1).")
    forwarded_allow_ips: str = Field(
        "127.0.0.1", description="Proxies trusted to set X-Forwarded-For/Proto (comma-separated, or *)."
    )
    session_cookie_secure: bool | None = Field(
        None, description="Send the session cookie over HTTPS only. Empty means on in production, off otherwise."
    )
    session_max_age_hours: int = Field(12, ge=1, description="How long a staff sign-in lasts.")
    login_max_failures: int = Field(5, ge=1, description="Failed sign-ins for one email before it is locked.")
    login_max_failures_per_address: int = Field(
        20, ge=1, description="Failed sign-ins from one network address before it is locked."
    )
    login_lockout_minutes: int = Field(15, ge=1, description="How long a lock lasts, and the window failures count in.")
    access_log: bool = Field(
        False, description="Log each request with the client's address. Off: it would tie respondents to answers."
    )
    public_base_url: str = Field(
        "", description="The address written on posters and in QR codes. Empty means the address asked for."
    )
    public_rate_limit: int = Field(
        600, ge=1, description="Requests a minute one network address may make to the public survey pages."
    )

    @model_validator(mode="after")
    def _production_rules(self) -> "Settings":
        if self.environment == "production":
            if self.session_cookie_secure is None:
                self.session_cookie_secure = True
            if self.secret_key and (
                self.secret_key.lower() in KNOWN_DEFAULT_SECRETS or len(self.secret_key) < MIN_SECRET_LENGTH
            ):
                raise ValueError(
                    f"SECRET_KEY is a known default or shorter than {MIN_SECRET_LENGTH} characters: "
                    "set a long random value, for example the output of "
                    "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
                )
        return self

    @property
    def cookie_secure(self) -> bool:
        return bool(self.session_cookie_secure)

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Plain postgres URLs get the psycopg 3 driver we install.
            for prefix in ("postgres://", "postgresql://"):
                if url.startswith(prefix):
                    return "postgresql+psycopg://" + url[len(prefix) :]
            return url
        return f"sqlite:///{self.data_dir / 'coproduce.db'}"

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once into DATA_DIR and reused after."""
        if self.secret_key:
            return self.secret_key
        key_file = self.data_dir / "secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        try:
            # O_EXCL: if two processes start at once, one key wins and both use it.
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return key_file.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
