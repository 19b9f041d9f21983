"""The OpenAPI document, with who may call each operation and how it refuses.

Every operation declares its access rule in code (accounts/tenancy.py); the document is
drawn from those rules, so it cannot drift from what the server enforces.
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from haven.accounts.permissions import PERMISSIONS, Role, roles_with

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}

REFUSALS = {
    "401": "No valid personal token was sent.",
    "403": "The token's user lacks the permission, or must first set up two-factor authentication.",
    "404": "No such organisation or object, or one of another organisation.",
}


def who_may_call(rule: Any) -> str:
    """One sentence on who may call an operation with this access rule."""
    if rule is None or rule.kind == "public":
        return "Open to anyone, without a token."
    if rule.kind == "token":
        return "Any valid personal token."
    permission = rule.permission
    roles = ", ".join(str(Role(role).label) for role in roles_with(permission))
    return (
        f"Needs the permission `{permission}` ({PERMISSIONS[permission]}) in the "
        f"organisation `{{org}}`; granted by the roles: {roles}."
    )


class HavenAPI(NinjaAPI):
    """Haven's API: its document says, for each operation, who may call it and how it
    refuses."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        rules = {
            self.get_openapi_operation_id(operation): getattr(
                operation.view_func, "haven_access", None
            )
            for router in self._get_bound_routers()
            for path_view in router.path_operations.values()
            for operation in path_view.operations
        }
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        for methods in schema["paths"].values():
            for operation in methods.values():
                rule = rules.get(operation["operationId"])
                who = who_may_call(rule)
                description = operation.get("description", "")
                operation["description"] = f"{description}\n\n{who}" if description else who
                kind = getattr(rule, "kind", "public")
                refused = [] if kind == "public" else ["401"]
                if kind == "organisation":
                    refused += ["403", "404"]
                responses = operation.setdefault("responses", {})
                for status in refused:
                    responses.setdefault(
                        status,
                        {
                            "description": REFUSALS[status],
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Error"}
                                }
                            },
                        },
                    )
        return schema
