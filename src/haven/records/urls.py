from django.urls import URLPattern, path

from haven.records import views

# Mounted under o/<slug:org>/ : every view here is an organisation_view.
organisation_urlpatterns: list[URLPattern] = [
    path("records/export/", views.export_page, name="records_export"),
    path("records/export/download/", views.export_download, name="records_export_download"),
    path("records/import/", views.import_page, name="records_import"),
    path("records/import/template/", views.import_template, name="records_import_template"),
    path("records/erasures/", views.erasure_records, name="erasure_records"),
    path("records/retention/", views.retention_status, name="retention_status"),
    path("people/<uuid:person_id>/erase/", views.erase_person, name="erase_person"),
]
