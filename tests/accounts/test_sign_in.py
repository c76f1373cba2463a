from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from app.accounts.models import Role, SignInFailure, User
from app.core.schema import utcnow
from tests.conftest import PASSWORD, CheckedClient, Factory


def test_sign_in_page_is_public(client: CheckedClient) -> None:
    response = client.get("/sign-in")
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-l">Sign in</h1>' in response.text


def test_staff_sign_in_and_out(client: CheckedClient, make: Factory) -> None:
    user = make.user(Role.commissioner)
    response = client.submit("/sign-in", {"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    home = client.get("/")
    assert f"Hello, {user.name}" in home.text

    response = client.submit("/sign-out", {}, token_from="/")
    assert response.status_code == 303
    assert client.get("/areas").headers["location"] == "/sign-in?next=/areas"


def test_sign_in_returns_to_the_page_asked_for(client: CheckedClient, make: Factory) -> None:
    user = make.user(Role.facilitator)
    assert client.get("/areas").headers["location"] == "/sign-in?next=/areas"
    response = client.submit("/sign-in", {"email": user.email, "password": PASSWORD, "next": "/areas"})
    assert response.headers["location"] == "/areas"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_sign_in_never_redirects_off_site(client: CheckedClient, make: Factory, target: str) -> None:
    user = make.user(Role.facilitator)
    response = client.submit("/sign-in", {"email": user.email, "password": PASSWORD, "next": target})
    assert response.headers["location"] == "/"


def test_session_cookie_flags(client: CheckedClient, make: Factory) -> None:
    response = client.sign_in(make.user(Role.admin))
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


def test_sign_in_gets_a_fresh_session(client: CheckedClient, make: Factory) -> None:
    """A CSRF token planted before sign-in is not the one used after it (no session fixation)."""
    before = client.csrf_token()
    client.sign_in(make.user(Role.admin))
    assert client.csrf_token("/account/password") != before


def _failures(db: Session) -> int:
    return db.exec(select(func.count()).select_from(SignInFailure)).one()


@pytest.mark.parametrize(
    ("email", "password"),
    [("known", "wrong password"), ("nobody@example.org", PASSWORD)],
    ids=["wrong-password", "unknown-email"],
)
def test_wrong_details_get_one_message_for_both(
    client: CheckedClient, make: Factory, db: Session, email: str, password: str
) -> None:
    user = make.user(Role.facilitator)
    response = client.submit("/sign-in", {"email": user.email if email == "known" else email, "password": password})
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert "Enter a correct email address and password" in response.text
    assert 'href="#email"' in response.text
    assert "<title>Error: Sign in" in response.text
    assert "set-cookie" not in response.headers or "uid" not in response.headers["set-cookie"]
    # One pseudonymous record for the email and one for the address, never the raw values.
    subjects = list(db.exec(select(SignInFailure.subject)))
    assert len(subjects) == 2
    assert all(len(subject) == 64 and "@" not in subject for subject in subjects)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "", "password": ""}, "Enter your email address"),
        ({"email": "not-an-email", "password": "x"}, "Enter an email address in the correct format"),
        ({"email": "a" * 250 + "@example.org", "password": "x"}, "Email address must be 254 characters or fewer"),
        ({"email": "a@example.org", "password": ""}, "Enter your password"),
        ({"email": "a@example.org", "password": "x" * 300}, "Password must be 256 characters or fewer"),
    ],
)
def test_bad_input_is_explained_and_stores_nothing(
    client: CheckedClient, db: Session, data: dict[str, str], message: str
) -> None:
    response = client.submit("/sign-in", data)
    assert response.status_code == 400
    assert message in response.text
    assert "govuk-error-summary" in response.text
    assert _failures(db) == 0


def test_missing_csrf_token_is_refused(client: CheckedClient, make: Factory, db: Session) -> None:
    user = make.user(Role.admin)
    client.get("/sign-in")
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "This form has expired" in response.text
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 403
    assert client.get("/areas").status_code == 303  # still signed out
    assert db.get(User, user.id).last_sign_in_at is None  # type: ignore[union-attr]


def test_deactivated_account_cannot_sign_in(client: CheckedClient, make: Factory) -> None:
    user = make.user(Role.facilitator, active=False)
    response = client.submit("/sign-in", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Enter a correct email address and password" in response.text


def test_repeated_failures_lock_the_email_for_a_while(client: CheckedClient, make: Factory, db: Session) -> None:
    user = make.user(Role.facilitator)
    for _ in range(4):
        response = client.submit("/sign-in", {"email": user.email, "password": "wrong"})
        assert response.status_code == 400
    response = client.submit("/sign-in", {"email": user.email, "password": "wrong"})
    assert response.status_code == 429
    assert "You cannot sign in for now" in response.text
    assert "Wait 15 minutes" in response.text
    # Even the right password is refused while locked, and the page says the same.
    response = client.submit("/sign-in", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    # Once the failures are older than the lockout, signing in works again.
    for failure in db.exec(select(SignInFailure)):
        failure.failed_at = utcnow() - timedelta(minutes=16)
        db.add(failure)
    db.flush()
    assert client.submit("/sign-in", {"email": user.email, "password": PASSWORD}).status_code == 303


def test_an_unknown_email_locks_exactly_like_a_real_one(client: CheckedClient) -> None:
    ghost = {"email": "ghost@example.org", "password": "x"}
    statuses = [client.submit("/sign-in", ghost).status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 400, 429]


def test_one_address_trying_many_emails_is_locked(client: CheckedClient, make: Factory, settings) -> None:  # type: ignore[no-untyped-def]
    settings.login_max_failures_per_address = 3
    user = make.user(Role.admin)
    for number in range(2):
        client.submit("/sign-in", {"email": f"guess{number}@example.org", "password": "x"})
    response = client.submit("/sign-in", {"email": "guess9@example.org", "password": "x"})
    assert response.status_code == 429
    assert client.submit("/sign-in", {"email": user.email, "password": PASSWORD}).status_code == 429


def test_success_clears_the_email_failures(client: CheckedClient, make: Factory) -> None:
    user = make.user(Role.admin)
    for _ in range(4):
        client.submit("/sign-in", {"email": user.email, "password": "wrong"})
    client.sign_in(user)
    client.submit("/sign-out", {}, token_from="/")
    for _ in range(4):
        assert client.submit("/sign-in", {"email": user.email, "password": "wrong"}).status_code == 400


def test_a_signed_out_cookie_cannot_be_replayed(client: CheckedClient, make: Factory) -> None:
    client.sign_in(make.user(Role.admin))
    stolen = client.cookies.get("coproduce_session")
    assert client.get("/areas").status_code == 200
    client.submit("/sign-out", {}, token_from="/")
    client.cookies.set("coproduce_session", stolen)
    response = client.get("/areas")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/areas"


def test_signing_out_one_device_keeps_the_other(app, make: Factory) -> None:  # type: ignore[no-untyped-def]
    user = make.user(Role.commissioner)
    with CheckedClient(app) as laptop, CheckedClient(app) as phone:
        laptop.sign_in(user)
        phone.sign_in(user)
        phone.submit("/sign-out", {}, token_from="/")
        assert laptop.get("/areas").status_code == 200
        assert phone.get("/areas", follow_redirects=False).status_code == 303
