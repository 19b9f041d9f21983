"""insert_rows: new rows in one INSERT, each value through its field as save() does it."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from haven.casework.models import Case
from haven.inserts import insert_rows, insert_statement
from haven.organisations.models import Organisation
from tests.encryption_app.models import Secret
from tests.marks import postgresql_only
from tests.privacy.test_encryption import make_secret, raw

pytestmark = pytest.mark.usefixtures("unscoped")


def test_rows_inserted_at_once_read_back_as_saved_ones(north):
    saved = make_secret(north, name="Saved", phone="+33 6 11 22 33 44")
    inserted = [
        Secret(organisation=north, name=f"Inserted {number}", phone="+33 6 11 22 33 44")
        for number in range(3)
    ]
    insert_rows(inserted)

    assert all(not row._state.adding and row._state.db == "default" for row in inserted)
    stored = {row.pk: row for row in Secret.objects.all()}
    assert [stored[row.pk].name for row in inserted] == ["Inserted 0", "Inserted 1", "Inserted 2"]
    # Sealed with the organisation's key and bound to its row, as save() seals...
    for row in inserted:
        assert raw(row.pk, "name").startswith("v1:")
        assert "Inserted" not in raw(row.pk, "name")
    # ... and the blind index computed from its source field, as save() computes it.
    assert {raw(row.pk, "phone_index") for row in inserted} == {raw(saved.pk, "phone_index")}


def test_a_refused_row_leaves_nothing_behind(north):
    first = make_secret(north, name="First")
    again = Secret(organisation=north, name="Same id")
    again.pk = first.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows([Secret(organisation=north, name="Fresh"), again])
    assert [row.name for row in Secret.objects.all()] == ["First"]


def test_a_model_whose_database_makes_the_key_is_refused(north):
    with pytest.raises(TypeError, match="primary key has no default"):
        insert_rows([Organisation(slug="made-here", name="Made here", country="FR")])
    assert not Organisation.objects.filter(slug="made-here").exists()


def test_a_computed_value_must_fill_a_column_of_the_model():
    with pytest.raises(TypeError, match="is not a column"):
        insert_statement(Case, 1, "default", computed=(("notes", "1"),))


@postgresql_only("Django binds parameters into the SQL on PostgreSQL unless told otherwise")
def test_on_postgresql_the_values_travel_apart_from_the_sql(north):
    with CaptureQueriesContext(connection) as queries:
        insert_rows([Secret(organisation=north, name="Apart from the SQL")])
    table = f'INSERT INTO "{Secret._meta.db_table}"'
    (insert,) = [query["sql"] for query in queries if query["sql"].startswith(table)]
    # Placeholders of the extended protocol, not the values quoted in by the client.
    assert "$1" in insert
    assert "v1:" not in insert
    assert Secret.objects.get().name == "Apart from the SQL"
