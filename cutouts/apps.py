from django.apps import AppConfig

from cutouts import storage


class CutoutsConfig(AppConfig):
    name = "cutouts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        storage.connect(self.get_models())
        # The team API sits above processing and the studio, so they announce and it listens.
        from cutouts.processing.signals import image_finished, render_finished
        from cutouts.teamapi import webhook_events

        image_finished.connect(webhook_events.on_image_finished, dispatch_uid="webhooks-image")
        render_finished.connect(webhook_events.on_render_finished, dispatch_uid="webhooks-render")
