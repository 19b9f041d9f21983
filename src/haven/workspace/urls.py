from django.urls import URLPattern, path

from haven.workspace import views

# Mounted under o/<slug:org>/ : every view here is an organisation_view.
organisation_urlpatterns: list[URLPattern] = [
    path("work/", views.home, name="work_home"),
    path("people/<uuid:person_id>/", views.person_page, name="person_page"),
]
