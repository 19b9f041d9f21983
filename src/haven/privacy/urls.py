from django.urls import path

from haven.privacy import views

# Mounted under o/<slug:org>/ : every view here is an organisation_view.
organisation_urlpatterns = [
    path("audit/", views.audit_trail, name="audit_trail"),
]
