"""The OpenAPI document names each schema once: two classes of one name would be published
as one, and a client generated from it would read one app's answers with another's shape."""

from __future__ import annotations

from collections import defaultdict

from ninja import Schema

from haven.api.api import api


def _schema_classes() -> list[type[Schema]]:
    found: list[type[Schema]] = []
    todo: list[type[Schema]] = [Schema]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("haven."):
                found.append(sub)
    return found


def test_no_two_schema_classes_share_a_published_name() -> None:
    published = set(api.get_openapi_schema()["components"]["schemas"])
    by_name: dict[str, set[str]] = defaultdict(set)
    for cls in _schema_classes():
        by_name[cls.__name__].add(f"{cls.__module__}.{cls.__qualname__}")
    clashes = {
        name: sorted(paths)
        for name, paths in by_name.items()
        if name in published and len(paths) > 1
    }
    assert clashes == {}


def test_each_operation_says_who_may_call_it_and_how_it_refuses() -> None:
    paths = api.get_openapi_schema()["paths"]
    persons = paths["/api/orgs/{org}/persons"]["get"]
    assert "`casework.view_person`" in persons["description"]
    assert "Caseworker" in persons["description"]
    assert {"401", "403", "404"} <= set(persons["responses"])
    me = paths["/api/me"]["get"]
    assert "Any valid personal token" in me["description"]
    assert "403" not in me["responses"]
    public = [
        operation
        for methods in paths.values()
        for operation in methods.values()
        if "Open to anyone" in operation["description"]
    ]
    assert public
    assert all("401" not in operation["responses"] for operation in public)
    undocumented = [
        operation["operationId"]
        for methods in paths.values()
        for operation in methods.values()
        if not operation.get("description")
    ]
    assert undocumented == []
