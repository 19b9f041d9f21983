"""The trail page words outcomes for its reader and marks empty values; the API keeps codes."""

from __future__ import annotations

from django.urls import reverse

from haven.privacy import audit
from tests.conftest import bearer, client_for

TRAIL = reverse("audit_trail", kwargs={"org": "north"})


def test_outcomes_show_as_words_in_the_list_and_the_filter_but_stay_codes_in_the_api(
    dana, carol, north, client
):
    audit.record("access.refused", actor=carol, organisation=north, outcome="forbidden")
    audit.record("access.refused", actor=carol, organisation=north, outcome="not_found")
    audit.record("auth.login_failed", actor=None, target=carol, outcome="refused")
    audit.record("casework.person_viewed", actor=carol, organisation=north)
    response = client_for(dana).get(TRAIL)
    page = response.content.decode()
    for label in ("Not allowed by their roles", "Not found", "Refused", "Done"):
        assert f"<td>{label}</td>" in page
    for code in ("forbidden", "not_found", "refused", "ok"):
        assert f"<td>{code}</td>" not in page
    choices = dict(response.context["form"].fields["outcome"].choices)
    assert choices["forbidden"] == "Not allowed by their roles"
    assert choices["not_found"] == "Not found"
    events = client.get("/api/orgs/north/audit", **bearer(dana)).json()
    assert {"forbidden", "not_found", "refused", "ok"} <= {event["outcome"] for event in events}


def test_empty_detail_values_show_a_dash(dana, carol, north):
    audit.record(
        "casework.person_changed",
        actor=carol,
        organisation=north,
        details={"fields": [], "reason": ""},
    )
    page = client_for(dana).get(TRAIL).content.decode()
    assert "<dt>fields</dt><dd>—</dd>" in page
    assert "<dt>reason</dt><dd>—</dd>" in page
