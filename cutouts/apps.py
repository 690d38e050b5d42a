from django.apps import AppConfig


class CutoutsConfig(AppConfig):
    name = "cutouts"
    default_auto_field = "django.db.models.BigAutoField"
