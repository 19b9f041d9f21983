from django.urls import URLPattern, path

from haven.helpline import views

# Mounted under o/<slug:org>/ : every view here is an organisation_view.
organisation_urlpatterns: list[URLPattern] = [
    path("helpline/", views.console, name="helpline_console"),
    path("helpline/calls/", views.call_list, name="helpline_calls"),
    path("helpline/calls/<uuid:call_id>/", views.call_detail, name="helpline_call"),
    path(
        "helpline/calls/<uuid:call_id>/done/",
        views.follow_up_done,
        name="helpline_follow_up_done",
    ),
]
