"""API of the audit trail, for data protection officers."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from haven.accounts.tenancy import OrganisationRequest, api_organisation_operation
from haven.api.schemas import form_field_check
from haven.privacy import audit
from haven.privacy.access import applied_filters, audit_events_for
from haven.privacy.forms import AuditFilterForm

router = Router(tags=["audit"])

# The codes of privacy.models.OUTCOME_LABELS (a test keeps the two equal): any other value
# is refused, as every list's filter refuses a value it does not know.
Outcome = Literal["ok", "refused", "forbidden", "not_found"]
# Checked by the page's own fields: lower case, as the trail records them.
ActionPrefix = Annotated[str, form_field_check(AuditFilterForm.base_fields["action"])]
ObjectType = Annotated[str, form_field_check(AuditFilterForm.base_fields["object_type"])]


class AuditFilters(Schema):
    user: str | None = Field(None, max_length=150, description="Username of the actor")
    action: ActionPrefix | None = Field(
        None, max_length=60, description="Action, or its start, in lower case: `auth.`"
    )
    object_type: ObjectType | None = Field(
        None, max_length=60, description="app.model in lower case: `casework.person`"
    )
    object_id: str | None = Field(None, max_length=64)
    outcome: Outcome | None = None
    since: date | None = None
    until: date | None = None
    before_seq: int | None = Field(None, ge=1, description="Page back: events older than this")
    limit: int = Field(100, ge=1, le=500)


class AuditEventOut(Schema):
    seq: int
    occurred_at: datetime
    actor: str | None
    action: str
    object_type: str
    object_id: str
    outcome: str
    ip_address: str | None
    details: dict[str, Any]
    hash: str


@router.get(
    "/orgs/{org}/audit",
    response=list[AuditEventOut],
    summary="Audit events, newest first",
    description=(
        "The organisation's audit trail, and the sign-ins and API tokens of its staff and "
        "former staff from the time they held a role there. Page back with `before_seq` set "
        "to the last `seq` received."
    ),
)
@api_organisation_operation("audit.view")
def list_audit_events(
    request: OrganisationRequest, org: str, filters: Query[AuditFilters]
) -> list[AuditEventOut]:
    if filters.since and filters.until and filters.since > filters.until:
        raise ValidationError(_("The start date is after the end date."))
    wanted = filters.model_dump(exclude={"before_seq", "limit"})
    events = audit_events_for(request.organisation, wanted)
    if filters.before_seq:
        events = events.filter(seq__lt=filters.before_seq)
    result = [
        AuditEventOut(
            seq=event.seq,
            occurred_at=event.occurred_at,
            actor=event.actor.username if event.actor else None,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            outcome=event.outcome,
            ip_address=event.ip_address,
            details=event.details,
            hash=event.hash,
        )
        for event in events[: filters.limit]
    ]
    audit.record(
        "audit.viewed",
        actor=request.user,
        organisation=request.organisation,
        details=applied_filters(filters.model_dump()),
        request=request,
    )
    return result
