from django.apps import AppConfig


class EncryptionAppConfig(AppConfig):
    name = "tests.encryption_app"
    label = "encryption_app"
    default_auto_field = "django.db.models.BigAutoField"
