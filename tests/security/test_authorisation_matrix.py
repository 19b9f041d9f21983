"""The authorisation matrix, generated from the URL configuration and the OpenAPI schema.

Every route is asked for by an anonymous visitor, by users of other organisations (who
must get 404, never 403), and by a user holding each single role of the target
organisation (403 without the route's permission, access with it). A route whose view
declares no rule, or whose URL names an object the world below cannot fill, fails here:
new routes are covered the day they are added.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from haven.accounts.permissions import ROLE_PERMISSIONS, assignable_roles
from haven.accounts.tenancy import AccessRule
from haven.organisations.models import Organisation
from tests.security.conftest import (
    PARAMETER_VALUES,
    STATS,
    USER_OWNED_PARAMETERS,
    World,
    send,
    web_client,
)
from tests.security.routes import (
    ALLOWED_WITHOUT_RULE,
    ApiOperation,
    WebRoute,
    all_url_patterns,
    api_namespace,
    api_operation_url_names,
    api_operations,
    bound_operation_count,
    example_body,
    example_query,
    web_routes,
)

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

WEB_ROUTES = [route for route in web_routes() if route.name not in ALLOWED_WITHOUT_RULE]
API_OPERATIONS = api_operations()

DECORATE_WEB = (
    "decorate its view with organisation_view('<permission>'), user_view or public_view "
    "from haven.accounts.tenancy (or, for a third-party route, name it in "
    "ALLOWED_WITHOUT_RULE in tests/security/routes.py with the reason it is safe)"
)
DECORATE_API = (
    "decorate its function (below the @router.<method> line) with "
    "api_organisation_operation('<permission>'), api_user_operation or api_public_operation "
    "from haven.accounts.tenancy"
)


def _fill(label: str, params: list[str], world: World, target: Organisation) -> dict[str, object]:
    unknown = [name for name in params if name not in PARAMETER_VALUES]
    if unknown:
        pytest.fail(
            f"{label}: the matrix cannot fill the URL parameter(s) {', '.join(unknown)}; "
            "add a fixture value for each in PARAMETER_VALUES in tests/security/conftest.py "
            "(an object of the target organisation)"
        )
    return world.values(target)


def _describe(response: Response) -> str:
    location = response.get("Location", "")
    body = response.content[:300].decode(errors="replace") if not location else ""
    return f"{response.status_code} {location}{body}".strip()


def _assert_signed_out(label: str, response: Response, *, api: bool) -> None:
    if api:
        assert response.status_code == 401, f"{label}, no token: {_describe(response)}"
    else:
        assert response.status_code == 302, f"{label}, signed out: {_describe(response)}"
        login = reverse("account_login")
        assert response["Location"].startswith(login), (
            f"{label}, signed out: redirected to {response['Location']}, not {login}"
        )


def _assert_not_found(label: str, who: str, response: Response) -> None:
    assert response.status_code == 404, (
        f"{label} as {who}: expected 404 (never 403, never a page), got {_describe(response)}"
    )


def _assert_forbidden(label: str, who: str, response: Response) -> None:
    assert response.status_code == 403, f"{label} as {who}: expected 403, got {_describe(response)}"


def _assert_allowed(label: str, who: str, response: Response, *, may_404: bool) -> None:
    refused = {401, 403} if may_404 else {401, 403, 404}
    message = f"{label} as {who}: expected access, got {_describe(response)}"
    assert response.status_code not in refused, message
    assert response.status_code < 500, message


def _web(client: Client, path: str) -> Response:
    """GET, or POST with an empty body if the view only answers POST."""
    response = send(client, "get", path, count="matrix_requests")
    if response.status_code == 405:
        response = send(client, "post", path, count="matrix_requests")
    return response


def _api(operation: ApiOperation, path: str, headers: dict[str, str]) -> Response:
    """The operation with a valid body and query, so what answers is its authorisation."""
    extra: dict[str, Any] = dict(headers)
    if operation.has_body:
        extra.update(data=json.dumps(example_body(operation)), content_type="application/json")
    query = example_query(operation)
    if query:
        path = f"{path}?{urlencode(query, doseq=True)}"
    return send(Client(), operation.method, path, count="matrix_requests", **extra)


def _outsiders(world: World, target: Organisation) -> list[Any]:
    """Bob has every role in south; the other one belongs to the target's own network."""
    return [world.bob, world.cora if target == world.north else world.alice]


def _check_organisation_route(
    label: str,
    rule: AccessRule,
    params: list[str],
    world: World,
    ask: Any,
    *,
    api: bool,
) -> None:
    assert "org" in params, (
        f"{label}: an organisation rule needs the organisation in the URL; "
        "mount the page under o/<slug:org>/ (the API path under /orgs/{org}/)"
    )
    permission = rule.permission
    assert permission is not None
    target = world.target_for(permission)
    path_values = _fill(label, params, world, target)
    _assert_signed_out(label, ask(None, path_values), api=api)
    for outsider in _outsiders(world, target):
        _assert_not_found(
            label, f"{outsider.username} of another organisation", ask(outsider, path_values)
        )
    for role in assignable_roles(target.kind):
        who = f"a {role} of {target.slug}"
        response = ask(world.member(role, target), path_values)
        if permission in ROLE_PERMISSIONS[role]:
            _assert_allowed(label, who, response, may_404=False)
        else:
            _assert_forbidden(label, who, response)


def _check_personal_route(
    label: str, params: list[str], world: World, ask: Any, *, api: bool
) -> None:
    path_values = _fill(label, params, world, world.north)
    _assert_signed_out(label, ask(None, path_values), api=api)
    if USER_OWNED_PARAMETERS & set(params):
        _assert_allowed(label, "the owner", ask(world.alice, path_values), may_404=False)
        _assert_not_found(label, "another user", ask(world.bob, path_values))
    else:
        for user in (world.alice, world.bob):
            _assert_allowed(label, user.username, ask(user, path_values), may_404=True)


def _check_public_route(label: str, params: list[str], world: World, ask: Any) -> None:
    path_values = _fill(label, params, world, world.north)
    for who, user in (("an anonymous visitor", None), ("bob", world.bob)):
        _assert_allowed(label, who, ask(user, path_values), may_404=True)


@pytest.mark.parametrize("route", WEB_ROUTES, ids=lambda route: route.label)
def test_every_page_answers_each_persona_as_its_rule_says(route: WebRoute, world: World) -> None:
    STATS["matrix_routes"] += 1
    STATS["matrix_web"] += 1
    label = route.label
    rule = route.rule
    if rule is None:
        pytest.fail(f"{label} declares no access rule: {DECORATE_WEB}")
    assert not route.is_regex, f"{label}: use path(), not re_path(), so the matrix can fill it"

    def ask(user: Any, values: dict[str, object]) -> Response:
        return _web(web_client(user), route.path(values))

    if rule.kind == "organisation":
        _check_organisation_route(label, rule, route.params, world, ask, api=False)
    elif rule.kind == "user":
        _check_personal_route(label, route.params, world, ask, api=False)
    elif rule.kind == "public":
        _check_public_route(label, route.params, world, ask)
    else:
        pytest.fail(f"{label}: the rule {rule.kind!r} is for API operations; {DECORATE_WEB}")


@pytest.mark.parametrize("operation", API_OPERATIONS, ids=lambda operation: operation.label)
def test_every_api_operation_answers_each_persona_as_its_rule_says(
    operation: ApiOperation, world: World
) -> None:
    STATS["matrix_routes"] += 1
    STATS["matrix_api"] += 1
    label = operation.label
    rule = operation.rule
    if rule is None:
        pytest.fail(f"{label} ({operation.operation_id}) declares no access rule: {DECORATE_API}")

    def ask(user: Any, values: dict[str, object]) -> Response:
        headers = world.bearer(user) if user is not None else {}
        return _api(operation, operation.path(values), headers)

    if rule.kind == "organisation":
        _check_organisation_route(label, rule, operation.params, world, ask, api=True)
    elif rule.kind == "token":
        _check_personal_route(label, operation.params, world, ask, api=True)
    elif rule.kind == "public":
        _check_public_route(label, operation.params, world, ask)
    else:
        pytest.fail(f"{label}: the rule {rule.kind!r} is for pages; {DECORATE_API}")


def test_the_matrix_finds_pages_and_operations_of_every_kind() -> None:
    web_kinds = {route.rule.kind for route in WEB_ROUTES if route.rule is not None}
    api_kinds = {op.rule.kind for op in API_OPERATIONS if op.rule is not None}
    assert {"organisation", "user", "public"} <= web_kinds
    assert {"organisation", "token", "public"} <= api_kinds
    assert len(WEB_ROUTES) > 5
    assert len(API_OPERATIONS) > 5


def test_every_api_operation_is_in_the_openapi_description() -> None:
    described = sum(1 for _operation in API_OPERATIONS)
    assert described == bound_operation_count(), (
        "an API operation is missing from the OpenAPI description (include_in_schema=False?), "
        "so the matrix cannot see it"
    )
    assert all(op.rule is not None or op.operation_id for op in API_OPERATIONS)


def test_every_api_url_is_an_operation_or_named_in_the_allow_list() -> None:
    operations = api_operation_url_names()
    api_urls = [r for r in all_url_patterns() if r.name.startswith(api_namespace())]
    unknown = [
        r.label for r in api_urls if r.name not in operations and r.name not in ALLOWED_WITHOUT_RULE
    ]
    assert api_urls
    assert not unknown, f"API URLs that are neither operations nor allow-listed: {unknown}"


def test_the_allow_list_names_only_routes_that_exist_and_carry_no_rule() -> None:
    routes = {route.name: route for route in all_url_patterns()}
    stale = sorted(name for name in ALLOWED_WITHOUT_RULE if name not in routes)
    ruled = sorted(
        name for name in ALLOWED_WITHOUT_RULE if name in routes and routes[name].rule is not None
    )
    assert not stale, f"no such route; take it off ALLOWED_WITHOUT_RULE: {stale}"
    assert not ruled, f"these declare a rule, so the matrix tests them; unlist them: {ruled}"


def test_allow_listed_pages_without_parameters_do_not_fail_for_a_visitor(world: World) -> None:
    routes = [
        route
        for route in web_routes()
        if route.name in ALLOWED_WITHOUT_RULE and not route.params and not route.is_regex
    ]
    assert routes
    for route in routes:
        for user in (None, world.bob):
            response = send(web_client(user), "get", route.path({}), count="matrix_requests")
            assert response.status_code < 500, f"{route.label}: {_describe(response)}"


def test_another_users_api_token_cannot_be_revoked(world: World) -> None:
    path = reverse("api_token_revoke", kwargs={"token_id": world.owner_token.pk})
    response = send(web_client(world.bob), "post", path, count="matrix_requests")
    assert response.status_code == 404
    world.owner_token.refresh_from_db()
    assert world.owner_token.revoked_at is None
    assert web_client(world.alice).post(path).status_code == 302
    world.owner_token.refresh_from_db()
    assert world.owner_token.revoked_at is not None
