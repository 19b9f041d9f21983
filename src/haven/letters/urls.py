from django.urls import URLPattern, path

from haven.letters import views

# Mounted under o/<slug:org>/ : every view here is an organisation_view.
organisation_urlpatterns: list[URLPattern] = [
    path("letters/", views.letter_list, name="letter_list"),
    path("letters/new/", views.letter_create, name="letter_create"),
    path("letters/to-sign/", views.letters_to_sign, name="letters_to_sign"),
    path("letters/to-sign/<int:letter_id>/", views.letter_sign, name="letter_sign"),
    path("letters/<int:letter_id>/", views.letter_detail, name="letter_detail"),
    path("letters/<int:letter_id>/preview/", views.letter_preview, name="letter_preview"),
    path("letters/<int:letter_id>/edit/", views.letter_edit, name="letter_edit"),
    path("letters/<int:letter_id>/status/", views.letter_move, name="letter_move"),
    path(
        "letters/<int:letter_id>/languages/", views.letter_add_language, name="letter_add_language"
    ),
    path("letters/<int:letter_id>/texts/<slug:lang>/", views.letter_text, name="letter_text"),
    path("letters/<int:letter_id>/groups/", views.letter_categories, name="letter_categories"),
    path(
        "letters/<int:letter_id>/groups/<int:category_id>/",
        views.letter_category,
        name="letter_category",
    ),
    path(
        "letters/<int:letter_id>/signatures/<uuid:signature_id>/",
        views.letter_signature,
        name="letter_signature",
    ),
    path("letters/<int:letter_id>/export/", views.letter_export, name="letter_export"),
]

# Mounted at letters/ : the public pages, the owner's slug first.
public_urlpatterns: list[URLPattern] = [
    path("<slug:org>/<slug:letter>/", views.letter_public, name="letter_public"),
    path("<slug:org>/<slug:letter>/sign/", views.letter_request, name="letter_request"),
    path(
        "<slug:org>/<slug:letter>/sign/sent/", views.letter_request_sent, name="letter_request_sent"
    ),
    path(
        "<slug:org>/<slug:letter>/confirm/<str:token>/",
        views.letter_request_confirm,
        name="letter_request_confirm",
    ),
    path("<slug:org>/<slug:letter>/counter/", views.letter_counter, name="letter_counter"),
    path(
        "<slug:org>/<slug:letter>/signatories.csv",
        views.letter_signatories_file,
        {"file_format": "csv"},
        name="letter_signatories_csv",
    ),
    path(
        "<slug:org>/<slug:letter>/signatories.xlsx",
        views.letter_signatories_file,
        {"file_format": "xlsx"},
        name="letter_signatories_xlsx",
    ),
    path(
        "<slug:org>/<slug:letter>/<slug:lang>/",
        views.letter_public_language,
        name="letter_public_language",
    ),
]
