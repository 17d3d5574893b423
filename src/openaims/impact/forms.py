"""Forms of the impact pages; values go to the services, which decide."""

from __future__ import annotations

from django import forms

from openaims.impact.catalog import impact_catalog
from openaims.impact.models import ImpactKind, Trigger


def _scale_field(dimension: str, label: str, *, required: bool = True):
    choices = impact_catalog().scale.choices(dimension)
    if not required:
        choices = [("", "—"), *choices]
    return forms.TypedChoiceField(label=label, choices=choices, coerce=int, required=required, empty_value=None)


class CreateForm(forms.Form):
    system = forms.TypedChoiceField(label="AI system", coerce=int)
    template = forms.ChoiceField(
        label="Template", required=False, help_text="Left empty: the template for the system's technique."
    )
    sector = forms.ChoiceField(label="Sector questions", required=False)
    trigger = forms.ChoiceField(label="Trigger", choices=Trigger.choices)

    def __init__(self, *args, systems=(), **kwargs):
        super().__init__(*args, **kwargs)
        catalog = impact_catalog()
        self.fields["system"].choices = [(s.pk, f"AIS-{s.number} {s.name}") for s in systems]
        self.fields["template"].choices = [("", "by technique"), *[(t.key, t.label) for t in catalog.templates]]
        self.fields["sector"].choices = [(s.key, s.label) for s in catalog.sectors]


class ImpactForm(forms.Form):
    kind = forms.ChoiceField(choices=ImpactKind.choices)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=20_000)
    affected_party = forms.CharField(required=False, max_length=200)
    vulnerable_group = forms.BooleanField(required=False, label="Vulnerable group")
    severity = _scale_field("severity", "Severity")
    likelihood = _scale_field("likelihood", "Likelihood")
    reversibility = _scale_field("reversibility", "Reversibility")
    scale = _scale_field("scale", "Scale")
    measures = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=20_000)
    residual_severity = _scale_field("severity", "Residual severity", required=False)
    residual_likelihood = _scale_field("likelihood", "Residual likelihood", required=False)


class ImpactAddForm(ImpactForm):
    """A new impact; a harm may name the register's risk it belongs to instead of creating one."""

    risk = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label="Risk in the register",
        help_text="A harm rated high creates a risk for the system unless you pick the one it belongs to.",
    )

    def __init__(self, *args, risks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["risk"].choices = [("", "Create one if rated high"), *((r.pk, f"{r.ref} {r.title}") for r in risks)]


class ApproveForm(forms.Form):
    decision = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), help_text="What is decided, e.g. proceed with the measures listed."
    )
    review_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


class ReturnForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="What to change")
