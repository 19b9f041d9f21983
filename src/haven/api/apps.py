from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "haven.api"
    verbose_name = "API"
