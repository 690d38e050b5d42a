from django.apps import AppConfig

from cutouts import storage


class CutoutsConfig(AppConfig):
    name = "cutouts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        storage.connect(self.get_models())
