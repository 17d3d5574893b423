"""Forms for the parts of an AI system (A.4, A.7, A.10) and the supplier register (A.10.3).

The forms only shape the input; the services validate it against the vocabulary and record the
audit event. Choice lists come from `data/vocabulary.yaml`, so adding a dataset purpose or a
component kind is a data change.
"""

from __future__ import annotations

from django import forms

from openaims.inventory.models import AIModel, Component, Dataset, Resource, Supplier
from openaims.inventory.vocabulary import vocabulary

# URL segment -> what the pages call it.
PART_LABELS = {
    "model": "AI model",
    "dataset": "dataset",
    "component": "third-party component",
    "resource": "resource",
}
# "Add an AI model", "Add a dataset": the article each label takes, for headings and titles.
PART_ARTICLES = {kind: "an" if label[0].lower() in "aeiou" else "a" for kind, label in PART_LABELS.items()}
PART_CLASSES = {"model": AIModel, "dataset": Dataset, "component": Component, "resource": Resource}

# What the standard expects the record of each kind of part to show, in our words (shown on the form).
PART_GUIDANCE = {
    "model": (
        "A.6.2 — Record each model and version the system runs, so that a decision can be traced to the "
        "model that made it and a change of model is a visible change of the system."
    ),
    "dataset": (
        "A.7 — For data used to develop or run the system, record where it comes from and on what basis "
        "it was obtained, its history and custody, what quality it must have and how that was checked, "
        "how it was prepared, and whether it holds personal data."
    ),
    "component": (
        "A.10 — For parts supplied by third parties (hosted models, AI services, libraries, data), record "
        "the supplier and who is responsible for what between the supplier, your organization and your "
        "customers, so that nothing falls between two parties."
    ),
    "resource": (
        "A.4 — Record the resources the system needs across its life cycle: computing, tooling, data, "
        "system and software resources, and the people and competence it depends on."
    ),
}


def _text(max_length: int, *, label: str | None = None, help_text: str = "", rows: int | None = None, **kw):
    widget = forms.Textarea(attrs={"rows": rows}) if rows else None
    return forms.CharField(
        required=kw.pop("required", False),
        max_length=max_length,
        label=label,
        help_text=help_text,
        widget=widget,
        **kw,
    )


class _PartForm(forms.Form):
    """Initial values come from the part being edited; `values()` is what the service receives."""

    def __init__(self, *args, part=None, **kwargs):
        if part is not None:
            kwargs.setdefault("initial", {name: getattr(part, name) for name in self.base_fields})
        super().__init__(*args, **kwargs)

    def values(self) -> dict:
        return dict(self.cleaned_data)


class AIModelForm(_PartForm):
    name = _text(200, required=True, help_text="As the team or the model registry calls it.")
    version = _text(60, help_text="A system can run several versions of a model; each is one record.")
    model_type = _text(120, label="Type", help_text="The kind of model, e.g. gradient-boosted trees or GPT-4o.")
    registry_stage = _text(60, label="Registry stage", help_text="Its stage or aliases in the model registry.")
    uri = _text(500, label="Location", help_text="Where the artefact lives: registry URI, bucket path, vendor page.")
    description = _text(
        20_000, rows=3, help_text="What it does inside the system, and anything a reviewer should know."
    )


class DatasetForm(_PartForm):
    name = _text(200, required=True)
    purpose = forms.ChoiceField(help_text="What the data is used for in the system's life cycle.")
    description = _text(20_000, rows=2)
    source = _text(
        20_000,
        rows=3,
        help_text="Where the data comes from: an internal system, a vendor, a public source, people who provided it.",
    )
    acquisition = _text(
        20_000,
        rows=3,
        help_text="How it was obtained and on what basis: contract, consent, licence, legal duty, own collection.",
    )
    provenance = _text(
        20_000,
        rows=3,
        help_text="Its history since it was created: who held it, what was changed and when, and how to tell.",
    )
    quality_checks = _text(
        20_000,
        rows=3,
        label="Quality requirements and checks",
        help_text="The quality the system needs (accuracy, completeness, representativeness, bias) and the "
        "checks done against it, with their results.",
    )
    preparation = _text(
        20_000,
        rows=3,
        help_text="What was done to make it usable: cleaning, labelling, enrichment, transformation, sampling.",
    )
    personal_data = forms.BooleanField(required=False, label="Contains personal data")
    special_categories = forms.BooleanField(
        required=False, label="Contains special categories", help_text="e.g. health, biometric or ethnic-origin data."
    )
    licence = _text(200, help_text="The licence or terms under which you may use it.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = vocabulary().choices("dataset_purposes")


class SupplierChoiceField(forms.ChoiceField):
    """One of the organization's suppliers, by id, or none; choices come from a list the view already fetched."""

    def __init__(self, *args, suppliers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.suppliers = {str(supplier.pk): supplier for supplier in suppliers}
        self.choices = [("", "— none (built in-house) —"), *((pk, s.name) for pk, s in self.suppliers.items())]

    def clean(self, value):
        value = super().clean(value)
        return self.suppliers.get(value) if value else None


class ComponentForm(_PartForm):
    name = _text(200, required=True)
    category = forms.ChoiceField(label="Kind", help_text="What the third party supplies.")
    supplier = forms.ChoiceField(required=False)  # replaced per organization in __init__
    version = _text(60)
    responsibilities = _text(
        20_000,
        rows=4,
        label="Responsibilities",
        help_text="Who does what: what the supplier is responsible for (e.g. model updates, uptime, data "
        "handling) and what stays with your organization (e.g. human oversight, monitoring, informing users).",
    )
    description = _text(20_000, rows=2)

    def __init__(self, *args, suppliers=(), part=None, **kwargs):
        if part is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": part.name,
                    "category": part.category,
                    "supplier": str(part.supplier_id or ""),
                    "version": part.version,
                    "responsibilities": part.responsibilities,
                    "description": part.description,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = vocabulary().choices("component_kinds")
        self.fields["supplier"] = SupplierChoiceField(
            required=False,
            suppliers=suppliers,
            help_text="From the supplier register; add the supplier there first if it is missing.",
        )
        self.order_fields(["name", "category", "supplier", "version", "responsibilities", "description"])


class ResourceForm(_PartForm):
    name = _text(200, required=True, help_text="e.g. GPU cluster, feature store, labelling team.")
    category = forms.ChoiceField(label="Kind")
    description = _text(
        20_000,
        rows=3,
        help_text="What the system needs from it and how much: capacity, licences, people and their competence.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = vocabulary().choices("resource_kinds")


PART_FORMS: dict[str, type[_PartForm]] = {
    "model": AIModelForm,
    "dataset": DatasetForm,
    "component": ComponentForm,
    "resource": ResourceForm,
}


def part_form(kind: str, data=None, *, part=None, suppliers=()) -> _PartForm:
    form_class = PART_FORMS[kind]
    if form_class is ComponentForm:
        return ComponentForm(data, part=part, suppliers=suppliers)
    return form_class(data, part=part)


class SupplierForm(forms.Form):
    name = _text(200, required=True)
    contact = _text(200, help_text="Who to call about the contract or an incident.")
    contract_ref = _text(200, label="Contract reference")
    contract_ends = forms.DateField(
        required=False,
        label="Contract ends",
        help_text="Leave empty for a contract without an end date.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    description = _text(
        20_000,
        rows=3,
        help_text="What they supply, how you assessed them, and what the contract makes them responsible for.",
    )

    def __init__(self, *args, supplier: Supplier | None = None, **kwargs):
        if supplier is not None:
            kwargs.setdefault("initial", {name: getattr(supplier, name) for name in self.base_fields})
        super().__init__(*args, **kwargs)


class ControlLinkForm(forms.Form):
    """Pick a control that applies to the system; choices come from the view."""

    def __init__(self, *args, controls=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.controls = {str(control.pk): control for control in controls}
        self.fields["control"] = forms.ChoiceField(
            label="Control",
            choices=[("", "— choose a control —"), *((pk, f"{c.ref_id} {c.title}") for pk, c in self.controls.items())],
        )

    def clean_control(self):
        return self.controls[self.cleaned_data["control"]]
