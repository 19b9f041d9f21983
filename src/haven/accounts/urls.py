from django.urls import path

from haven.accounts import views

# Mounted under o/<slug:org>/ : every view here is an organisation_view.
organisation_urlpatterns = [
    path("", views.organisation_dashboard, name="organisation_dashboard"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/invite/", views.staff_invite, name="staff_invite"),
    path("staff/<int:user_id>/roles/", views.staff_roles, name="staff_roles"),
    path("staff/<int:user_id>/remove/", views.staff_remove, name="staff_remove"),
    path(
        "invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("switch/", views.switch_organisation, name="switch_organisation"),
    path("account/", views.account_settings, name="account_settings"),
    path("account/tokens/", views.api_token_create, name="api_token_create"),
    path("account/tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("invitations/<str:token>/", views.accept_invitation, name="accept_invitation"),
]
