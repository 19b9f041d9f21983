"""The HTTP API, assembled from each app's ``api.py``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, path
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaError
from ninja.parser import Parser

from haven.abuse.ratelimit import RateLimited
from haven.accounts.api import router as accounts_router
from haven.accounts.tenancy import authorise_refused_input
from haven.api.auth import PersonalTokenAuth
from haven.api.openapi import HavenAPI
from haven.casework.api import router as casework_router
from haven.events.api import router as events_router
from haven.helpline.api import router as helpline_router
from haven.letters.api import router as letters_router
from haven.news.api import router as news_router
from haven.organisations.api import router as organisations_router
from haven.petitions.api import router as petitions_router
from haven.privacy.api import router as privacy_router
from haven.records.api import router as records_router
from haven.reporting.api import router as reporting_router
from haven.services.api import router as services_router
from haven.shelter.api import router as shelter_router
from haven.workspace.api import router as workspace_router

NUL_REFUSED = "Text may not contain the NUL character (\\u0000)."


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


class RefusingNul(Parser):
    """ninja's parser, refusing the NUL character anywhere in a body or a query.

    Django's forms refuse it (ProhibitNullCharactersValidator) and PostgreSQL cannot store
    it in text: through the API it reached the database and failed there, a 500.
    """

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        if _holds_nul(data):
            # ninja answers any failure here with a 400 "Cannot parse request body".
            raise ValueError(NUL_REFUSED)
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        parsed = super().parse_querydict(data, list_fields, request)
        if _holds_nul(parsed):
            raise ValidationError(NUL_REFUSED)
        return parsed


api = HavenAPI(
    title="Haven API",
    version="1",
    description=(
        "Haven's HTTP API. Authenticate with a personal token: "
        "`Authorization: Bearer haven_…`. Create one under *My account* → *API tokens* "
        "(or, as an operator, `python manage.py create_api_token USERNAME`). "
        "A token acts with its user's roles; objects of other organisations answer 404. "
        "Each operation says which permission it needs and which roles grant it. "
        'Refusals answer JSON: `{"detail": "…"}`, or for bad input '
        '`{"detail": {"field": ["…"]}}` (`items.2.field` inside a list, '
        "`__all__` for the whole body); unknown fields are refused. A caller who may not "
        "use an operation gets its 404 or 403 before any 400 about the input. Paginated "
        "lists take `limit` and `offset` within the bounds their parameters state."
    ),
    auth=PersonalTokenAuth(),
    urls_namespace="api",
    parser=RefusingNul(),
)
api.add_router("/", accounts_router)
api.add_router("/", organisations_router)
api.add_router("/", privacy_router)
api.add_router("/", workspace_router)
api.add_router("/", casework_router)
api.add_router("/", services_router)
api.add_router("/", helpline_router)
api.add_router("/", shelter_router)
api.add_router("/", records_router)
api.add_router("/", letters_router)
api.add_router("/", petitions_router)
api.add_router("/", events_router)
api.add_router("/", news_router)
api.add_router("/", reporting_router)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(
        request, {"detail": str(exc) or "Your roles do not allow this."}, status=403
    )


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


def _refused_first(request: HttpRequest) -> HttpResponse | None:
    """The 404 or 403 owed to a caller who may not use the operation, if its input was
    refused before the operation authorised them (ninja validates the query and body first):
    an outsider learns nothing from a 400, and permission answers before input, as in the
    rest of the API."""
    try:
        authorise_refused_input(request)
    except Http404 as exc:
        return not_found(request, exc)
    except PermissionDenied as exc:
        return permission_denied(request, exc)
    return None


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if refusal := _refused_first(request):
        return refusal  # NUL in a query, refused by the parser
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": detail}, status=400)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja's own refusals, "Cannot parse request body" among them; otherwise as ninja says.
    if exc.status_code == 400 and (refusal := _refused_first(request)):
        return refusal
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(SchemaError)
def malformed(request: HttpRequest, exc: SchemaError) -> HttpResponse:
    if refusal := _refused_first(request):
        return refusal
    # Same 400 and per-field shape as a refusal by an action, so clients handle one kind.
    detail: dict[str, list[str]] = {}
    for error in exc.errors:
        detail.setdefault(_field_of(error.get("loc", ())), []).append(_message_of(error))
    return api.create_response(request, {"detail": detail}, status=400)


REQUEST_PARTS = {"body", "query", "path", "header", "cookie", "form", "file"}


def _field_of(loc: Sequence[str | int]) -> str:
    """The field an error is about, as the client sent it: ``note``, or ``items.2.scanned_at``
    inside a list (the index tells which of 500 queued scans is wrong); ``__all__`` for the
    whole body."""
    parts = list(loc)
    if parts and parts[0] in REQUEST_PARTS:
        kind = parts.pop(0)
        # ninja names the view's parameter next (``payload``, ``filters``); a body is always
        # a schema, a query or path value may be a field of its own.
        if parts and (kind == "body" or len(parts) > 1):
            parts.pop(0)
    return ".".join(str(part) for part in parts) or "__all__"


def _message_of(error: Mapping[str, Any]) -> str:
    """Pydantic's message, without its internal prefix, and plainer where it is obscure."""
    if error.get("type") == "extra_forbidden":
        return gettext("Unknown field: this operation does not take it.")
    return str(error.get("msg", "")).removeprefix("Value error, ")


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        {"detail": "Send a valid personal token: Authorization: Bearer haven_…"},
        status=401,
    )
    # RFC 9110 wants a 401 to name the scheme that would do.
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # The cap on request bodies (DATA_UPLOAD_MAX_MEMORY_SIZE), answered as the API answers.
    return api.create_response(
        request, {"detail": "The request body is too large (at most 1 MB)."}, status=413
    )


@api.exception_handler(RateLimited)
def rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = api.create_response(request, {"detail": exc.message}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


FLAT_ROUTES = 12


def nested_by_segment(
    patterns: Sequence[URLPattern | URLResolver],
) -> list[URLPattern | URLResolver]:
    """The same routes, nested under their leading path segments.

    Django tries a URL conf's patterns in order, and the API's are a flat list of about
    170: a public route near the end (a registration, a signature) was compared with every
    route before it, a tenth of the request's time on the rushes (bench/registration_rush.py).
    Nested, a path is compared with the segments of one level, then with the routes under
    its own (levels of at most ``FLAT_ROUTES`` stay flat). Routes whose leading segments
    differ as literals cannot match the same path, so only the order in which they are
    tried changes; a level that mixes a parameter (``<org>``) with other segments, which
    could overlap, is left flat.
    """
    entries: list[URLPattern | URLResolver | str] = []
    groups: dict[str, list[URLPattern | URLResolver]] = {}
    for pattern in patterns:
        head, slash, tail = str(pattern.pattern).partition("/")
        if not slash or not tail or not isinstance(pattern, URLPattern):
            entries.append(pattern)
            continue
        if head not in groups:
            groups[head] = []
            entries.append(head)
        groups[head].append(
            # The stubs want a name; Django takes None, and ninja names every route anyway.
            path(tail, pattern.callback, kwargs=pattern.default_args, name=pattern.name)  # type: ignore[arg-type]
        )
    if len(groups) > 1 and any("<" in head for head in groups):
        return list(patterns)

    def nest(group: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
        # Each level costs a resolver match of its own: a few routes stay flat.
        return nested_by_segment(group) if len(group) > FLAT_ROUTES else list(group)

    return [
        path(f"{entry}/", include(nest(groups[entry]))) if isinstance(entry, str) else entry
        for entry in entries
    ]


def api_urls() -> tuple[list[URLPattern | URLResolver], str, str]:
    """The API's URL conf for ``include``: its routes nested by segment, same names."""
    patterns, app_name, namespace = api.urls
    return nested_by_segment(patterns), app_name, namespace
