from django.apps import AppConfig


class ControlsConfig(AppConfig):
    name = "openaims.controls"
    label = "controls"
    verbose_name = "Controls and Statement of Applicability"
