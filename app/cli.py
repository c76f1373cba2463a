"""The `coproduce` command: serve, migrate, demo, users."""

import json
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import click
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.accounts import service as accounts
from app.accounts.models import Role
from app.areas import service as areas
from app.areas.models import Area, Region
from app.core.db import make_engine, session_scope
from app.core.forms import Form
from app.core.migrations import DatabaseNotMigrated, check_migrated, upgrade
from app.core.rules import RuleError
from app.core.security import MIN_PASSWORD_LENGTH
from app.core.settings import PROJECT_ROOT, get_settings
from app.events.demo import add_demo_events
from app.events.service import format_join_code, purge_ended
from app.insights import synthetic
from app.instruments import service as instruments
from app.instruments.models import BANK_SCOPE, Instrument
from app.instruments.schema import InstrumentFile
from app.surveys import journey
from app.surveys import service as surveys
from app.surveys.models import AboutYou, CycleStage, Layout
from app.surveys.responses import purge_expired

STATEMENTS_DIR = PROJECT_ROOT / "statements"
DEMO_REGION = "Demo region"
# Northfield has the demo surveys; Eastbrook and Westmere answered the same questionnaire, so the
# regional comparison has others to compare with; Southdale is left empty (the browser tests use it).
DEMO_AREAS = ("Northfield (demo)", "Eastbrook (demo)", "Westmere (demo)", "Southdale (demo)")
DEMO_EMAIL_DOMAIN = "demo.coproduce.example"


@contextmanager
def database() -> Iterator[Engine]:
    """The configured database, refused if it is not migrated, and closed afterwards."""
    engine = make_engine(get_settings())
    try:
        check_migrated(engine)
        yield engine
    except DatabaseNotMigrated as error:
        raise click.ClickException(str(error)) from error
    finally:
        engine.dispose()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Coproduce: co-production evidence for SEND local areas."""


@main.command()
def migrate() -> None:
    """Create or update the database schema (alembic upgrade head)."""
    engine = make_engine(get_settings())
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    click.echo(f"Database is up to date: {engine.url.render_as_string(hide_password=True)}")


@main.command()
@click.option("--host", default=None, help="Address to listen on (default: HOST setting).")
@click.option("--port", default=None, type=int, help="Port to listen on (default: PORT setting).")
@click.option("--workers", default=None, type=int, help="Worker processes (default: WORKERS setting).")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the app with uvicorn."""
    import uvicorn

    settings = get_settings()
    with database() as engine:
        dialect = engine.dialect.name
    workers = workers or settings.workers
    if workers > 1 and dialect == "sqlite":
        raise click.ClickException("SQLite serves one process: set WORKERS=1, or use PostgreSQL for more.")
    settings.resolved_secret_key()  # made once here, before any worker starts
    host, port = host or settings.host, port or settings.port
    click.echo(f"{settings.service_name} is running at http://{host}:{port} (press Ctrl+C to stop)")
    uvicorn.run(
        "app.asgi:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
        log_level="info",
        access_log=settings.access_log,
    )


@main.command()
def demo() -> None:
    """Load a demo region, two areas and demo staff accounts (once; later runs change nothing)."""
    settings = get_settings()
    admin_email = f"admin@{DEMO_EMAIL_DOMAIN}"
    with database() as engine, session_scope(engine) as session:
        if accounts.get_user_by_email(session, admin_email) is not None:
            click.echo(f"Demo data is already loaded. Demo admin: {admin_email}")
            click.echo("Forgotten the password? Run: .venv/bin/coproduce users set-password " + admin_email)
            return
        region = session.exec(select(Region).where(Region.name == DEMO_REGION)).first()
        region = region or areas.create_region(session, name=DEMO_REGION)
        demo_areas: list[Area] = []
        for name in DEMO_AREAS:
            existing = session.exec(select(Area).where(Area.name == name)).first()
            demo_areas.append(existing or areas.create_area(session, areas.AreaDetails(name, None, region.id, 10)))
        people = [
            (admin_email, "Demo Admin", Role.admin, None),
            (f"commissioner@{DEMO_EMAIL_DOMAIN}", "Demo Commissioner", Role.commissioner, demo_areas[0].id),
            (f"facilitator@{DEMO_EMAIL_DOMAIN}", "Demo Facilitator", Role.facilitator, demo_areas[0].id),
        ]
        credentials = []
        for email, name, role, area_id in people:
            password = secrets.token_urlsafe(12)
            if accounts.get_user_by_email(session, email) is None:
                accounts.create_user(session, email=email, name=name, password=password, role=role, area_id=area_id)
                credentials.append((role.label, email, password))
        survey_code = _demo_survey(session, demo_areas)
        join_code = add_demo_events(session, demo_areas[0])
    banner = "=" * 72
    click.echo(banner)
    click.echo("DEMO ACCOUNTS: for trying Coproduce out only. Shown this once.")
    for label, email, password in credentials:
        click.echo(f"  {label:<13} {email:<40} {password}")
    click.echo(f"Do not use demo accounts for real work. Sign in at http://{settings.host}:{settings.port}/sign-in")
    if survey_code:
        click.echo(
            f"Answer the demo survey as a parent carer would: http://{settings.host}:{settings.port}/s/{survey_code}"
        )
    if join_code:
        click.echo(
            f"Join the demo event on a phone: http://{settings.host}:{settings.port}/e/{join_code} "
            f"(or /join with the code {format_join_code(join_code)}); run it from Events as the facilitator"
        )
    click.echo(banner)


def _demo_survey(session: Session, demo_areas: list[Area]) -> str | None:
    """When the statement bank is loaded: Northfield's baseline wave of the parent carers' questionnaire
    (closed, with made-up answers), its open follow-up (made-up answers too, and anyone may add theirs)
    and the same questionnaire in two neighbouring areas, so every results page has something to show."""
    instrument = session.exec(
        select(Instrument).where(Instrument.scope == BANK_SCOPE, Instrument.key == "parent-carers")
    ).first()
    if instrument is None or instrument.id is None:
        return None
    today = date.today()

    def details(title: str, opens_on: date, closes_on: date | None) -> surveys.SurveyDetails:
        assert instrument is not None and instrument.id is not None
        return surveys.SurveyDetails(
            title=title,
            instrument_id=instrument.id,
            audiences=["parent_carers"],
            opens_on=opens_on,
            closes_on=closes_on,
            cycle_stage=CycleStage.understand,
            layout=Layout.statement,
            about_you=[AboutYou.group, AboutYou.age_band, AboutYou.support_type],
            localities=[],
            access_code=None,
            privacy_note=None,
            retention_days=365,
        )

    home, *neighbours = demo_areas
    assert home.id is not None
    spring = details(
        "How are things for your family? Spring (demo)", today - timedelta(days=200), today - timedelta(days=150)
    )
    baseline = surveys.create_survey(session, area_id=home.id, details=spring, secret="", user_id=None)
    synthetic.add_responses(session, baseline, 240, seed=1, comments=0.15)
    now = details("How are things for your family? (demo)", today, None)
    survey = surveys.create_survey(session, area_id=home.id, details=now, secret="", user_id=None, previous=baseline)
    synthetic.add_responses(session, survey, 180, seed=2, comments=0.15, skew=0.5)
    for number, area in enumerate(neighbours[:2], start=3):
        assert area.id is not None
        theirs = surveys.create_survey(session, area_id=area.id, details=spring, secret="", user_id=None)
        synthetic.add_responses(session, theirs, 120 + 40 * number, seed=number, comments=0.1)
    return survey.public_code


@main.group()
def users() -> None:
    """Staff accounts."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--area", "area_name", default=None, help="The area's name (needed for commissioners and facilitators).")
@click.password_option(help="Prompted for when not given.")
def create_user(email: str, name: str, role: str, area_name: str | None, password: str) -> None:
    """Create a staff account."""
    form = Form({"email": email, "name": name, "password": password})
    email = form.email("email")
    form.text("name", label="a name", max_length=120)
    if len(password) < MIN_PASSWORD_LENGTH:
        form.error("password", f"The password must be {MIN_PASSWORD_LENGTH} characters or more")
    if not form.ok:
        raise click.ClickException("; ".join(form.errors.values()))
    with database() as engine, session_scope(engine) as session:
        area_id = None
        if area_name:
            area = session.exec(select(Area).where(Area.name == area_name)).first()
            if area is None:
                known = ", ".join(a.name for a in areas.list_all_areas(session)) or "none yet"
                raise click.ClickException(f"No area called {area_name!r}. Areas: {known}")
            area_id = area.id
        try:
            user = accounts.create_user(
                session, email=email, name=name, password=password, role=Role(role), area_id=area_id
            )
        except RuleError as error:
            raise click.ClickException(error.message) from error
        click.echo(f"Created {user.role.label.lower()} {user.email}")


@users.command("set-password")
@click.argument("email")
@click.password_option(help="Prompted for when not given.")
def set_password(email: str, password: str) -> None:
    """Set a new password for a staff account (and sign out its sessions)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"The password must be {MIN_PASSWORD_LENGTH} characters or more.")
    with database() as engine, session_scope(engine) as session:
        user = accounts.get_user_by_email(session, email)
        if user is None:
            raise click.ClickException(f"No account with the email {email}")
        accounts.set_password(session, user, password)
    click.echo(f"Password changed for {email}")


@main.command()
def purge() -> None:
    """Delete responses and event answers past their retention period, and unsent drafts no longer needed (daily)."""
    with database() as engine, session_scope(engine) as session:
        deleted = purge_expired(session)
        drafts = journey.purge_drafts(session, today=date.today())
        people = purge_ended(session)
    total = sum(deleted.values())
    click.echo(f"Deleted {total} response{'s' if total != 1 else ''} past their survey's retention period.")
    click.echo(f"Deleted {drafts} unsent draft{'s' if drafts != 1 else ''} of closed surveys or left too long.")
    click.echo(
        f"Deleted the answers of {people} {'people' if people != 1 else 'person'} from events past their retention."
    )
    for survey_id, count in sorted(deleted.items()):
        click.echo(f"  survey {survey_id}: {count}")


@main.group()
def statements() -> None:
    """The statement bank: instrument files in statements/."""


def _statement_paths(paths: tuple[Path, ...]) -> list[Path]:
    chosen = list(paths) or [STATEMENTS_DIR]
    files: list[Path] = []
    for path in chosen:
        files.extend(instruments.statement_files(path) if path.is_dir() else [path])
    if not files:
        raise click.ClickException(f"No .yaml files in {', '.join(str(path) for path in chosen)}")
    return files


@statements.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def statements_check(paths: tuple[Path, ...]) -> None:
    """Check instrument files (default: every file in statements/) without touching the database."""
    results = instruments.check_files(_statement_paths(paths))
    for path, problems in results.items():
        if problems:
            click.echo(f"{path}: {len(problems)} problem{'s' if len(problems) != 1 else ''}")
            for problem in problems:
                click.echo(f"  {problem}")
        else:
            click.echo(f"{path}: ok")
    bad = sum(1 for problems in results.values() if problems)
    if bad:
        raise click.ClickException(f"{bad} of {len(results)} files have problems; nothing was loaded.")


@statements.command("schema")
def statements_schema() -> None:
    """Print the JSON Schema of the instrument file format (published as docs/instrument.schema.json)."""
    click.echo(json.dumps(InstrumentFile.model_json_schema(), indent=2))


@statements.command("load")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def statements_load(paths: tuple[Path, ...]) -> None:
    """Load instrument files into the shared bank. Loading the same content again changes nothing."""
    files = _statement_paths(paths)
    results = instruments.check_files(files)
    if any(results.values()):
        raise click.ClickException("Some files have problems: run `coproduce statements check` to see them.")
    with database() as engine:
        try:
            with session_scope(engine) as session:
                loaded = instruments.load_files(session, files)
                for path, stored in loaded:
                    item_count = instruments.item_count(session, stored.instrument)
                    state = "loaded" if stored.created else "unchanged"
                    click.echo(
                        f"{path.name}: {stored.instrument.key} version {stored.instrument.version}, "
                        f"{item_count} items, {state}"
                    )
        except RuleError as error:
            raise click.ClickException(f"{error.message} Nothing was loaded.") from error


if __name__ == "__main__":
    sys.exit(main())
