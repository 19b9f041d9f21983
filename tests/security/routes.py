"""Every route of Haven, discovered from the URL configuration and the API's OpenAPI schema.

The authorisation matrix and the bad-input test both start here, so a route added
tomorrow is tested tomorrow without anyone editing a list. Third-party routes carry no
``AccessRule``; they are named in ``ALLOWED_WITHOUT_RULE`` with the reason they are safe.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from haven.accounts.tenancy import AccessRule, access_rule
from haven.api.api import api

_ACCOUNT = "allauth: sign-in, sign-up, password and e-mail pages; allauth guards them itself"
_MFA = "allauth: two-factor enrolment and checks; allauth requires a signed-in user itself"
_API_DOCS = "django-ninja: the API's description, public by design and holding no data"

# Routes that carry no AccessRule on purpose, by URL name (namespaced where they are).
ALLOWED_WITHOUT_RULE: dict[str, str] = {
    **dict.fromkeys(
        [
            "account_login",
            "account_logout",
            "account_inactive",
            "account_signup",
            "account_reauthenticate",
            "account_email",
            "account_email_verification_sent",
            "account_change_password",
            "account_set_password",
            "account_reset_password",
            "account_confirm_login_code",
            "account_confirm_email",
            "account_reset_password_from_key_done",
            "account_reset_password_from_key",
            "account_reset_password_done",
            "account_request_reauthentication_code",
            "account_confirm_reauthentication_code",
        ],
        _ACCOUNT,
    ),
    **dict.fromkeys(
        [
            "mfa_index",
            "mfa_authenticate",
            "mfa_reauthenticate",
            "mfa_activate_totp",
            "mfa_deactivate_totp",
            "mfa_view_recovery_codes",
            "mfa_generate_recovery_codes",
            "mfa_download_recovery_codes",
            "mfa_list_webauthn",
            "mfa_add_webauthn",
            "mfa_reauthenticate_webauthn",
            "mfa_remove_webauthn",
            "mfa_edit_webauthn",
            "mfa_login_webauthn",
        ],
        _MFA,
    ),
    "api:openapi-json": _API_DOCS,
    "api:openapi-view": _API_DOCS,
    "api:api-root": _API_DOCS,
}

_PLACEHOLDER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_API_PLACEHOLDER = re.compile(r"{(?P<name>[^}:]+)(?::[^}]*)?}")


@dataclass(frozen=True)
class WebRoute:
    """One Django URL pattern outside the API, with the rule its view declares."""

    name: str
    template: str
    converters: Mapping[str, Any]
    rule: AccessRule | None
    is_regex: bool

    @property
    def params(self) -> list[str]:
        return [m.group("name") for m in _PLACEHOLDER.finditer(self.template)]

    @property
    def label(self) -> str:
        return f"web {self.name or '(unnamed)'} /{self.template}"

    def path(self, values: Mapping[str, object]) -> str:
        def fill(match: re.Match[str]) -> str:
            name = match.group("name")
            converter = self.converters.get(name)
            value = values[name]
            return str(converter.to_url(value) if converter is not None else value)

        return "/" + _PLACEHOLDER.sub(fill, self.template)


@dataclass(frozen=True)
class ApiOperation:
    """One API operation (path and method), with the rule its function declares."""

    operation_id: str
    method: str
    template: str
    rule: AccessRule | None
    schema: Mapping[str, Any] = field(repr=False)

    @property
    def params(self) -> list[str]:
        return [m.group("name") for m in _API_PLACEHOLDER.finditer(self.template)]

    @property
    def label(self) -> str:
        return f"api {self.method} {self.template}"

    @property
    def has_body(self) -> bool:
        return "requestBody" in self.schema

    @property
    def query_parameters(self) -> list[Mapping[str, Any]]:
        return [p for p in self.schema.get("parameters", []) if p.get("in") == "query"]

    def path(self, values: Mapping[str, object]) -> str:
        return _API_PLACEHOLDER.sub(lambda m: str(values[m.group("name")]), self.template)


def _walk(
    patterns: list[URLPattern | URLResolver],
    prefix: str,
    converters: dict[str, Any],
    namespace: str,
    is_regex: bool,
) -> Iterator[WebRoute]:
    for pattern in patterns:
        own_regex = is_regex or not isinstance(pattern.pattern, RoutePattern)
        route = str(pattern.pattern)
        merged = {**converters, **getattr(pattern.pattern, "converters", {})}
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}{pattern.namespace}:"
            yield from _walk(pattern.url_patterns, prefix + route, merged, inner, own_regex)
        else:
            name = f"{namespace}{pattern.name}" if pattern.name else ""
            yield WebRoute(
                name=name,
                template=prefix + route,
                converters=merged,
                rule=access_rule(pattern.callback),
                is_regex=own_regex,
            )


def all_url_patterns() -> list[WebRoute]:
    """Every pattern Django resolves, the API's included."""
    return list(_walk(get_resolver().url_patterns, "", {}, "", is_regex=False))


def api_namespace() -> str:
    return f"{api.urls_namespace}:"


def web_routes() -> list[WebRoute]:
    """Every pattern outside the API; the API's own are checked through its operations."""
    return [r for r in all_url_patterns() if not r.name.startswith(api_namespace())]


def _bound_operations() -> Iterator[Any]:
    # django-ninja keeps the operations, with our decorators applied, on its bound routers.
    for router in api._get_bound_routers():
        for path_view in router.path_operations.values():
            yield from path_view.operations


def api_operation_url_names() -> set[str]:
    return {
        api_namespace() + (getattr(op, "url_name", "") or op.view_func.__name__)
        for op in _bound_operations()
    }


def api_operations() -> list[ApiOperation]:
    """Every operation of the API, as the OpenAPI schema describes it."""
    by_id = {api.get_openapi_operation_id(op): op for op in _bound_operations()}
    schema = openapi_schema()
    found: list[ApiOperation] = []
    for template, methods in schema["paths"].items():
        for method, operation_schema in methods.items():
            operation = by_id.get(operation_schema["operationId"])
            found.append(
                ApiOperation(
                    operation_id=operation_schema["operationId"],
                    method=method.upper(),
                    template=template,
                    rule=access_rule(operation.view_func) if operation is not None else None,
                    schema=operation_schema,
                )
            )
    return found


def bound_operation_count() -> int:
    """Operations (per method) that django-ninja routes, described in the schema or not."""
    return sum(len(op.methods) for op in _bound_operations())


@cache
def openapi_schema() -> Mapping[str, Any]:
    return api.get_openapi_schema()


def openapi_components() -> Mapping[str, Any]:
    components: Mapping[str, Any] = openapi_schema().get("components", {}).get("schemas", {})
    return components


def _resolve(schema: Mapping[str, Any], components: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


_FORMAT_EXAMPLES = {
    "email": "matrix@example.org",
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "uri": "https://example.org/",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


def example_for(schema: Mapping[str, Any], components: Mapping[str, Any]) -> Any:
    """A small valid value for a JSON schema: its example, default, or one built to fit."""
    schema = _resolve(schema, components)
    for key in ("examples", "example", "default"):
        if key in schema:
            value = schema[key]
            return value[0] if key == "examples" and isinstance(value, list) else value
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [_resolve(o, components) for o in schema[key]]
            chosen = next((o for o in options if o.get("type") != "null"), options[0])
            return example_for(chosen, components)
    if "allOf" in schema:
        return example_for(schema["allOf"][0], components)
    kind = schema.get("type", "object")
    if kind == "object":
        return {
            name: example_for(prop, components)
            for name, prop in schema.get("properties", {}).items()
            if name in schema.get("required", [])
        }
    if kind == "array":
        return [example_for(schema.get("items", {}), components)] * max(
            schema.get("minItems", 1), 1
        )
    if kind in ("integer", "number"):
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return False
    text = _FORMAT_EXAMPLES.get(schema.get("format", ""), "matrix")
    return text.ljust(schema.get("minLength", 0), "x")


def example_body(operation: ApiOperation) -> Any:
    """A valid body for the operation, so the matrix reaches its authorisation."""
    content = operation.schema["requestBody"]["content"]
    media = content.get("application/json") or next(iter(content.values()))
    return example_for(media["schema"], openapi_components())


def example_query(operation: ApiOperation) -> dict[str, Any]:
    """Values for the operation's required query parameters."""
    return {
        p["name"]: example_for(p.get("schema", {}), openapi_components())
        for p in operation.query_parameters
        if p.get("required")
    }
