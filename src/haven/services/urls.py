from django.urls import URLPattern, path

from haven.services import views

# Mounted under o/<slug:org>/ : every view here is an organisation_view.
organisation_urlpatterns: list[URLPattern] = [
    path("services/", views.delivery_list, name="service_list"),
    path("services/record/", views.delivery_record, name="service_record"),
    path(
        "services/distributions/new/",
        views.distribution_record,
        name="service_distribution_record",
    ),
    path("services/<uuid:delivery_id>/", views.delivery_edit, name="service_edit"),
    path("services/<uuid:delivery_id>/delete/", views.delivery_delete, name="service_delete"),
    path("services/catalogue/", views.catalogue, name="service_catalogue"),
    path("services/catalogue/new/", views.service_type_create, name="service_type_create"),
    path(
        "services/catalogue/<int:service_type_id>/",
        views.service_type_edit,
        name="service_type_edit",
    ),
    path(
        "services/catalogue/<int:service_type_id>/visibility/",
        views.service_type_visibility,
        name="service_type_visibility",
    ),
]
