from django.urls import URLPattern, path

from haven.reporting import views

# Mounted under networks/ with the directory's public pages.
public_urlpatterns: list[URLPattern] = [
    path("<slug:network>/figures/", views.network_figures, name="network_figures"),
    path(
        "<slug:network>/figures/<int:publication_id>/",
        views.network_publication,
        name="network_publication",
    ),
    path(
        "<slug:network>/figures/<int:publication_id>/download/",
        views.network_publication_download,
        name="network_publication_download",
    ),
]

# Mounted under o/<slug:org>/ : every view here is an organisation_view.
organisation_urlpatterns: list[URLPattern] = [
    path("reports/", views.report_list, name="report_list"),
    path("reports/<int:submission_id>/", views.report_detail, name="report_detail"),
    path("reports/<int:submission_id>/compute/", views.report_compute, name="report_compute"),
    path("reports/<int:submission_id>/entry/", views.report_entry, name="report_entry"),
    path("reports/<int:submission_id>/upload/", views.report_upload, name="report_upload"),
    path("reports/<int:submission_id>/send/", views.report_send, name="report_send"),
    path("reports/<int:submission_id>/correct/", views.report_correct, name="report_correct"),
    path(
        "reports/<int:submission_id>/correct/cancel/",
        views.report_correct_cancel,
        name="report_correct_cancel",
    ),
    path("reports/<int:submission_id>/download/", views.report_download, name="report_download"),
    path("reporting/", views.reporting_home, name="reporting_home"),
    path("reporting/periods/new/", views.period_create, name="period_create"),
    path("reporting/periods/<int:period_id>/", views.period_review, name="period_review"),
    path("reporting/periods/<int:period_id>/publish/", views.period_publish, name="period_publish"),
    path("reporting/periods/<int:period_id>/remind/", views.period_remind, name="period_remind"),
    path(
        "reporting/periods/<int:period_id>/deadline/",
        views.period_deadline,
        name="period_deadline",
    ),
    path(
        "reporting/publications/<int:publication_id>/",
        views.publication_detail,
        name="publication_detail",
    ),
    path(
        "reporting/publications/<int:publication_id>/progress/",
        views.publication_progress,
        name="publication_progress",
    ),
    path(
        "reporting/publications/<int:publication_id>/withdraw/",
        views.publication_withdraw,
        name="publication_withdraw",
    ),
    path("reporting/dashboard/", views.dashboard, name="reporting_dashboard"),
    path("reporting/dashboard/print/", views.dashboard_print, name="reporting_dashboard_print"),
    path("reporting/dashboard/export/", views.dashboard_export, name="reporting_dashboard_export"),
]
