"""Reading and checking submitted forms, with messages in the GOV.UK error-summary pattern."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, TypeVar

from email_validator import EmailNotValidError, validate_email
from fastapi import Depends, Request

from app.core.rules import RuleError

MAX_EMAIL_LENGTH = 254
T = TypeVar("T")


async def read_form(request: Request) -> dict[str, str]:
    """The submitted fields as text (files are not accepted by these forms)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


FormData = Annotated[dict[str, str], Depends(read_form)]


async def read_multi_form(request: Request) -> dict[str, list[str]]:
    """The submitted fields as lists, for fields that can repeat (checkboxes)."""
    form = await request.form()
    return {key: [value for value in form.getlist(key) if isinstance(value, str)] for key in form}


MultiFormData = Annotated[dict[str, list[str]], Depends(read_multi_form)]


@dataclass
class Form:
    """Checks fields one by one, keeping the first problem with each for the error summary."""

    data: Mapping[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def error_list(self) -> list[dict[str, str]]:
        return [{"text": message, "href": f"#{name}"} for name, message in self.errors.items()]

    def attempt(self, action: Callable[[], T], *, field: str | None = None) -> T | None:
        """Run a service call once every field is valid; a rule it breaks becomes an error on its field
        (or on `field`, when the page has one place for every problem, such as a file upload)."""
        if not self.ok:
            return None
        try:
            return action()
        except RuleError as error:
            self.error(field or error.field, error.message)
            return None

    def raw(self, name: str) -> str:
        return self.data.get(name, "")

    def text(self, name: str, *, label: str, max_length: int, required: bool = True) -> str:
        value = self.raw(name).strip()
        if required and not value:
            self.error(name, f"Enter {label}")
        elif len(value) > max_length:
            self.error(name, f"{label[0].upper()}{label[1:]} must be {max_length} characters or fewer")
        return value

    def email(self, name: str, *, label: str = "an email address") -> str:
        value = self.raw(name).strip()
        if not value:
            self.error(name, f"Enter {label}")
            return value
        if len(value) > MAX_EMAIL_LENGTH:
            self.error(name, f"Email address must be {MAX_EMAIL_LENGTH} characters or fewer")
            return value
        try:
            checked = validate_email(value, check_deliverability=False)
        except EmailNotValidError:
            self.error(name, "Enter an email address in the correct format, like name@example.com")
            return value
        return checked.normalized.lower()

    def choice(self, name: str, choices: Iterable[str], *, message: str) -> str:
        value = self.raw(name)
        if value not in set(choices):
            self.error(name, message)
        return value

    def whole_number(self, name: str, *, label: str, minimum: int, maximum: int) -> int | None:
        value = self.raw(name).strip()
        if not value:
            self.error(name, f"Enter {label}")
            return None
        if not value.isdigit():
            self.error(name, f"{label[0].upper()}{label[1:]} must be a whole number, like 10")
            return None
        number = int(value)
        if not minimum <= number <= maximum:
            self.error(name, f"{label[0].upper()}{label[1:]} must be between {minimum} and {maximum}")
            return None
        return number

    def calendar_date(self, name: str, *, label: str, required: bool = True) -> date | None:
        """A GOV.UK date input: `name-day`, `name-month` and `name-year` fields."""
        parts = [self.raw(f"{name}-{part}").strip() for part in ("day", "month", "year")]
        if not any(parts):
            if required:
                self.error(name, f"Enter {label}")
            return None
        if not all(part.isdigit() for part in parts) or len(parts[2]) != 4:
            self.error(name, f"{label[0].upper()}{label[1:]} must be a real date, like 27 3 2027")
            return None
        day, month, year = (int(part) for part in parts)
        try:
            return date(year, month, day)
        except ValueError:
            self.error(name, f"{label[0].upper()}{label[1:]} must be a real date, like 27 3 2027")
            return None
