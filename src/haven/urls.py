"""Every route of Haven. Each view declares who may reach it (accounts/tenancy.py)."""

from __future__ import annotations

from django.urls import include, path

from haven.accounts.urls import organisation_urlpatterns as accounts_organisation_urls
from haven.accounts.views import no_email_management
from haven.api.api import api_urls
from haven.casework.urls import organisation_urlpatterns as casework_organisation_urls
from haven.events.urls import organisation_urlpatterns as events_organisation_urls
from haven.events.urls import public_urlpatterns as events_public_urls
from haven.helpline.urls import organisation_urlpatterns as helpline_organisation_urls
from haven.letters.urls import organisation_urlpatterns as letters_organisation_urls
from haven.letters.urls import public_urlpatterns as letters_public_urls
from haven.news.urls import organisation_urlpatterns as news_organisation_urls
from haven.news.urls import public_urlpatterns as news_public_urls
from haven.organisations.urls import organisation_urlpatterns as organisations_organisation_urls
from haven.organisations.urls import public_urlpatterns as organisations_public_urls
from haven.petitions.urls import organisation_urlpatterns as petitions_organisation_urls
from haven.petitions.urls import public_urlpatterns as petitions_public_urls
from haven.privacy.urls import organisation_urlpatterns as privacy_organisation_urls
from haven.records.urls import organisation_urlpatterns as records_organisation_urls
from haven.reporting.urls import organisation_urlpatterns as reporting_organisation_urls
from haven.reporting.urls import public_urlpatterns as reporting_public_urls
from haven.services.urls import organisation_urlpatterns as services_organisation_urls
from haven.shelter.urls import organisation_urlpatterns as shelter_organisation_urls
from haven.views import health, set_language
from haven.workspace.urls import organisation_urlpatterns as workspace_organisation_urls

# Django tries these in order, and no other route begins with "api/": the API, which the
# public rushes reach (registrations, signatures), comes first and is not compared with
# the pages' routes (14 µs of a registration's request, bench/registration_rush.py).
urlpatterns = [
    path("api/", api_urls()),
    path("", include("haven.accounts.urls")),
    # Before allauth's own page of that name, which stays out of reach (see the view).
    path("accounts/email/", no_email_management, name="account_email"),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("healthz", health, name="health"),
    path("outbox/", include("haven.mail.urls")),
    path("networks/", include(organisations_public_urls)),
    path("letters/", include(letters_public_urls)),
    path("petitions/", include(petitions_public_urls)),
    path("events/", include(events_public_urls)),
    path("news/", include(news_public_urls)),
    path("networks/", include(reporting_public_urls)),
    path(
        "o/<slug:org>/",
        include(
            accounts_organisation_urls
            + organisations_organisation_urls
            + privacy_organisation_urls
            + workspace_organisation_urls
            + casework_organisation_urls
            + services_organisation_urls
            + helpline_organisation_urls
            + shelter_organisation_urls
            + records_organisation_urls
            + letters_organisation_urls
            + petitions_organisation_urls
            + events_organisation_urls
            + news_organisation_urls
            + reporting_organisation_urls
        ),
    ),
]
