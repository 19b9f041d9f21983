"""A member's reports: asked, computed, typed in or uploaded, checked cell by cell, sent,
locked, corrected with a reason, and noised within a privacy budget."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from django_scopes import scopes_disabled
from openpyxl import Workbook

from haven.privacy.models import AuditEvent
from haven.reporting import actions
from haven.reporting.entry import from_file
from haven.reporting.models import Figure, PrivacyBudget, Revision, Submission
from haven.reporting.schema import BY_KEY, PERSON_CONTRIBUTION
from tests.conftest import client_for
from tests.reporting.conftest import build_casework
from tests.reporting.helpers import api_headers, sample_figures, submission_of

pytestmark = pytest.mark.django_db


def detail(submission: Submission) -> str:
    return reverse(
        "report_detail",
        kwargs={"org": submission.organisation.slug, "submission_id": submission.pk},
    )


def page(name: str, submission: Submission) -> str:
    return reverse(
        name, kwargs={"org": submission.organisation.slug, "submission_id": submission.pk}
    )


def test_a_new_period_asks_the_networks_members_and_not_its_partners(period, north, south, alice):
    with scopes_disabled():
        asked = set(
            Submission.objects.filter(period=period).values_list("organisation__slug", flat=True)
        )
        budgets = PrivacyBudget.objects.filter(period=period).count()
    assert asked == {"north"}
    assert budgets == 1
    response = client_for(alice).get(reverse("report_list", kwargs={"org": "north"}))
    assert response.status_code == 200
    assert period.label in response.content.decode()


def test_the_admin_computes_the_draft_and_sees_what_consent_left_out(
    period, north, alice, carol, quarter
):
    build_casework(north, carol, quarter, persons=30)
    submission = submission_of(north, period)
    client = client_for(alice)
    response = client.post(page("report_compute", submission))
    assert response.status_code == 302
    submission = submission_of(north, period)
    assert submission.status == "draft"
    assert submission.source == "computed"
    assert submission.left_out["persons"] > 0
    shown = client.get(detail(submission)).content.decode()
    assert 'id="left-out"' in shown
    assert f"{submission.left_out['persons']} persons" in shown
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="reporting.submission_computed").count() == 1


def test_figures_typed_in_are_kept_for_review(period, north, alice):
    submission = submission_of(north, period)
    response = client_for(alice).post(
        page("report_entry", submission),
        {
            "cell:persons.status|new": "12",
            "cell:services.quantity|food_parcel": "20.50",
            "open:persons.citizenship:0:category": "ro",
            "open:persons.citizenship:0:value": "7",
            "open:services.amount:0:category": "emergency_rent:eur",
            "open:services.amount:0:value": "1200.50",
        },
    )
    assert response.status_code == 302
    figures = actions.draft_figures(submission_of(north, period))
    assert figures["persons.status", "new"] == 12
    assert figures["persons.citizenship", "RO"] == 7
    assert figures["services.amount", "emergency_rent:EUR"] == Decimal("1200.50")
    assert figures["services.quantity", "food_parcel"] == Decimal("20.50")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("cell:persons.status|new", "-3", "Cannot be negative."),
        ("cell:persons.status|new", "twelve", "Write a number."),
        ("cell:persons.status|new", "2.5", "Write a whole number."),
        ("cell:persons.status|elderly", "4", "is not a category of this table"),
        ("cell:persons.height|tall", "4", "There is no table of this name."),
        ("cell:services.quantity|food_parcel", "1.005", "At most two digits after the point."),
    ],
)
def test_a_bad_cell_typed_in_gets_its_own_message_and_nothing_is_saved(
    period, north, alice, name, value, message
):
    submission = submission_of(north, period)
    response = client_for(alice).post(
        page("report_entry", submission),
        {"cell:persons.status|continuing": "5", name: value},
    )
    assert response.status_code == 400
    errors = response.content.decode().split('id="entry-errors"')[1]
    assert message in errors
    # The cell is named: by its table and category where the table exists, else by its key.
    table_key = name.split(":", 1)[1].partition("|")[0]
    named = BY_KEY[table_key].title if table_key in BY_KEY else name.split(":", 1)[1]
    assert escape(str(named)) in errors
    assert submission_of(north, period).draft == {}


def test_a_refused_cell_typed_in_is_named_as_the_form_shows_it(period, north, alice):
    submission = submission_of(north, period)
    response = client_for(alice).post(
        page("report_entry", submission), {"cell:persons.status|new": "-3"}
    )
    assert response.status_code == 400
    errors = response.content.decode().split('id="entry-errors"')[1].split("</div>")[0]
    assert (
        "Persons supported, new and continuing — New in the period</a>: Cannot be negative."
        in errors
    )
    assert "persons.status|new" not in errors.replace('href="#cell:persons.status|new"', "")
    # The list links to the box, and the box says it is refused (and why, by reference).
    assert '<a href="#cell:persons.status|new">' in errors
    body = response.content.decode()
    assert (
        'id="cell:persons.status|new" name="cell:persons.status|new" value="-3" '
        'aria-invalid="true" aria-describedby="entry-errors"'
    ) in body
    assert body.count('aria-invalid="true"') == 1


def test_a_refused_row_of_a_file_is_named_by_its_key_and_its_label(period, north, alice):
    entry = from_file(b"table,category,value\npersons.status,new,-3\n")
    (error,) = entry.errors
    assert (error.row, error.cell) == (2, "persons.status|new")
    assert error.place == "Persons supported, new and continuing — New in the period"


def test_an_open_row_needs_a_real_country_or_currency(period, north, alice):
    submission = submission_of(north, period)
    response = client_for(alice).post(
        page("report_entry", submission),
        {
            "open:persons.citizenship:0:category": "Atlantis",
            "open:persons.citizenship:0:value": "3",
            "open:services.amount:0:category": "emergency_rent:XYZ",
            "open:services.amount:0:value": "10",
            "open:services.amount:1:category": "",
            "open:services.amount:1:value": "10",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "is not an ISO 3166 country code" in body
    assert "ISO 4217" in body
    assert "Give the category of this value" in body
    assert submission_of(north, period).draft == {}


def _csv(rows: list[str]) -> bytes:
    return ("\n".join(["table,category,value,label", *rows]) + "\n").encode()


def test_an_uploaded_csv_in_the_download_shape_becomes_the_draft(period, north, alice):
    submission = submission_of(north, period)
    client = client_for(alice)
    actions.save_figures(
        actor=alice, submission=submission, figures=sample_figures(), source="manual"
    )
    downloaded = client.get(page("report_download", submission) + "?format=csv")
    assert downloaded.status_code == 200
    upload = io.BytesIO(downloaded.content)
    upload.name = "figures.csv"
    response = client.post(page("report_upload", submission), {"file": upload})
    assert response.status_code == 302
    kept = submission_of(north, period)
    assert kept.source == "upload"
    assert actions.draft_figures(kept) == {
        **actions.draft_figures(submission_of(north, period)),
    }
    assert actions.draft_figures(kept)["services.amount", "emergency_rent:EUR"] == Decimal(
        "4500.50"
    )


def test_an_uploaded_xlsx_is_read_too(period, north, alice):
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["table", "category", "value"])
    sheet.append(["persons.status", "new", 9])
    sheet.append(["calls.channel", "sms", 3])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "figures.xlsx"
    submission = submission_of(north, period)
    response = client_for(alice).post(page("report_upload", submission), {"file": buffer})
    assert response.status_code == 302
    figures = actions.draft_figures(submission_of(north, period))
    assert figures["persons.status", "new"] == 9
    assert figures["calls.channel", "sms"] == 3


def test_a_file_with_bad_cells_is_refused_row_by_row_and_nothing_is_saved(period, north, alice):
    submission = submission_of(north, period)
    upload = io.BytesIO(
        _csv(
            [
                "persons.status,new,12,",
                "persons.status,new,4,",
                "persons.gender,Feminine,-1,",
                "persons.gender,Feminine2,1,",
                "calls.channel,phone,lots,",
                "nonsense,x,1,",
            ]
        )
    )
    upload.name = "figures.csv"
    response = client_for(alice).post(page("report_upload", submission), {"file": upload})
    assert response.status_code == 400
    body = response.content.decode()
    for row, message in (
        (3, "This cell appears twice."),
        (4, "Cannot be negative."),
        (5, "is not a category of this table"),
        (6, "Write a number."),
        (7, "There is no table of this name."),
    ):
        assert f"Row {row}" in body
        assert message in body
    assert submission_of(north, period).draft == {}


def test_a_file_with_unknown_columns_or_no_rows_is_refused(period, north, alice):
    submission = submission_of(north, period)
    client = client_for(alice)
    for content, message in (
        (b"table,category,amount\npersons.status,new,1\n", "Unknown column."),
        (b"table,category,value\n", "The file has no rows under its header."),
        (b"\x00\x01binary", "binary data"),
    ):
        upload = io.BytesIO(content)
        upload.name = "figures.csv"
        response = client.post(page("report_upload", submission), {"file": upload})
        assert response.status_code == 400
        assert message in response.content.decode()
    assert submission_of(north, period).draft == {}


def _send(client, submission, reason=""):
    return client.post(page("report_send", submission), {"reason": reason})


def test_a_sent_submission_is_locked_and_a_correction_needs_a_reason(plain_period, north, alice):
    period = plain_period
    submission = submission_of(north, period)
    client = client_for(alice)
    actions.save_figures(
        actor=alice, submission=submission, figures=sample_figures(), source="manual"
    )
    assert _send(client, submission).status_code == 302
    sent = submission_of(north, period)
    assert sent.status == "sent"

    # Locked: no new figures, no second sending.
    refused = client.post(page("report_entry", sent), {"cell:persons.status|new": "99"})
    assert refused.status_code == 400
    assert "locked" in refused.content.decode()
    assert _send(client, sent).status_code == 400
    assert actions.draft_figures(submission_of(north, period))["persons.status", "new"] == 20

    # A correction: unlock, change, and send with a reason.
    assert client.get(page("report_correct", sent)).status_code == 200
    assert client.post(page("report_correct", sent)).status_code == 302
    figures = {**sample_figures(), ("persons.status", "new"): Decimal(25)}
    actions.save_figures(actor=alice, submission=sent, figures=figures, source="manual")
    no_reason = _send(client, sent)
    assert no_reason.status_code == 400
    assert "Say why the figures are corrected." in no_reason.content.decode()
    assert _send(client, sent, "Five intakes were typed twice.").status_code == 302
    with scopes_disabled():
        revisions = list(Revision.objects.filter(submission=sent).order_by("number"))
        current = Figure.objects.get(
            revision__is_current=True,
            revision__submission=sent,
            table="persons.status",
            category="new",
        )
    assert [(r.number, r.is_current) for r in revisions] == [(1, False), (2, True)]
    assert revisions[1].reason == "Five intakes were typed twice."
    assert current.value == 25
    # Without differential privacy the figures leave as they are.
    assert revisions[0].epsilon == 0


def test_sending_under_differential_privacy_noises_every_person_count_and_spends_budget(
    period, north, alice
):
    submission = submission_of(north, period)
    actions.save_figures(
        actor=alice, submission=submission, figures=sample_figures(), source="manual"
    )
    revision = actions.send_submission(actor=alice, submission=submission_of(north, period))
    assert revision.epsilon == Decimal("1.00")
    assert revision.noise_scale == Decimal(PERSON_CONTRIBUTION)
    with scopes_disabled():
        sent = {(f.table, f.category): f.value for f in Figure.objects.filter(revision=revision)}
        budget = PrivacyBudget.objects.get(organisation=north, period=period)
    assert budget.spent == Decimal("1.00")
    # Activity figures leave unchanged; every person cell got noise, zeros and countries too.
    assert sent["services.deliveries", "food_parcel"] == 120
    assert sent["services.amount", "emergency_rent:EUR"] == Decimal("4500.50")
    person_cells = [cell for cell in sent if cell[0].startswith("persons.")]
    assert len(person_cells) > 45  # of 62 cells, a few noised to exactly 0 (not stored)
    citizenship = {cell[1] for cell in person_cells if cell[0] == "persons.citizenship"}
    # The countries of the network's members, then everyone else.
    assert citizenship <= {"FR", "ES", "BE", "other", "unknown"}


def test_when_the_privacy_budget_is_spent_no_further_correction_leaves(period, north, alice):
    client = client_for(alice)
    submission = submission_of(north, period)
    actions.save_figures(
        actor=alice, submission=submission, figures=sample_figures(), source="manual"
    )
    actions.send_submission(actor=alice, submission=submission)
    actions.start_correction(actor=alice, submission=submission)
    # A correction begun while the budget still covered it meets the spent budget on sending.
    actions.spend_budget(organisation=north, period=period, epsilon=period.epsilon)
    response = _send(client, submission, "Second correction")
    assert response.status_code == 400
    assert "privacy budget of this period is spent" in response.content.decode()
    with scopes_disabled():
        assert Revision.objects.filter(submission=submission).count() == 1
        assert PrivacyBudget.objects.get(organisation=north, period=period).spent == 2


def _spent(period, north, alice) -> Submission:
    """North's report, sent and corrected once: its budget of 2 is spent."""
    submission = submission_of(north, period)
    actions.save_figures(
        actor=alice, submission=submission, figures=sample_figures(), source="manual"
    )
    actions.send_submission(actor=alice, submission=submission)
    actions.start_correction(actor=alice, submission=submission)
    actions.send_submission(actor=alice, submission=submission, reason="First correction")
    return submission_of(north, period)


def test_no_correction_starts_once_the_budget_could_not_pay_for_sending_it(period, north, alice):
    submission = _spent(period, north, alice)
    client = client_for(alice)
    shown = client.get(detail(submission)).content.decode()
    assert "Correct these figures" not in shown
    assert "these figures can no longer be corrected" in shown
    asked = client.get(page("report_correct", submission)).content.decode()
    assert "Start a correction" not in asked
    refused = client.post(page("report_correct", submission))
    assert refused.status_code == 400
    body = refused.content.decode()
    assert 'role="alert"' in body
    assert "a correction could not be sent, so none can be started" in body
    api = Client().post(
        f"/api/orgs/north/reports/{submission.pk}/correction", headers=api_headers(alice)
    )
    assert api.status_code == 400
    assert "none can be started" in api.json()["detail"]["__all__"][0]
    assert submission_of(north, period).status == "sent"


def test_a_correction_in_progress_can_be_cancelled_and_the_report_is_sent_as_it_was(
    plain_period, north, alice
):
    submission = submission_of(north, plain_period)
    actions.save_figures(
        actor=alice, submission=submission, figures=sample_figures(), source="manual"
    )
    actions.send_submission(actor=alice, submission=submission)
    sent = submission_of(north, plain_period)
    client = client_for(alice)
    assert client.post(page("report_correct", sent)).status_code == 302
    assert "Cancel the correction" in client.get(detail(sent)).content.decode()
    assert "Keep correcting" in client.get(page("report_correct_cancel", sent)).content.decode()
    changed = {**sample_figures(), ("persons.status", "new"): Decimal(99)}
    actions.save_figures(actor=alice, submission=sent, figures=changed, source="manual")

    assert client.post(page("report_correct_cancel", sent)).status_code == 302
    back = submission_of(north, plain_period)
    assert back.status == "sent"
    assert back.draft == sent.draft
    assert (back.source, back.prepared_at) == (sent.source, sent.prepared_at)
    assert "Cancel the correction" not in client.get(detail(back)).content.decode()
    # Nothing to cancel now, by the page or the API; the API cancels one as the page does.
    assert client.post(page("report_correct_cancel", back)).status_code == 400
    url = f"/api/orgs/north/reports/{back.pk}/correction"
    assert Client().delete(url, headers=api_headers(alice)).status_code == 400
    assert Client().post(url, headers=api_headers(alice)).json()["status"] == "draft"
    cancelled = Client().delete(url, headers=api_headers(alice))
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "sent"
    assert cancelled.json()["state"] == "sent"
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="reporting.correction_cancelled").count() == 2


def test_nothing_to_send_before_figures_are_prepared(period, north, alice):
    submission = submission_of(north, period)
    response = _send(client_for(alice), submission)
    assert response.status_code == 400
    assert "nothing to send yet" in response.content.decode()


def test_a_caseworker_cannot_send_reports_and_another_member_gets_404(period, north, carol, bob):
    submission = submission_of(north, period)
    assert client_for(carol).get(detail(submission)).status_code == 403
    assert client_for(bob).get(detail(submission)).status_code == 404
    assert (
        client_for(bob)
        .get(reverse("report_detail", kwargs={"org": "south", "submission_id": submission.pk}))
        .status_code
        == 404
    )


def test_computing_a_sent_report_again_is_refused_with_a_clear_400(period, north, alice):
    submission = submission_of(north, period)
    actions.save_figures(
        actor=alice, submission=submission, figures=sample_figures(), source="manual"
    )
    actions.send_submission(actor=alice, submission=submission_of(north, period))
    response = client_for(alice).post(page("report_compute", submission))
    assert response.status_code == 400
    assert "locked" in response.content.decode()


def test_the_reason_for_a_correction_is_asked_only_of_a_correction(plain_period, north, alice):
    submission = submission_of(north, plain_period)
    actions.save_figures(
        actor=alice, submission=submission, figures=sample_figures(), source="manual"
    )
    client = client_for(alice)
    assert "Reason for the correction" not in client.get(detail(submission)).content.decode()
    actions.send_submission(actor=alice, submission=submission_of(north, plain_period))
    actions.start_correction(actor=alice, submission=submission_of(north, plain_period))
    assert "Reason for the correction" in client.get(detail(submission)).content.decode()


def test_a_refused_sending_says_why_at_the_top_of_the_page_with_a_link_to_the_field(
    plain_period, north, alice
):
    submission = submission_of(north, plain_period)
    actions.save_figures(
        actor=alice, submission=submission, figures=sample_figures(), source="manual"
    )
    actions.send_submission(actor=alice, submission=submission_of(north, plain_period))
    actions.start_correction(actor=alice, submission=submission_of(north, plain_period))
    response = _send(client_for(alice), submission)
    assert response.status_code == 400
    body = response.content.decode()
    alert = body.index('role="alert"')
    # Before the figures, not thousands of pixels down under them.
    assert alert < body.index("<h2>")
    top = body[alert : body.index("</div>", alert)]
    assert '<a href="#id_reason">Reason for the correction</a>' in top
    assert "Say why the figures are corrected." in top
    assert 'id="id_reason"' in body


def test_the_api_takes_json_numbers_and_names_a_cell_it_cannot_take(period, north, alice):
    submission = submission_of(north, period)
    url = f"/api/orgs/north/reports/{submission.pk}/figures"

    def put(cells: list[dict[str, object]]):
        return Client().put(
            url, data=json.dumps({"cells": cells}), content_type="application/json",
            headers=api_headers(alice),
        )  # fmt: skip

    refused = put(
        [
            {"table": "persons.status", "category": "new", "value": 5},
            {"table": "persons.status", "category": "continuing", "value": 2.5},
            {"table": "calls.channel", "category": "phone", "value": True},
        ]
    )
    assert refused.status_code == 400
    errors = {error["cell"]: error["message"] for error in refused.json()["errors"]}
    assert errors == {
        "persons.status|continuing": "Write a whole number.",
        "calls.channel|phone": "Write a number.",
    }
    assert submission_of(north, period).draft == {}

    kept = put(
        [
            {"table": "persons.status", "category": "new", "value": 5},
            {"table": "persons.status", "category": "continuing", "value": None},
            {"table": "services.amount", "category": "emergency_rent:EUR", "value": 1200.5},
            {"table": "calls.channel", "category": "phone", "value": "7"},
        ]
    )
    assert kept.status_code == 200, kept.content
    figures = actions.draft_figures(submission_of(north, period))
    assert figures["persons.status", "new"] == 5
    assert figures["persons.status", "continuing"] == 0
    assert figures["services.amount", "emergency_rent:EUR"] == Decimal("1200.50")
    assert figures["calls.channel", "phone"] == 7


def test_correcting_a_report_not_sent_is_refused_in_the_words_of_the_page(period, north, alice):
    submission = submission_of(north, period)
    refused = Client().post(
        f"/api/orgs/north/reports/{submission.pk}/correction", headers=api_headers(alice)
    )
    assert refused.status_code == 400
    assert refused.json()["detail"]["__all__"] == ["Only a sent report can be corrected."]
    shown = client_for(alice).post(page("report_correct", submission))
    assert "Only a sent report can be corrected." in shown.content.decode()
