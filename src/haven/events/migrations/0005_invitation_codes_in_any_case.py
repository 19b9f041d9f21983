"""Invitation codes are matched in any case: stored in capitals, unique per event in capitals.

Codes were drawn in mixed case (``secrets.token_urlsafe``), so two codes of one event could
differ only in case (practically never, but possible): then both cannot keep their text.
The one that keeps it is the active one, else the oldest. Each other one gets a suffix
("-2", "-3"…) and stays as it was otherwise (uses, label, not revoked); its holders, typing
the text they were given, reach the code that kept it, and the owner sees the new text on
the codes page and may send it. Nothing is revoked, so nothing here needs an audit event.
Going back leaves the codes in capitals: unique as they are, and a registrant types them
in capitals anyway.
"""

from typing import Any

import django.db.models.functions.text
from django.db import migrations, models


def normalised(code: str) -> str:
    # As haven.events.access.clean_invitation_code reads a typed code, frozen here.
    return "".join(code.split()).upper()


def codes_in_capitals(apps: Any, schema_editor: Any) -> None:
    invitation_code = apps.get_model("events", "InvitationCode")
    taken: dict[int, set[str]] = {}
    changed = []
    # Per event, the active codes first, then the oldest: the first keeps its text.
    for row in invitation_code.objects.order_by(
        "event_id", models.F("revoked_at").asc(nulls_first=True), "created_at", "pk"
    ):
        event_codes = taken.setdefault(row.event_id, set())
        text = normalised(row.code)
        number = 1
        while (candidate := text if number == 1 else f"{text[:36]}-{number}") in event_codes:
            number += 1
        event_codes.add(candidate)
        if candidate != row.code:
            row.code = candidate
            changed.append(row)
    invitation_code.objects.bulk_update(changed, ["code"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0004_event_withdrawal"),
    ]

    operations = [
        # The exact constraint goes first: "abc" put in capitals meets "ABC" until that one
        # has its suffix.
        migrations.RemoveConstraint(
            model_name="invitationcode",
            name="invitation_code_unique",
        ),
        migrations.RunPython(codes_in_capitals, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="invitationcode",
            constraint=models.UniqueConstraint(
                models.F("event"),
                django.db.models.functions.text.Upper("code"),
                name="invitation_code_unique_in_any_case",
            ),
        ),
    ]
