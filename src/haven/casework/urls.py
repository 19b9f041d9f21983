from django.urls import URLPattern, path

from haven.casework import views

# Mounted under o/<slug:org>/ : every view here is an organisation_view.
organisation_urlpatterns: list[URLPattern] = [
    path("people/", views.person_list, name="person_list"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/<uuid:person_id>/details/", views.person_details, name="person_details"),
    path("people/<uuid:person_id>/identity/", views.person_identity, name="person_identity"),
    path("people/<uuid:person_id>/edit/", views.person_edit, name="person_edit"),
    path("people/<uuid:person_id>/household/", views.person_household, name="person_household"),
    path("people/<uuid:person_id>/consents/new/", views.consent_add, name="consent_add"),
    path(
        "people/<uuid:person_id>/consents/<uuid:consent_id>/withdraw/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
    path("people/<uuid:person_id>/cases/new/", views.case_open, name="case_open"),
    path("households/", views.household_list, name="household_list"),
    path("households/<uuid:household_id>/", views.household_detail, name="household_detail"),
    path("households/<uuid:household_id>/edit/", views.household_edit, name="household_edit"),
    path(
        "households/<uuid:household_id>/members/<uuid:person_id>/remove/",
        views.household_member_remove,
        name="household_member_remove",
    ),
    path("cases/", views.case_list, name="case_list"),
    path("cases/<uuid:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<uuid:case_id>/edit/", views.case_edit, name="case_edit"),
    path("cases/<uuid:case_id>/close/", views.case_close, name="case_close"),
    path("cases/<uuid:case_id>/notes/new/", views.note_add, name="note_add"),
    path("settings/casework/", views.casework_settings, name="casework_settings"),
]
