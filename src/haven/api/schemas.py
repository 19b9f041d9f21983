"""Types the API's schemas share."""

from __future__ import annotations

from typing import Annotated

from django.core.exceptions import ValidationError
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from haven.abuse.addresses import checked_email


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
