from sqlmodel import Session, select

from app.accounts.models import Role
from app.areas.models import Area, Region
from tests.conftest import CheckedClient, Factory


def test_admin_adds_a_region_and_an_area_in_it(client: CheckedClient, make: Factory, db: Session) -> None:
    client.sign_in(make.user(Role.admin))
    response = client.submit("/regions/new", {"name": "North West"})
    assert response.headers["location"] == "/areas"
    region = db.exec(select(Region).where(Region.name == "North West")).one()

    response = client.submit(
        "/areas/new",
        {"name": "Northfield", "code": "e08000099", "region_id": str(region.id), "suppression_threshold": "10"},
    )
    area = db.exec(select(Area).where(Area.name == "Northfield")).one()
    assert response.headers["location"] == f"/areas/{area.id}"
    assert area.region_id == region.id
    assert area.code == "E08000099"
    page = client.get(f"/areas/{area.id}")
    assert "Northfield added." in page.text
    assert "North West" in page.text
    assert "Groups of fewer than 10 people are hidden" in page.text
    assert "Northfield" in client.get("/areas").text


def test_admin_changes_an_area(client: CheckedClient, make: Factory, db: Session) -> None:
    client.sign_in(make.user(Role.admin))
    area = make.area("Old name")
    form = client.get(f"/areas/{area.id}/edit").text
    assert 'value="Old name"' in form
    response = client.submit(
        f"/areas/{area.id}/edit", {"name": "New name", "code": "", "region_id": "", "suppression_threshold": "5"}
    )
    assert response.status_code == 303
    db.refresh(area)
    assert (area.name, area.suppression_threshold, area.region_id) == ("New name", 5, None)


def test_area_form_errors(client: CheckedClient, make: Factory, db: Session) -> None:
    client.sign_in(make.user(Role.admin))
    make.area("Taken")
    cases = [
        ({"name": "", "suppression_threshold": "10"}, "Enter the area&#39;s name"),
        ({"name": "x" * 121, "suppression_threshold": "10"}, "The area&#39;s name must be 120 characters or fewer"),
        ({"name": "taken", "suppression_threshold": "10"}, "There is already an area with this name"),
        ({"name": "Fine", "suppression_threshold": "ten"}, "must be a whole number"),
        ({"name": "Fine", "suppression_threshold": "1"}, "must be between 2 and 100"),
        ({"name": "Fine", "suppression_threshold": "10", "region_id": "999999"}, "Select a region from the list"),
        ({"name": "Fine", "suppression_threshold": "10", "region_id": "north"}, "Select a region from the list"),
        ({"name": "Fine", "suppression_threshold": "10", "code": "C" * 21}, "20 characters or fewer"),
    ]
    for data, message in cases:
        response = client.submit("/areas/new", data)
        assert response.status_code == 400, data
        assert message in response.text, data
        assert "There is a problem" in response.text
    assert db.exec(select(Area).where(Area.name == "Fine")).first() is None


def test_region_names_are_unique_and_can_change(client: CheckedClient, make: Factory, db: Session) -> None:
    client.sign_in(make.user(Role.admin))
    region, other = make.region("East"), make.region("West")
    assert "already a region" in client.submit(f"/regions/{region.id}/edit", {"name": "west"}).text
    assert client.submit(f"/regions/{region.id}/edit", {"name": "East Midlands"}).status_code == 303
    db.refresh(region)
    assert region.name == "East Midlands"
    assert client.submit("/regions/new", {"name": ""}).status_code == 400
    assert other.name == "West"


def test_staff_see_only_their_own_area(client: CheckedClient, make: Factory) -> None:
    region = make.region()
    own, other = make.area("Own area", region), make.area("Other area", region)
    make.user(Role.facilitator, other)
    client.sign_in(make.user(Role.commissioner, own))
    listing = client.get("/areas").text
    assert "Own area" in listing and "Other area" not in listing
    assert "Other area" not in client.get("/").text
    assert client.get(f"/areas/{other.id}").status_code == 404
    page = client.get(f"/areas/{own.id}").text
    assert "Own area" in page
    assert "Change the details" not in page


def test_admin_sees_every_area_with_staff_counts(client: CheckedClient, make: Factory) -> None:
    first, second = make.area("First"), make.area("Second")
    make.user(Role.facilitator, first)
    make.user(Role.facilitator, first)
    make.user(Role.facilitator, first, active=False)
    client.sign_in(make.user(Role.admin))
    listing = client.get("/areas").text
    assert "First" in listing and "Second" in listing
    assert 'govuk-table__cell--numeric">2</td>' in listing
    assert second.id is not None


def test_an_unknown_area_is_not_found(client: CheckedClient, make: Factory) -> None:
    client.sign_in(make.user(Role.admin))
    assert client.get("/areas/999999").status_code == 404
    assert client.get("/regions/999999/edit").status_code == 404


def test_admin_records_that_an_area_agrees_to_be_named_in_its_region(
    client: CheckedClient, make: Factory, db: Session
) -> None:
    client.sign_in(make.user(Role.admin))
    region = make.region("North West")
    area = make.area("Northfield", region)
    assert "No: other areas see its answers only inside the region&#39;s total" in client.get(f"/areas/{area.id}").text
    form = client.get(f"/areas/{area.id}/edit").text
    assert 'name="named_in_region"' in form and "Tick only if the area has agreed" in form
    assert "checked" not in form.split('name="named_in_region"')[1].split(">")[0]

    details = {"name": "Northfield", "code": "", "region_id": str(region.id), "suppression_threshold": "10"}
    assert client.submit(f"/areas/{area.id}/edit", {**details, "named_in_region": "yes"}).status_code == 303
    db.refresh(area)
    assert area.named_in_region is True
    assert "Yes: other areas in the region see its results by name" in client.get(f"/areas/{area.id}").text
    assert "checked" in client.get(f"/areas/{area.id}/edit").text.split('name="named_in_region"')[1].split(">")[0]

    assert client.submit(f"/areas/{area.id}/edit", details).status_code == 303  # unticked: no field sent
    db.refresh(area)
    assert area.named_in_region is False
    response = client.submit("/areas/new", {**details, "name": "Southdale", "named_in_region": "yes"})
    assert db.exec(select(Area).where(Area.name == "Southdale")).one().named_in_region is True
    assert response.status_code == 303
