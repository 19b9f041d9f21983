from django.urls import URLPattern, path

from haven.petitions import views

# Mounted under o/<slug:org>/ : every view here is an organisation_view.
organisation_urlpatterns: list[URLPattern] = [
    path("petitions/", views.petition_list, name="petition_list"),
    path("petitions/new/", views.petition_create, name="petition_create"),
    path("petitions/<int:petition_id>/", views.petition_detail, name="petition_detail"),
    path("petitions/<int:petition_id>/edit/", views.petition_edit, name="petition_edit"),
    path("petitions/<int:petition_id>/status/", views.petition_move, name="petition_move"),
    path(
        "petitions/<int:petition_id>/invalidate/",
        views.petition_invalidate,
        name="petition_invalidate",
    ),
    path("petitions/<int:petition_id>/export/", views.petition_export, name="petition_export"),
]

# Mounted at petitions/ : the public pages, the owner's slug first.
public_urlpatterns: list[URLPattern] = [
    path("<slug:org>/<slug:petition>/", views.petition_public, name="petition_public"),
    path("<slug:org>/<slug:petition>/sent/", views.petition_sent, name="petition_sent"),
    path("<slug:org>/<slug:petition>/counter/", views.petition_counter, name="petition_counter"),
    path(
        "<slug:org>/<slug:petition>/confirm/<str:token>/",
        views.petition_confirm,
        name="petition_confirm",
    ),
]
