from django.urls import URLPattern, path  # noqa: F401

# Mounted under o/<slug:org>/ : every view here is an organisation_view.
organisation_urlpatterns: list[URLPattern] = []
