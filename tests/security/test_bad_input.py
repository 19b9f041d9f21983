"""Bad input, everywhere: malformed and oversized values get a clear 4xx and change nothing.

Forms are found by reading every page (as someone allowed to see it) and parsing its
``<form>`` elements; API operations come from the OpenAPI schema. A new form or
operation is fed bad input the day it is added.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import Resolver404, resolve
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.organisations.models import Organisation
from tests.security.conftest import STATS, World, web_client
from tests.security.routes import (
    ALLOWED_WITHOUT_RULE,
    ApiOperation,
    WebRoute,
    api_operations,
    example_body,
    example_for,
    example_query,
    openapi_components,
    web_routes,
)

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

HUGE_FORM_VALUE = "x" * 200_000
HUGE_API_VALUE = "x" * 100_000
CLEAR_REFUSALS = {400, 404, 405, 413, 422}

# Forms not held to the rule, with the reason.
FORMS_EXEMPT: dict[str, str] = {
    "set_language": "Django's language switcher ignores an unknown language and redirects; "
    "it stores nothing",
}

# Rows that requests write by design, whatever the input: the audit trail records
# attempts, sessions and token use are bookkeeping.
UNWATCHED_MODELS = {"privacy.auditevent", "privacy.auditchainhead", "sessions.session"}
UNWATCHED_FIELDS = {"last_used_at", "last_login"}

# Forms every issue so far must offer; proves the crawler finds forms at all.
EXPECTED_FORMS = {
    "staff_invite",
    "staff_roles",
    "api_token_create",
    "accept_invitation",
    "audit_trail",
}


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every watched table, so a comparison shows any change at all."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with scopes_disabled():
        for model in apps.get_models():
            if model._meta.label_lower in UNWATCHED_MODELS:
                continue
            names = [
                f.attname for f in model._meta.concrete_fields if f.attname not in UNWATCHED_FIELDS
            ]
            manager: models.Manager[Any] = model._base_manager
            rows[model._meta.label_lower] = [
                tuple(str(v) for v in row) for row in manager.order_by("pk").values_list(*names)
            ]
    return rows


def refusal_problem(
    what: str, before: Mapping[str, list[tuple[Any, ...]]], response: Response
) -> str | None:
    """What is wrong with the answer to bad input, if anything."""
    after = snapshot()
    changed = sorted(label for label in before if before[label] != after.get(label))
    if changed:
        return f"{what}: answered {response.status_code} and CHANGED {changed}"
    if response.status_code not in CLEAR_REFUSALS:
        return (
            f"{what}: expected a clear 4xx, got {response.status_code} "
            f"{response.get('Location', '')}{response.content[:160]!r}"
        )
    return None


def assert_no_problems(problems: list[str | None]) -> None:
    found = [problem for problem in problems if problem is not None]
    assert not found, "\n".join(found)


# --- forms -------------------------------------------------------------------------------


@dataclass
class FormField:
    name: str
    kind: str  # text, email, date, number, hidden, choice, multiple, textarea…
    values: list[str] = field(default_factory=list)


@dataclass
class Form:
    method: str
    action: str
    fields: dict[str, FormField] = field(default_factory=dict)

    def baseline(self) -> dict[str, list[str]]:
        return {name: list(f.values) for name, f in self.fields.items()}


class FormParser(HTMLParser):
    """The forms of a page: method, action and named fields with their current values."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: FormField | None = None
        self._textarea: FormField | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._form = Form(
                method=(a.get("method") or "get").lower(),
                action=urlsplit(urljoin(self.page, a.get("action") or self.page)).path,
            )
            self.forms.append(self._form)
            return
        if self._form is None or not a.get("name") or a["name"] == "csrfmiddlewaretoken":
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "reset", "image", "file"):
                return
            if kind in ("checkbox", "radio"):
                entry = self._form.fields.setdefault(
                    name, FormField(name, "multiple" if kind == "checkbox" else "choice")
                )
                if "checked" in a:
                    entry.values.append(a.get("value", "on"))
                return
            self._form.fields[name] = FormField(name, kind, [a.get("value", "")])
        elif tag == "select":
            kind = "multiple" if "multiple" in a else "choice"
            self._select = self._form.fields[name] = FormField(name, kind)
        elif tag == "textarea":
            self._textarea = self._form.fields[name] = FormField(name, "textarea", [""])
        elif tag == "option" and self._select is not None and "selected" in a:
            self._select.values.append(a.get("value", ""))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.values[0] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _garbage_for(kind: str) -> str | None:
    return {
        "choice": "no-such-choice",
        "multiple": "no-such-choice",
        "date": "2024-13-45",
        "datetime-local": "not a time",
        "number": "NaN",
        "email": "not-an-email",
        "url": "not a url",
    }.get(kind)


def form_variants(form: Form) -> Iterator[tuple[str, dict[str, list[str]]]]:
    """Bad submissions of one form: everything oversized, then each field alone broken."""
    if not form.fields:
        return
    yield "every field oversized", {name: [HUGE_FORM_VALUE] for name in form.fields}
    for name, entry in form.fields.items():
        yield f"{name} oversized", {**form.baseline(), name: [HUGE_FORM_VALUE]}
        garbage = _garbage_for(entry.kind)
        if garbage is not None:
            yield f"{name} malformed", {**form.baseline(), name: [garbage]}


def _persona(route: WebRoute, world: World) -> tuple[User | None, Organisation]:
    """Someone allowed to use the route, and the organisation its URL names."""
    rule = route.rule
    assert rule is not None
    if rule.kind == "organisation":
        assert rule.permission is not None
        target = world.target_for(rule.permission)
        return world.omnipotent(target), target
    if rule.kind == "user":
        return world.alice, world.north
    return None, world.north


def _route_name(path: str) -> str:
    try:
        return resolve(path).url_name or ""
    except Resolver404:
        return ""


def discover_forms(world: World) -> list[tuple[Form, User | None, str]]:
    """Every distinct form on every page Haven serves, with who may submit it."""
    found: dict[tuple[str, str, tuple[str, ...]], tuple[Form, User | None, str]] = {}
    for route in web_routes():
        if route.name in ALLOWED_WITHOUT_RULE or route.rule is None or route.is_regex:
            continue
        user, target = _persona(route, world)
        path = route.path(world.values(target))
        response = web_client(user).get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = FormParser(path)
        parser.feed(response.content.decode())
        for form in parser.forms:
            name = _route_name(form.action)
            if name in ALLOWED_WITHOUT_RULE or name in FORMS_EXEMPT:
                continue
            key = (form.method, form.action, tuple(sorted(form.fields)))
            found.setdefault(key, (form, user, name))
    return list(found.values())


def test_every_form_refuses_oversized_and_malformed_values_and_changes_nothing(
    world: World,
) -> None:
    forms = discover_forms(world)
    names = {name for _form, _user, name in forms}
    assert names >= EXPECTED_FORMS, f"forms not found on any page: {EXPECTED_FORMS - names}"
    problems: list[str | None] = []
    for form, user, name in forms:
        STATS["bad_input_forms"] += 1
        for variant, data in form_variants(form):
            what = f"{form.method.upper()} {form.action} ({name}) with {variant}"
            before = snapshot()
            client = web_client(user)
            STATS["bad_input_requests"] += 1
            if form.method == "post":
                response = client.post(form.action, data)
            else:
                response = client.get(f"{form.action}?{urlencode(data, doseq=True)}")
            problems.append(refusal_problem(what, before, response))
    assert_no_problems(problems)


def test_every_page_that_only_takes_a_post_has_a_form_somewhere(world: World) -> None:
    actions = {form.action for form, _user, _name in discover_forms(world)}
    missing = []
    for route in web_routes():
        if route.name in ALLOWED_WITHOUT_RULE or route.rule is None or route.is_regex:
            continue
        user, target = _persona(route, world)
        path = route.path(world.values(target))
        if web_client(user).get(path).status_code == 405 and path not in actions:
            missing.append(route.label)
    assert not missing, f"POST-only pages no page offers a form for (fields unknown): {missing}"


def test_integer_ids_in_page_addresses_that_overflow_get_404(world: World) -> None:
    problems: list[str | None] = []
    for route in web_routes():
        if route.name in ALLOWED_WITHOUT_RULE or route.rule is None or route.is_regex:
            continue
        ids = [name for name in route.params if route.converters[name].regex == "[0-9]+"]
        if not ids:
            continue
        user, target = _persona(route, world)
        values = {**world.values(target), **dict.fromkeys(ids, 10**30)}
        for method in ("get", "post"):
            before = snapshot()
            STATS["bad_input_requests"] += 1
            response = getattr(web_client(user), method)(route.path(values))
            problems.append(refusal_problem(f"{method.upper()} {route.label}", before, response))
    assert_no_problems(problems)


# --- API ---------------------------------------------------------------------------------


def _resolved(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    components = openapi_components()
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [_resolved(o) for o in schema[key]]
            return next((o for o in options if o.get("type") != "null"), options[0])
    return schema


def _body_schema(operation: ApiOperation) -> Mapping[str, Any]:
    content = operation.schema["requestBody"]["content"]
    media = content.get("application/json") or next(iter(content.values()))
    return _resolved(media["schema"])


def _full_example(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A value for every property, not only the required ones."""
    components = openapi_components()
    return {
        name: example_for(prop, components) for name, prop in schema.get("properties", {}).items()
    }


def _oversized(value: Any, schema: Mapping[str, Any]) -> Any:
    schema = _resolved(schema)
    kind = schema.get("type")
    if kind == "string":
        return HUGE_API_VALUE
    if kind == "array":
        return [_oversized(item, schema.get("items", {})) for item in value or [None]]
    if kind == "object":
        props = schema.get("properties", {})
        return {name: _oversized(value.get(name), props.get(name, {})) for name in value}
    return value


def _wrong_type(schema: Mapping[str, Any]) -> Any:
    return {
        "integer": "not a number",
        "number": "not a number",
        "boolean": "maybe",
        "array": "not a list",
        "object": "not an object",
        "string": {"not": "a string"},
    }.get(_resolved(schema).get("type", ""), ["unexpected"])


def body_variants(operation: ApiOperation) -> Iterator[tuple[str, bytes]]:
    schema = _body_schema(operation)
    yield "a body that is not JSON", b"\x00{not json"
    yield "a JSON list instead of an object", json.dumps([example_body(operation)]).encode()
    full = _full_example(schema)
    oversized = _oversized(full, schema)
    # A body of ids and flags only has nothing to oversize: it would be a valid request.
    if oversized != full:
        yield "every string 100,000 characters", json.dumps(oversized).encode()
    for name, prop in schema.get("properties", {}).items():
        wrong = {**full, name: _wrong_type(prop)}
        yield f"{name} of the wrong type", json.dumps(wrong).encode()


def query_variants(operation: ApiOperation) -> Iterator[tuple[str, dict[str, Any]]]:
    base = example_query(operation)
    for parameter in operation.query_parameters:
        name = parameter["name"]
        kind = _resolved(parameter.get("schema", {}))
        if kind.get("type") == "string" and kind.get("format") is None and "enum" not in kind:
            yield f"{name} 100,000 characters", {**base, name: HUGE_API_VALUE}
        else:
            yield f"{name} malformed", {**base, name: "2024-13-45 not-a-value"}


def _api_persona(operation: ApiOperation, world: World) -> tuple[dict[str, str], Organisation]:
    rule = operation.rule
    assert rule is not None, f"{operation.label} declares no access rule (see the matrix)"
    if rule.kind == "organisation":
        assert rule.permission is not None
        target = world.target_for(rule.permission)
        return world.bearer(world.omnipotent(target)), target
    if rule.kind == "token":
        return world.bearer(world.alice), world.north
    return {}, world.north


def _api_send(
    operation: ApiOperation, path: str, headers: dict[str, str], body: bytes | None
) -> Response:
    STATS["bad_input_requests"] += 1
    extra: dict[str, Any] = dict(headers)
    if body is not None:
        extra.update(data=body, content_type="application/json")
    elif operation.has_body:
        extra.update(data=json.dumps(example_body(operation)), content_type="application/json")
    response: Response = Client().generic(operation.method, path, **extra)
    return response


API_OPERATIONS = api_operations()


@pytest.mark.parametrize("operation", API_OPERATIONS, ids=lambda operation: operation.label)
def test_every_api_operation_refuses_malformed_and_oversized_input_and_changes_nothing(
    operation: ApiOperation, world: World
) -> None:
    headers, target = _api_persona(operation, world)
    values = world.values(target)
    path = operation.path(values)
    sent = 0
    problems: list[str | None] = []
    if operation.has_body:
        for variant, body in body_variants(operation):
            before = snapshot()
            response = _api_send(operation, path, headers, body)
            problems.append(refusal_problem(f"{operation.label} with {variant}", before, response))
            sent += 1
    for variant, query in query_variants(operation):
        before = snapshot()
        response = _api_send(operation, f"{path}?{urlencode(query)}", headers, None)
        problems.append(refusal_problem(f"{operation.label} with {variant}", before, response))
        sent += 1
    for name in operation.params:
        if name == "org" or not isinstance(values.get(name), int):
            continue
        for bad in ("not-a-number", 10**30):
            before = snapshot()
            broken = operation.path({**values, name: bad})
            response = _api_send(operation, broken, headers, None)
            what = f"{operation.label} with {name}={bad}"
            problems.append(refusal_problem(what, before, response))
            sent += 1
    if sent:
        STATS["bad_input_operations"] += 1
    assert_no_problems(problems)
