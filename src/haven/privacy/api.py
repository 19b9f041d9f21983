"""API of the audit trail, for data protection officers."""

from datetime import date, datetime

from ninja import Query, Router, Schema
from pydantic import Field

from haven.accounts.tenancy import OrganisationRequest, api_organisation_operation
from haven.privacy import audit
from haven.privacy.access import audit_events_for

router = Router(tags=["audit"])


class AuditFilters(Schema):
    user: str | None = Field(None, max_length=150)
    action: str | None = Field(None, max_length=60)
    object_type: str | None = Field(None, max_length=60)
    object_id: str | None = Field(None, max_length=64)
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
    hash: str


@router.get("/orgs/{org}/audit", response=list[AuditEventOut], summary="Audit events, newest first")
@api_organisation_operation("audit.view")
def list_audit_events(
    request: OrganisationRequest, org: str, filters: Query[AuditFilters]
) -> list[AuditEventOut]:
    events = audit_events_for(request.organisation, filters.dict())
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
            hash=event.hash,
        )
        for event in events[: filters.limit]
    ]
    audit.record(
        "audit.viewed", actor=request.user, organisation=request.organisation, request=request
    )
    return result
