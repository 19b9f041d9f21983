def test_the_person_details_page_offers_erasure_to_the_data_protection_officer_only(
    dana, carol, north
):
    from django.urls import reverse
    from django_scopes import scopes_disabled

    from haven.casework.models import Person
    from tests.conftest import client_for

    with scopes_disabled():
        person = Person.objects.create(
            organisation=north, code="P-ERASE", last_activity_at="2026-01-01T00:00:00Z"
        )
    details = reverse("person_details", kwargs={"org": "north", "person_id": person.pk})
    erase = reverse("erase_person", kwargs={"org": "north", "person_id": person.pk})
    assert erase in client_for(dana).get(details).content.decode()
    assert erase not in client_for(carol).get(details).content.decode()
