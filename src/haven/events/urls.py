from django.urls import URLPattern, path

from haven.events import door, public_views, views

# Mounted under o/<slug:org>/ : every view here is an organisation_view.
organisation_urlpatterns: list[URLPattern] = [
    # The advocacy staff's pages (views.py).
    path("events/", views.event_list, name="event_list"),
    # The door (door.py).
    path("door/", door.door_events, name="door_events"),
]

# Mounted at events/ : the public pages, the owner's slug first (public_views.py).
public_urlpatterns: list[URLPattern] = [
    path("", public_views.event_index, name="events_public"),
]
