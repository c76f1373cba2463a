import pytest

from app.accounts.models import Role
from app.pages.service import render_text
from tests.conftest import CheckedClient, Factory


@pytest.mark.parametrize(
    ("url", "title"), [("/accessibility", "Accessibility statement"), ("/privacy", "Privacy notice")]
)
def test_statutory_pages_are_public_and_linked_from_every_page(client: CheckedClient, url: str, title: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert f'<h1 class="govuk-heading-l">{title}</h1>' in response.text
    assert "the organisation that runs Coproduce" in response.text
    for page in ["/", "/sign-in", url]:
        assert f'href="{url}"' in client.get(page).text


def test_starting_text_names_the_organisation(client: CheckedClient, settings) -> None:  # type: ignore[no-untyped-def]
    settings.organisation_name = "Northfield Parent Carer Forum"
    text = client.get("/accessibility").text
    assert "Coproduce is run by Northfield Parent Carer Forum" in text
    assert "Northfield Parent Carer Forum" in client.get("/").text  # footer


def test_admin_edits_the_accessibility_statement(client: CheckedClient, make: Factory) -> None:
    client.sign_in(make.user(Role.admin))
    form = client.get("/site-pages/accessibility/edit").text
    assert "This is the starting text" in form
    body = "We checked this on 1 March.\n\n## Problems\n\n- One\n- Two\n\nWrite to [us](mailto:a@example.org)."
    response = client.submit("/site-pages/accessibility/edit", {"title": "Accessibility statement", "body": body})
    assert response.headers["location"] == "/accessibility"
    page = client.get("/accessibility").text
    assert '<p class="govuk-body">We checked this on 1 March.</p>' in page
    assert '<h2 class="govuk-heading-m">Problems</h2>' in page
    assert "<li>One</li><li>Two</li>" in page
    assert '<a class="govuk-link" href="mailto:a@example.org">us</a>' in page
    assert "This is the starting text" not in client.get("/site-pages/accessibility/edit").text


def test_page_edits_are_checked(client: CheckedClient, make: Factory) -> None:
    client.sign_in(make.user(Role.admin))
    response = client.submit("/site-pages/privacy/edit", {"title": "", "body": ""})
    assert response.status_code == 400
    assert "Enter a title" in response.text and "Enter the text of the page" in response.text
    response = client.submit("/site-pages/privacy/edit", {"title": "Privacy", "body": "x" * 50_001})
    assert "50000 characters or fewer" in response.text
    assert client.get("/site-pages/nonsense/edit").status_code == 404


def test_page_text_cannot_inject_html() -> None:
    html = render_text('<script>alert(1)</script>\n\n[click](javascript:alert(1))\n\n[ok](https://a.example/"x)')
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    assert '"x' not in html.replace("&#34;x", "")
