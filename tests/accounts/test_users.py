from sqlmodel import Session, select

from app.accounts.models import Role, User
from app.core.security import verify_password
from tests.conftest import PASSWORD, CheckedClient, Factory

NEW_PASSWORD = "a much longer passphrase"


def test_admin_creates_a_facilitator_who_can_sign_in(client: CheckedClient, make: Factory, db: Session) -> None:
    area = make.area("Northfield")
    client.sign_in(make.user(Role.admin))
    response = client.submit(
        "/users/new",
        {
            "name": "Sam Forum",
            "email": "Sam@Forum.example.org",
            "role": "facilitator",
            "area_id": str(area.id),
            "password": NEW_PASSWORD,
        },
    )
    assert response.headers["location"] == "/users"
    listing = client.get("/users").text
    assert "Account created for Sam Forum" in listing
    assert "sam@forum.example.org" in listing
    user = db.exec(select(User).where(User.email == "sam@forum.example.org")).one()
    assert (user.role, user.area_id) == (Role.facilitator, area.id)
    assert user.password_hash != NEW_PASSWORD and verify_password(user.password_hash, NEW_PASSWORD)

    client.submit("/sign-out", {}, token_from="/")
    client.sign_in(user, NEW_PASSWORD)
    assert client.get("/").headers["location"] == "/account/password"  # an admin chose it: choose your own


def test_new_account_form_errors_store_nothing(client: CheckedClient, make: Factory, db: Session) -> None:
    area = make.area()
    admin = make.user(Role.admin)
    client.sign_in(admin)
    valid = {"name": "A Person", "email": "a@example.org", "role": "commissioner", "area_id": str(area.id)}
    cases = [
        ({**valid, "name": ""}, "Enter their full name"),
        ({**valid, "name": "n" * 121}, "Their full name must be 120 characters or fewer"),
        ({**valid, "email": "not an email"}, "Enter an email address in the correct format"),
        ({**valid, "email": admin.email.upper()}, "There is already an account with this email address"),
        ({**valid, "role": "owner"}, "Select a role"),
        ({**valid, "area_id": ""}, "Select the area this person works in"),
        ({**valid, "area_id": "999999"}, "Select an area from the list"),
        ({**valid, "password": "short"}, "Password must be 12 characters or more"),
        ({**valid, "password": "p" * 300}, "Password must be 256 characters or fewer"),
    ]
    for data, message in cases:
        data = {"password": NEW_PASSWORD, **data}
        response = client.submit("/users/new", data)
        assert response.status_code == 400, data
        assert message in response.text.replace("&#39;", "'"), data
    assert db.exec(select(User).where(User.email == "a@example.org")).first() is None


def test_admins_belong_to_no_area(client: CheckedClient, make: Factory, db: Session) -> None:
    area = make.area()
    client.sign_in(make.user(Role.admin))
    data = {"name": "Second Admin", "email": "two@example.org", "role": "admin", "area_id": str(area.id)}
    client.submit("/users/new", {**data, "password": NEW_PASSWORD})
    assert db.exec(select(User).where(User.email == "two@example.org")).one().area_id is None


def test_admin_changes_and_deactivates_an_account(client: CheckedClient, make: Factory, db: Session) -> None:
    first, second = make.area(), make.area()
    person = make.user(Role.facilitator, first)
    client.sign_in(make.user(Role.admin))
    form = client.get(f"/users/{person.id}/edit").text
    assert person.email in form
    response = client.submit(
        f"/users/{person.id}/edit",
        {"name": "Renamed", "role": "commissioner", "area_id": str(second.id), "is_active": "no", "password": ""},
    )
    assert response.status_code == 303
    db.refresh(person)
    assert (person.name, person.role, person.area_id, person.is_active) == (
        "Renamed",
        Role.commissioner,
        second.id,
        False,
    )


def test_deactivating_signs_the_person_out(app, make: Factory, db: Session) -> None:  # type: ignore[no-untyped-def]
    person = make.user(Role.facilitator)
    with CheckedClient(app) as theirs, CheckedClient(app) as admins:
        theirs.sign_in(person)
        assert theirs.get("/areas").status_code == 200
        admins.sign_in(make.user(Role.admin))
        data = {"name": person.name, "role": "facilitator", "area_id": str(person.area_id), "is_active": "no"}
        assert admins.submit(f"/users/{person.id}/edit", data).status_code == 303
        assert theirs.get("/areas", follow_redirects=False).status_code == 303


def test_admin_sets_a_new_password_for_someone(client: CheckedClient, make: Factory, db: Session) -> None:
    person = make.user(Role.facilitator)
    client.sign_in(make.user(Role.admin))
    data = {"name": person.name, "role": "facilitator", "area_id": str(person.area_id), "is_active": "yes"}
    assert client.submit(f"/users/{person.id}/edit", {**data, "password": "tiny"}).status_code == 400
    assert client.submit(f"/users/{person.id}/edit", {**data, "password": NEW_PASSWORD}).status_code == 303
    db.refresh(person)
    assert verify_password(person.password_hash, NEW_PASSWORD)


def test_the_last_admin_cannot_be_removed(client: CheckedClient, make: Factory, db: Session) -> None:
    admin = make.user(Role.admin)
    client.sign_in(admin)
    area = make.area()
    for change in [
        {"role": "facilitator", "area_id": str(area.id), "is_active": "yes"},
        {"role": "admin", "is_active": "no"},
    ]:
        response = client.submit(f"/users/{admin.id}/edit", {"name": admin.name, **change})
        assert response.status_code == 400
        assert "There must be at least one active admin" in response.text
    db.refresh(admin)
    assert admin.role == Role.admin and admin.is_active


def test_an_unknown_account_is_not_found(client: CheckedClient, make: Factory) -> None:
    client.sign_in(make.user(Role.admin))
    assert client.get("/users/999999/edit").status_code == 404


def test_staff_change_their_own_password(app, make: Factory, db: Session) -> None:  # type: ignore[no-untyped-def]
    user = make.user(Role.commissioner)
    with CheckedClient(app) as client, CheckedClient(app) as other_device:
        client.sign_in(user)
        other_device.sign_in(user)
        bad = [
            (
                {"current_password": "", "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
                "Enter your current password",
            ),
            (
                {"current_password": "wrong", "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
                "Your current password is wrong",
            ),
            (
                {"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"},
                "12 characters or more",
            ),
            (
                {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": "different"},
                "The passwords do not match",
            ),
        ]
        for data, message in bad:
            response = client.submit("/account/password", data)
            assert response.status_code == 400
            assert message in response.text
        db.refresh(user)
        assert verify_password(user.password_hash, PASSWORD)

        good = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
        assert client.submit("/account/password", good).status_code == 303
        assert "Your password has been changed" in client.get("/").text
        assert client.get("/areas").status_code == 200  # this device stays signed in
        assert other_device.get("/areas", follow_redirects=False).status_code == 303  # others are signed out
    db.refresh(user)
    assert verify_password(user.password_hash, NEW_PASSWORD)


def test_a_password_an_admin_chose_must_be_replaced_first(app, make: Factory, db: Session) -> None:  # type: ignore[no-untyped-def]
    area = make.area()
    with CheckedClient(app) as admin, CheckedClient(app) as newcomer:
        admin.sign_in(make.user(Role.admin))
        data = {"name": "New Person", "email": "new@example.org", "role": "facilitator", "area_id": str(area.id)}
        assert admin.submit("/users/new", {**data, "password": NEW_PASSWORD}).status_code == 303
        person = db.exec(select(User).where(User.email == "new@example.org")).one()
        assert person.must_change_password

        response = newcomer.submit("/sign-in", {"email": person.email, "password": NEW_PASSWORD, "next": "/areas"})
        assert response.headers["location"] == "/account/password"
        for url in ["/", "/areas", f"/areas/{area.id}"]:
            response = newcomer.get(url)
            assert response.headers.get("location") == "/account/password", (url, response.status_code)
        assert "someone else chose for you" in newcomer.get("/account/password").text

        own = "my very own passphrase"
        change = {"current_password": NEW_PASSWORD, "new_password": own, "confirm_password": own}
        assert newcomer.submit("/account/password", change).status_code == 303
        assert newcomer.get("/areas").status_code == 200
        db.refresh(person)
        assert not person.must_change_password

        # A reset by an admin makes it temporary again.
        edit = {"name": person.name, "role": "facilitator", "area_id": str(area.id), "is_active": "yes"}
        admin.submit(f"/users/{person.id}/edit", {**edit, "password": "another temporary one"})
        db.refresh(person)
        assert person.must_change_password
