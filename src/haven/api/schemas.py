"""Types the API's schemas share."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from haven.abuse.addresses import checked_email
from haven.dates import moment_problem


def _checked(value: str) -> str:
    try:
        return checked_email(value)
    except ValidationError as error:
        # Its own error type: the client reads the form's message, without "Value error, ".
        raise PydanticCustomError("email", error.messages[0]) from None


# An e-mail address, checked and normalised as the web forms do it (haven.abuse.addresses),
# so the operation that reads it finds it already checked instead of validating it again.
EmailAddress = Annotated[
    str,
    Field(max_length=254, json_schema_extra={"format": "email"}),
    AfterValidator(_checked),
]


def form_field_check(field: forms.Field) -> AfterValidator:
    """A check that cleans a value with a web form's field: what the page refuses, the API
    refuses in the same words, and what the page stores, the API stores."""

    def clean(value: str) -> str:
        try:
            return str(field.clean(value))
        except ValidationError as error:
            raise PydanticCustomError("invalid", error.messages[0]) from None

    return AfterValidator(clean)


def _moment(value: datetime) -> datetime:
    if timezone.is_naive(value):
        # Read as the web forms read it: in the time zone the request runs in (the
        # organisation's), so that it compares with the stored, aware moments.
        value = timezone.make_aware(value)
    if problem := moment_problem(value):
        raise PydanticCustomError("datetime_range", problem)
    return value


_WRITTEN_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def day_written(value: object) -> object:
    """A date only as written in ISO 8601: pydantic would read 0 as 1 January 1970."""
    if isinstance(value, date) or (isinstance(value, str) and _WRITTEN_DAY.fullmatch(value)):
        return value
    raise PydanticCustomError("date_type", "Give a date as YYYY-MM-DD.")


def moment_written(value: object) -> object:
    """A date and time only as written in ISO 8601: pydantic would read a number, or digits in
    a string, as seconds since 1970."""
    if isinstance(value, date) or (isinstance(value, str) and _WRITTEN_DAY.match(value)):
        return value
    raise PydanticCustomError(
        "datetime_type", "Give a date and time in ISO 8601, such as 2030-05-01T09:00:00+02:00."
    )


# A date, or a date and time, the API is sent: written out, never a number.
Day = Annotated[date, BeforeValidator(day_written)]
DateTime = Annotated[datetime, BeforeValidator(moment_written)]

# A date and time the API is sent: with its offset, or in the organisation's time zone, and
# from 2000 to ten years ahead.
Moment = Annotated[datetime, BeforeValidator(moment_written), AfterValidator(_moment)]
