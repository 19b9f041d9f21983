from django.urls import path

from haven.mail import views

urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("<int:message_id>/", views.outbox_detail, name="outbox_message"),
    path("<int:message_id>/html/", views.outbox_html, name="outbox_message_html"),
    path(
        "<int:message_id>/attachments/<int:index>/",
        views.outbox_attachment,
        name="outbox_attachment",
    ),
]
