"""The directory's operations as /api/openapi.json describes them."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from ninja import Schema

from haven.organisations import api as directory_api


def _every_schema_class(base: type[Any]) -> list[type[Any]]:
    found: list[type[Any]] = []
    for subclass in base.__subclasses__():
        found.append(subclass)
        found.extend(_every_schema_class(subclass))
    return found


def test_no_directory_schema_shares_its_name_with_another_apps():
    # The OpenAPI components are keyed by class name: a second class of the same name
    # replaces the first, and the operation is documented with the other app's fields.
    importlib.import_module("haven.api.api")  # every app's operations, so every schema
    ours = {
        value.__name__
        for _name, value in inspect.getmembers(directory_api, inspect.isclass)
        if issubclass(value, Schema) and value.__module__ == directory_api.__name__
    }
    elsewhere = {
        cls.__name__
        for cls in _every_schema_class(Schema)
        if cls.__module__ != directory_api.__name__
    }
    assert ours & elsewhere == set()


def test_adding_a_member_is_documented_with_the_membership_fields(client):
    schema = client.get("/api/openapi.json").json()
    components = schema["components"]["schemas"]
    operation = schema["paths"]["/api/orgs/{org}/network/members"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    fields = components[body.rsplit("/", 1)[-1]]["properties"]
    assert {"organisation_id", "name", "category", "since"} <= set(fields)
    assert "household_id" not in fields
    refusal = operation["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
    assert components[refusal.rsplit("/", 1)[-1]]["properties"]["detail"] == {"title": "Detail"}
