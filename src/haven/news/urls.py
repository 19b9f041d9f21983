from django.urls import URLPattern, path

from haven.news import public_views, views

# Mounted under o/<slug:org>/ : every view here is an organisation_view.
organisation_urlpatterns: list[URLPattern] = [
    path("news/", views.news_list, name="news_list"),
    path("news/new/", views.news_create, name="news_create"),
    path("news/<int:post_id>/", views.news_detail, name="news_detail"),
    path("news/<int:post_id>/edit/", views.news_edit, name="news_edit"),
    path("news/<int:post_id>/preview/", views.news_preview, name="news_preview"),
    path("news/<int:post_id>/status/", views.news_move, name="news_move"),
    path("news/<int:post_id>/links/", views.news_links, name="news_links"),
    path("news/<int:post_id>/languages/", views.news_add_language, name="news_add_language"),
    path("news/<int:post_id>/texts/<slug:lang>/", views.news_text, name="news_text"),
]

# Mounted at news/ : the public pages, the owner's slug first (public_views.py).
public_urlpatterns: list[URLPattern] = [
    path("", public_views.news_index, name="news_index"),
    path("feed.atom", public_views.news_feed, name="news_feed"),
    path("<slug:org>/", public_views.news_organisation, name="news_organisation"),
    path(
        "<slug:org>/feed.atom",
        public_views.news_organisation_feed,
        name="news_organisation_feed",
    ),
    path("<slug:org>/<slug:post>/", public_views.news_post, name="news_post"),
    path(
        "<slug:org>/<slug:post>/<slug:lang>/",
        public_views.news_post_language,
        name="news_post_language",
    ),
]
