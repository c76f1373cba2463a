import re
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.core.settings import PROJECT_ROOT, Settings


@pytest.mark.parametrize("weak", ["changeme", "secret", "dev", "short-but-random-Xy7"])
def test_production_refuses_a_known_or_short_secret(tmp_path: Path, weak: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", secret_key=weak, data_dir=tmp_path)


def test_development_accepts_any_secret(tmp_path: Path) -> None:
    assert Settings(environment="development", secret_key="dev", data_dir=tmp_path).resolved_secret_key() == "dev"


def test_a_missing_secret_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).resolved_secret_key()
    second = Settings(data_dir=tmp_path).resolved_secret_key()
    assert first == second
    assert len(first) >= 48
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_secure_cookies_default_on_in_production_only(tmp_path: Path) -> None:
    key = "k" * 40
    assert Settings(environment="production", secret_key=key, data_dir=tmp_path).cookie_secure
    assert not Settings(environment="development", data_dir=tmp_path).cookie_secure
    assert not Settings(environment="production", secret_key=key, session_cookie_secure=False).cookie_secure


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("", "sqlite:///{data}/coproduce.db"),
        ("postgresql://u@db/coproduce", "postgresql+psycopg://u@db/coproduce"),
        ("postgres://u@db/coproduce", "postgresql+psycopg://u@db/coproduce"),
        ("postgresql+psycopg://u@db/x", "postgresql+psycopg://u@db/x"),
    ],
)
def test_database_url(tmp_path: Path, given: str, used: str) -> None:
    assert Settings(database_url=given, data_dir=tmp_path).sqlalchemy_url == used.format(data=tmp_path)


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, flags=re.MULTILINE))
    settings = {name.upper() for name in Settings.model_fields}
    assert settings == documented, f"missing: {settings - documented}, stale: {documented - settings}"
    for name, field in Settings.model_fields.items():
        assert field.description, f"{name} has no description"
