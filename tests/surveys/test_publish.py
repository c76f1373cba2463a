"""Publishing a survey: the public link, QR codes that really hold it, the poster, and the live answer count.

The codes are decoded with zxing-cpp (what a phone's camera does): the PNG as its pixels, the SVG by
drawing its path onto a grid of modules first.
"""

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import png
import pytest
import zxingcpp
from fastapi import FastAPI
from sqlmodel import Session, select

from app.accounts.models import Role
from app.core.schema import utcnow
from app.core.settings import Settings
from app.instruments.models import Instrument, Item
from app.surveys.models import Survey
from app.surveys.responses import Submission, submit
from tests.conftest import CheckedClient, Factory
from tests.surveys.test_surveys import _bank, _post, valid

TODAY = date.today()
SVG = "{http://www.w3.org/2000/svg}"
PIXELS_PER_MODULE = 8


def decode(grey: bytearray, width: int, height: int) -> list[str]:
    """The text of every QR code zxing-cpp finds in a greyscale image, one byte a pixel."""
    image = memoryview(grey).cast("B", (height, width))
    return [barcode.text for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def decode_png(data: bytes) -> list[str]:
    width, height, rows, _ = png.Reader(bytes=data).asRGB8()
    grey = bytearray(value for row in rows for value in row[::3])
    return decode(grey, width, height)


def svg_modules(svg: ET.Element) -> tuple[int, set[tuple[int, int]]]:
    """Draw the SVG's paths as segno writes them: a light square, then dark strokes one module high.

    Returns the symbol's size in modules (quiet zone included) and the (column, row) of every dark module.
    """
    paths = list(svg.iter(f"{SVG}path")) or list(svg.iter("path"))
    light = [path for path in paths if path.get("fill")]
    dark = [path for path in paths if path.get("stroke")]
    assert len(light) == 1 and len(dark) == 1, "one white background and one path of dark modules"
    assert light[0].get("fill") in ("#fff", "white") and dark[0].get("stroke") in ("#000", "black")
    size = re.fullmatch(r"M0 0h(\d+)v\1h-\1z", light[0].get("d", ""))
    assert size, "the white background covers the whole code"
    modules: set[tuple[int, int]] = set()
    x = y = 0.0
    for command, numbers in re.findall(r"([MmHh])([-\d. ]+)", dark[0].get("d", "")):
        values = [float(number) for number in numbers.split()]
        if command in "Mm":
            x, y = (values[0], values[1]) if command == "M" else (x + values[0], y + values[1])
        else:
            end = x + values[0] if command == "h" else values[0]
            modules |= {(column, int(y)) for column in range(int(x), int(end))}
            x = end
    return int(size.group(1)), modules


def decode_svg(svg: ET.Element) -> list[str]:
    size, modules = svg_modules(svg)
    width = size * PIXELS_PER_MODULE
    grey = bytearray(
        0 if (column // PIXELS_PER_MODULE, row // PIXELS_PER_MODULE) in modules else 255
        for row in range(width)
        for column in range(width)
    )
    return decode(grey, width, width)


def _survey_page_set_up(client: CheckedClient, make: Factory, db: Session, **values: object) -> Survey:
    area = make.area()
    survey = make.survey(area.id, _bank(db).id, **values)
    client.sign_in(make.user(Role.commissioner, area))
    return survey


def test_the_qr_codes_hold_the_exact_public_link(client: CheckedClient, make: Factory, db: Session) -> None:
    survey = _survey_page_set_up(client, make, db, title="Spring check-in")
    link = f"http://testserver/s/{survey.public_code}"

    png_response = client.get(f"/surveys/{survey.id}/qr.png")
    assert png_response.status_code == 200 and png_response.headers["content-type"] == "image/png"
    disposition = f'attachment; filename="survey-{survey.public_code}-qr.png"'
    assert png_response.headers["content-disposition"] == disposition
    width, height, _, info = png.Reader(bytes=png_response.content).read()
    assert width == height and 900 <= width <= 1100 and info["greyscale"]
    assert decode_png(png_response.content) == [link]

    svg_response = client.get(f"/surveys/{survey.id}/qr.svg")
    assert svg_response.status_code == 200 and svg_response.headers["content-type"] == "image/svg+xml"
    disposition = f'attachment; filename="survey-{survey.public_code}-qr.svg"'
    assert svg_response.headers["content-disposition"] == disposition
    svg = ET.fromstring(svg_response.content)
    assert svg.tag == f"{SVG}svg"
    assert svg.findtext(f"{SVG}title") == f"QR code for the survey Spring check-in. It opens {link}"
    assert decode_svg(svg) == [link]


def test_the_codes_have_a_quiet_zone(client: CheckedClient, make: Factory, db: Session) -> None:
    survey = _survey_page_set_up(client, make, db)
    size, modules = svg_modules(ET.fromstring(client.get(f"/surveys/{survey.id}/qr.svg").content))
    columns, rows = {column for column, _ in modules}, {row for _, row in modules}
    assert (min(columns), min(rows), max(columns), max(rows)) == (4, 4, size - 5, size - 5)
    width, _, rows_png, _ = png.Reader(bytes=client.get(f"/surveys/{survey.id}/qr.png").content).asRGB8()
    top = [row[::3] for _, row in zip(range(width * 4 // size), rows_png, strict=False)]
    assert all(value == 255 for row in top for value in row), "the top four modules are white"


def test_public_base_url_is_the_address_people_are_given(
    app: FastAPI, client: CheckedClient, make: Factory, db: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://coproduce.example.org/")
    app.state.settings = Settings(data_dir=settings.data_dir, secret_key=settings.secret_key)
    survey = _survey_page_set_up(client, make, db)
    link = f"https://coproduce.example.org/s/{survey.public_code}"
    assert f'href="{link}">{link}</a>' in client.get(f"/surveys/{survey.id}").text
    assert link in client.get(f"/surveys/{survey.id}/poster").text
    assert decode_png(client.get(f"/surveys/{survey.id}/qr.png").content) == [link]
    assert decode_svg(ET.fromstring(client.get(f"/surveys/{survey.id}/qr.svg").content)) == [link]


def test_the_poster_invites_people_and_never_shows_the_access_code(
    client: CheckedClient, make: Factory, db: Session
) -> None:
    instrument = _bank(db)
    client.sign_in(make.user(Role.facilitator))
    closes = TODAY + timedelta(days=30)
    assert _post(client, "/surveys/new", valid(instrument)).status_code == 303
    survey = db.exec(select(Survey)).one()
    link = f"http://testserver/s/{survey.public_code}"

    page = client.get(f"/surveys/{survey.id}/poster")
    assert page.status_code == 200
    text = page.text.replace("&#39;", "'")
    assert '<h1 class="govuk-heading-xl">How are things? Spring</h1>' in text
    assert f'<p class="app-poster__link">{link}</p>' in text
    assert "It is for parent carers and young people." in text
    assert f"You can answer until {closes.strftime('%-d %B %Y')}." in text
    assert "You will need the code your group was given." in text
    assert "It is anonymous" in text and "use your browser's Print command" in text
    assert "forum27" not in text.lower() and (survey.access_code_hash or "-") not in text
    # The code is drawn in the page from the same data as the downloads, not fetched from elsewhere.
    assert "<img" not in text and "qr.svg" not in text
    inline = re.search(r"<svg role=\"img\".*?</svg>", text, re.DOTALL)
    assert inline and f"<title>QR code for the survey How are things? Spring. It opens {link}</title>" in inline[0]
    assert decode_svg(ET.fromstring(inline[0])) == [link]


def test_a_poster_without_an_access_code_or_closing_date_says_neither(
    client: CheckedClient, make: Factory, db: Session
) -> None:
    survey = _survey_page_set_up(client, make, db, opens_on=TODAY + timedelta(days=3), audiences=["children"])
    text = client.get(f"/surveys/{survey.id}/poster").text
    assert "code your group was given" not in text and "until" not in text
    assert f"You can answer from {(TODAY + timedelta(days=3)).strftime('%-d %B %Y')}." in text
    assert "It is for children (there is an easy-read version)." in text


def test_a_closed_surveys_poster_warns_staff(client: CheckedClient, make: Factory, db: Session) -> None:
    survey = _survey_page_set_up(client, make, db, closes_on=TODAY - timedelta(days=1))
    poster = client.get(f"/surveys/{survey.id}/poster").text
    assert "This survey is closed, so the link will not take answers." in poster


def _answer(db: Session, survey: Survey, key: str) -> None:
    item = db.exec(select(Item).where(Item.instrument_id == survey.instrument_id)).first()
    assert item is not None and item.id is not None
    submit(db, survey, Submission(key * 32, {item.id: "agree"}), today=TODAY)
    db.commit()


def test_the_survey_page_shares_the_link_and_counts_answers(client: CheckedClient, make: Factory, db: Session) -> None:
    survey = _survey_page_set_up(client, make, db)
    page = f"/surveys/{survey.id}"
    link = f"http://testserver/s/{survey.public_code}"
    html = client.get(page).text
    assert "Share it" in html and f'<a class="govuk-link app-break-words" href="{link}">{link}</a>' in html
    for href in (f"{page}/qr.svg", f"{page}/qr.png", f"{page}/poster"):
        assert f'href="{href}"' in html
    assert "No answers yet" in html and "give it to the group yourself" not in html
    _answer(db, survey, "a")
    assert re.search(r">\s*1 answer\s*<", client.get(page).text)
    _answer(db, survey, "b")
    _answer(db, survey, "b")  # the same submission again is stored once
    assert "2 answers" in client.get(page).text
    # While open, the count asks again by itself; the list of surveys counts too.
    assert f'hx-get="{page}/count" hx-trigger="every 20s"' in client.get(page).text
    fragment = client.get(f"{page}/count", headers={"HX-Request": "true"}).text
    assert re.fullmatch(
        r'\s*<span id="answer-count" hx-get="[^"]+" hx-trigger="every 20s" hx-swap="outerHTML">2 answers</span>\s*',
        fragment,
    )
    assert re.search(r'govuk-table__cell--numeric">2</td>', client.get("/surveys").text)
    survey.closed_at = utcnow()
    db.add(survey)
    db.commit()
    assert "hx-trigger" not in client.get(f"{page}/count", headers={"HX-Request": "true"}).text


def test_a_survey_with_an_access_code_reminds_staff_to_hand_it_out(
    client: CheckedClient, make: Factory, db: Session
) -> None:
    survey = _survey_page_set_up(client, make, db, access_code_hash="0" * 64)
    assert "give it to the group yourself" in client.get(f"/surveys/{survey.id}").text


@pytest.mark.parametrize("role", [Role.facilitator, Role.commissioner])
def test_another_areas_staff_cannot_publish_it(client: CheckedClient, make: Factory, db: Session, role: Role) -> None:
    instrument: Instrument = _bank(db)
    survey = make.survey(make.area().id, instrument.id)
    client.sign_in(make.user(role, make.area()))
    for path in ("qr.svg", "qr.png", "poster"):
        response = client.get(f"/surveys/{survey.id}/{path}")
        assert response.status_code == 404 and "Page not found" in response.text
        assert survey.public_code not in response.text


def test_an_admin_can_publish_any_areas_survey(client: CheckedClient, make: Factory, db: Session) -> None:
    survey = make.survey(make.area().id, _bank(db).id)
    client.sign_in(make.user(Role.admin))
    link = f"http://testserver/s/{survey.public_code}"
    assert decode_png(client.get(f"/surveys/{survey.id}/qr.png").content) == [link]
    assert link in client.get(f"/surveys/{survey.id}/poster").text
