"""The API's routes, nested by segment, resolve and reverse as the flat list did."""

from __future__ import annotations

import re

import pytest
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path, resolve, reverse

from haven.api.api import api, nested_by_segment

SAMPLE = {"int": "7", "uuid": "6f1d7c1e-4f5b-4a8e-9d6c-0b1e2f3a4b5c"}


def _sample_path(route: str) -> tuple[str, dict[str, str]]:
    kwargs: dict[str, str] = {}

    def fill(found: re.Match[str]) -> str:
        converter, _colon, name = found.group(1).rpartition(":")
        kwargs[name] = SAMPLE.get(converter, f"sample-{name}")
        return kwargs[name]

    return re.sub(r"<([^>]+)>", fill, route), kwargs


@pytest.mark.parametrize(
    "flat", api.urls[0], ids=lambda pattern: f"{pattern.name}:{pattern.pattern}"
)
def test_every_api_route_resolves_to_its_own_route_and_reverses_to_its_path(flat: URLPattern):
    url, kwargs = _sample_path(str(flat.pattern))
    match = resolve(f"/api/{url}")
    # Operations on one path with other methods share a view; the first pattern answers.
    first = next(p for p in api.urls[0] if str(p.pattern) == str(flat.pattern))
    assert isinstance(first, URLPattern)
    assert (match.url_name, match.route, match.kwargs) == (
        first.name,
        f"api/{flat.pattern}",
        kwargs,
    )
    assert reverse(f"api:{flat.name}", kwargs=kwargs) == f"/api/{url}"


def view(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


def test_a_level_that_mixes_a_parameter_with_literal_segments_stays_flat():
    patterns = [path("<org>/people", view, name="a"), path("me/people", view, name="b")]
    assert nested_by_segment(patterns) == patterns


def test_literal_segments_are_nested_and_a_few_routes_stay_flat():
    many = [path(f"orgs/<org>/things/{number}", view, name=f"t{number}") for number in range(20)]
    nested = nested_by_segment([*many, path("events/<event>", view, name="e")])
    assert [str(entry.pattern) for entry in nested] == ["orgs/", "events/"]
    # 20 routes under orgs/ are nested again (under <org>/, then things/); one stays flat.
    orgs, events = nested
    assert isinstance(orgs, URLResolver)
    assert isinstance(events, URLResolver)
    assert [str(entry.pattern) for entry in orgs.url_patterns] == ["<org>/"]
    assert [str(entry.pattern) for entry in events.url_patterns] == ["<event>"]
