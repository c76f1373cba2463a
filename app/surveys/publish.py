"""Publishing a survey: its public link, and that link as a QR code for posters, slides and leaflets."""

import io

import segno
from fastapi import Request
from markupsafe import Markup

from app.surveys.models import Survey

# Dark modules on white, with the standard four-module quiet zone: what every phone camera reads.
DARK, LIGHT = "#000", "#fff"
QUIET_ZONE = 4
# Medium error correction (segno raises it when that costs no extra size), so a creased
# or slightly smudged print still scans.
ERROR_LEVEL = "m"
PNG_PIXELS = 1000  # about 8.5 cm across at 300 dots an inch
PNG_DPI = 300
SVG_SCALE = 10  # the SVG's user units per module; it is vector, so this only sets its default size


def public_link(request: Request, survey: Survey) -> str:
    """The address families open: under PUBLIC_BASE_URL if set, else the address this page was asked for."""
    return public_url(request, f"/s/{survey.public_code}")


def qr_title(survey: Survey, link: str) -> str:
    """The words a screen reader or an image viewer gives for the code."""
    return f"QR code for the survey {survey.title}. It opens {link}"


def _qr(link: str) -> segno.QRCode:
    return segno.make_qr(link, error=ERROR_LEVEL)


def qr_svg(link: str, *, title: str) -> bytes:
    """A standalone SVG file of the code, with a <title> for people who cannot see it."""
    out = io.BytesIO()
    _qr(link).save(
        out, kind="svg", scale=SVG_SCALE, border=QUIET_ZONE, dark=DARK, light=LIGHT, title=title, svgclass=None
    )
    return out.getvalue()


def qr_svg_inline(link: str, *, title: str, css_class: str) -> Markup:
    """The same code as SVG markup to put straight into a page; it scales to the width CSS gives it."""
    svg = _qr(link).svg_inline(
        border=QUIET_ZONE, dark=DARK, light=LIGHT, title=title, svgclass=css_class, lineclass=None, omitsize=True
    )
    # role="img" makes the <title> the image's name for screen readers, as alt text is for <img>.
    # segno escapes the title, so the markup is safe to mark as such.
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))


def qr_png(link: str) -> bytes:
    """A PNG of the code about PNG_PIXELS across: big enough to print sharply on a poster."""
    qr = _qr(link)
    width, _ = qr.symbol_size(border=QUIET_ZONE)
    out = io.BytesIO()
    qr.save(out, kind="png", scale=max(1, PNG_PIXELS // width), border=QUIET_ZONE, dark=DARK, light=LIGHT, dpi=PNG_DPI)
    return out.getvalue()


def qr_filename(survey: Survey, extension: str) -> str:
    """A file name that says which survey the code is for; public codes are safe in a header as they are."""
    return f"survey-{survey.public_code}-qr.{extension}"


def public_url(request: Request, path: str) -> str:
    """Any public address (an event's join link, say) under PUBLIC_BASE_URL if set, else this page's host."""
    base = request.app.state.settings.public_base_url.strip() or str(request.base_url)
    return f"{base.rstrip('/')}/{path.lstrip('/')}"
