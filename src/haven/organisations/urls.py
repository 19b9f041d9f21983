from django.urls import path

from haven.organisations import views

public_urlpatterns = [
    path("<slug:network>/", views.network_directory, name="network_directory"),
]

# Mounted under o/<slug:org>/ : every view here is an organisation_view.
organisation_urlpatterns = [
    path("network/members/", views.network_members, name="network_members"),
]
