from django.urls import URLPattern, path

from haven.events import door, public_views, views

# Mounted under o/<slug:org>/ : every view here is an organisation_view.
organisation_urlpatterns: list[URLPattern] = [
    # The advocacy staff's pages (views.py).
    path("events/", views.event_list, name="event_list"),
    path("events/new/", views.event_create, name="event_create"),
    path("events/<int:event_id>/", views.event_detail, name="event_detail"),
    path("events/<int:event_id>/edit/", views.event_edit, name="event_edit"),
    path("events/<int:event_id>/status/", views.event_move, name="event_move"),
    path("events/<int:event_id>/texts/", views.event_texts, name="event_texts"),
    path("events/<int:event_id>/meeting/", views.event_meeting, name="event_meeting"),
    path("events/<int:event_id>/partners/", views.event_partners, name="event_partners"),
    path(
        "events/<int:event_id>/programme/",
        views.event_programme_edit,
        name="event_programme_edit",
    ),
    path(
        "events/<int:event_id>/programme/<int:session_id>/",
        views.event_session,
        name="event_session",
    ),
    path("events/<int:event_id>/questions/", views.event_questions, name="event_questions"),
    path("events/<int:event_id>/codes/", views.event_codes, name="event_codes"),
    path(
        "events/<int:event_id>/registrations/",
        views.event_registrations,
        name="event_registrations",
    ),
    path(
        "events/<int:event_id>/registrations/<uuid:registration_id>/",
        views.event_registration_detail,
        name="event_registration_detail",
    ),
    path("events/<int:event_id>/export/", views.event_export, name="event_export"),
    path("speakers/", views.speaker_list, name="speaker_list"),
    path("speakers/<int:speaker_id>/", views.speaker_edit, name="speaker_edit"),
    # The door (door.py).
    path("door/", door.door_events, name="door_events"),
    path("events/<int:event_id>/door/", door.event_door, name="event_door"),
    path("events/<int:event_id>/door/counts/", door.event_door_counts, name="event_door_counts"),
    path(
        "events/<int:event_id>/door/check-in/",
        door.event_door_check_in,
        name="event_door_check_in",
    ),
    path("events/<int:event_id>/door/list/", door.event_door_list, name="event_door_list"),
]

# Mounted at events/ : the public pages, the owner's slug first (public_views.py).
public_urlpatterns: list[URLPattern] = [
    path("", public_views.event_index, name="events_public"),
    path("feed.ics", public_views.event_feed, name="events_feed"),
    path("<slug:org>/<slug:event>/", public_views.event_public, name="event_public"),
    path(
        "<slug:org>/<slug:event>/programme/",
        public_views.event_programme,
        name="event_programme",
    ),
    path("<slug:org>/<slug:event>/event.ics", public_views.event_calendar, name="event_calendar"),
    path("<slug:org>/<slug:event>/register/", public_views.event_register, name="event_register"),
    path(
        "<slug:org>/<slug:event>/registered/",
        public_views.event_registered,
        name="event_registered",
    ),
    path(
        "<slug:org>/<slug:event>/r/<str:token>/",
        public_views.event_registration,
        name="event_registration",
    ),
    path("<slug:org>/<slug:event>/join/<str:token>/", public_views.event_join, name="event_join"),
    # Last: a language code never reads "programme" or "register".
    path(
        "<slug:org>/<slug:event>/<slug:lang>/",
        public_views.event_public_language,
        name="event_public_language",
    ),
]
