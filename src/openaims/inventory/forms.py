"""Forms of the AI system register pages. They check shapes only; the services check the rules."""

from __future__ import annotations

from django import forms

from openaims.inventory.models import AISystem
from openaims.inventory.services import SYSTEM_FIELDS
from openaims.inventory.vocabulary import vocabulary

NOBODY = "— nobody yet —"
NOT_SAID = ("", "— not said yet —")
RECLASSIFY = "Changing it asks the EU AI Act classification again."


def member_label(user) -> str:
    name, username = user.display_name, user.get_username()
    return username if name == username else f"{name} ({username})"


class MemberChoiceField(forms.ChoiceField):
    """One of the organization's members, by user id; the choices come from a list the view already fetched."""

    def __init__(self, *args, users=(), empty_label=NOBODY, **kwargs):
        super().__init__(*args, **kwargs)
        self.users = {str(user.pk): user for user in users}
        choices = [(pk, member_label(user)) for pk, user in self.users.items()]
        self.choices = [("", empty_label), *choices] if empty_label is not None else choices

    def clean(self, value):
        value = super().clean(value)
        return self.users.get(value) if value else None


def _text(label=None, rows=2, help_text="", max_length=20_000, required=False):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


# Sections of the form and of the system page, in the order a person describes a system.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("The system", ("name", "purpose", "role", "criticality")),
    ("Purpose and use", ("intended_use", "foreseeable_misuse")),
    ("People", ("business_owner", "technical_owner", "intended_users", "affected_persons")),
    (
        "Technique, automation and oversight",
        ("technique", "automation_level", "oversight_mode", "oversight_description"),
    ),
    ("Deployment and geography", ("deployment_environment", "geography")),
    ("Personal data", ("personal_data", "personal_data_notes")),
)


class SystemForm(forms.Form):
    """Every register field of an AI system; vocabulary choices come from data/vocabulary.yaml."""

    name = forms.CharField(max_length=200)
    purpose = _text(help_text="What the system is for, in a sentence or two.", required=True)
    intended_use = _text(help_text="How, by whom and in which situations it is meant to be used.")
    foreseeable_misuse = _text(
        label="Reasonably foreseeable misuse", help_text="Uses it is not meant for but that could happen."
    )
    intended_users = _text(help_text="Who operates the system or relies on its output.")
    affected_persons = _text(help_text="Who is affected by its output: groups of people, customers, staff.")
    role = forms.ChoiceField(label="Our role", help_text="The organization's role for this system.")
    technique = forms.ChoiceField()
    automation_level = forms.ChoiceField(required=False)
    oversight_mode = forms.ChoiceField(required=False, label="Human oversight")
    oversight_description = _text(label="How oversight works")
    deployment_environment = _text(help_text="Where and on what it runs; who can reach it.")
    geography = forms.CharField(
        required=False, max_length=300, help_text="Where it is used or its output takes effect, e.g. EU, UK."
    )
    personal_data = forms.BooleanField(required=False, label="Processes personal data")
    personal_data_notes = _text(label="Personal data notes", help_text="Which data, on which basis.")
    criticality = forms.ChoiceField(initial="medium")

    def __init__(self, *args, members=(), system: AISystem | None = None, **kwargs):
        if system is not None:
            kwargs.setdefault("initial", initial_for(system))
        super().__init__(*args, **kwargs)
        words = vocabulary()
        self.fields["role"].choices = words.choices("roles")
        self.fields["technique"].choices = words.choices("techniques")
        self.fields["automation_level"].choices = [NOT_SAID, *words.choices("automation_levels")]
        self.fields["oversight_mode"].choices = [NOT_SAID, *words.choices("oversight_modes")]
        self.fields["criticality"].choices = words.choices("criticality")
        self.fields["business_owner"] = MemberChoiceField(
            required=False, users=members, help_text="Accountable for the system's use and its risks."
        )
        self.fields["technical_owner"] = MemberChoiceField(
            required=False, users=members, help_text="Responsible for building and running it."
        )
        if system is not None and system.classification_id:
            for field in AISystem.CLASSIFICATION_INPUTS:
                self.fields[field].help_text = " ".join(filter(None, [self.fields[field].help_text, RECLASSIFY]))
                self.fields[field].widget.attrs["data-classification-input"] = "true"

    def groups(self) -> list[tuple[str, list]]:
        """(section title, bound fields) in the order of GROUPS."""
        return [(title, [self[name] for name in names]) for title, names in GROUPS]

    def values(self) -> dict:
        """The cleaned values, keyed as the services take them."""
        return {field: self.cleaned_data[field] for field in SYSTEM_FIELDS}


def initial_for(system: AISystem) -> dict:
    values = {field: getattr(system, field) for field in SYSTEM_FIELDS}
    values["business_owner"] = str(system.business_owner_id or "")
    values["technical_owner"] = str(system.technical_owner_id or "")
    return values


class SystemCreateForm(SystemForm):
    confirm_duplicate = forms.BooleanField(
        required=False, label="Register it anyway: it is not one of the systems listed above"
    )
