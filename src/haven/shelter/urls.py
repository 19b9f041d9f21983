from django.urls import URLPattern, path

from haven.shelter import views

# Mounted under o/<slug:org>/ : every view here is an organisation_view.
organisation_urlpatterns: list[URLPattern] = [
    path("shelter/", views.shelter_board, name="shelter_board"),
    path("shelter/occupancy/", views.shelter_occupancy, name="shelter_occupancy"),
    path("shelter/facilities/", views.facility_list, name="shelter_facilities"),
    path(
        "shelter/facilities/<int:facility_id>/",
        views.facility_edit,
        name="shelter_facility_edit",
    ),
    path("shelter/stays/", views.stay_list, name="shelter_stays"),
    path("shelter/stays/new/", views.stay_create, name="shelter_stay_new"),
    path("shelter/stays/<uuid:stay_id>/", views.stay_detail, name="shelter_stay"),
    path("shelter/stays/<uuid:stay_id>/change/", views.stay_change, name="shelter_stay_change"),
    path("shelter/stays/<uuid:stay_id>/end/", views.stay_end, name="shelter_stay_end"),
    path("shelter/stays/<uuid:stay_id>/cancel/", views.stay_cancel, name="shelter_stay_cancel"),
]
