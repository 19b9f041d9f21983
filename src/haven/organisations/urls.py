from django.urls import path

from haven.organisations import views

public_urlpatterns = [
    path("<slug:network>/", views.network_directory, name="network_directory"),
]

# Mounted under o/<slug:org>/ : every view here is an organisation_view.
organisation_urlpatterns = [
    path("profile/", views.organisation_profile, name="organisation_profile"),
    path("network/members/", views.network_members, name="network_members"),
    path("network/members/add/", views.network_member_add, name="network_member_add"),
    path(
        "network/members/add-existing/",
        views.network_member_add_existing,
        name="network_member_add_existing",
    ),
    path(
        "network/members/<int:membership_id>/",
        views.network_membership_edit,
        name="network_membership_edit",
    ),
    path(
        "network/members/<int:membership_id>/end/",
        views.network_membership_end,
        name="network_membership_end",
    ),
    path(
        "network/members/<int:membership_id>/delete/",
        views.network_membership_delete,
        name="network_membership_delete",
    ),
    path(
        "network/organisations/<int:organisation_id>/",
        views.network_organisation_edit,
        name="network_organisation_edit",
    ),
    path(
        "network/organisations/<int:organisation_id>/first-admin/",
        views.network_first_admin,
        name="network_first_admin",
    ),
]
