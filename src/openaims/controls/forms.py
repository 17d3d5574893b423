from __future__ import annotations

from django import forms
from django.utils import timezone

from openaims.catalog.models import CatalogNode
from openaims.controls.models import Applicability, ImplementationStatus
from openaims.lib.uris import WebURLField

NOBODY = ("", "— nobody yet —")


def _member_label(user) -> str:
    name, username = user.display_name, user.get_username()
    return username if name == username else f"{name} ({username})"


class MemberChoiceField(forms.ChoiceField):
    """One of the organization's members, by user id; choices come from a list the view already fetched."""

    def __init__(self, *args, users=(), empty_label=NOBODY[1], **kwargs):
        super().__init__(*args, **kwargs)
        self.users = {str(user.pk): user for user in users}
        choices = [(pk, _member_label(user)) for pk, user in self.users.items()]
        self.choices = [("", empty_label), *choices] if empty_label is not None else choices

    def clean(self, value):
        value = super().clean(value)
        return self.users.get(value) if value else None


class ControlCreateForm(forms.Form):
    ref_id = forms.CharField(max_length=40, label="Id", help_text="Your own identifier, e.g. ORG-1.")
    title = forms.CharField(max_length=300)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"] = MemberChoiceField(required=False, users=members)


class ControlEditForm(forms.Form):
    """Owner, status, applicability and justification; title and description only for custom controls."""

    title = forms.CharField(max_length=300)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    owner = forms.ChoiceField(required=False)
    status = forms.ChoiceField(choices=ImplementationStatus.choices, label="Implementation status")
    applicability = forms.ChoiceField(choices=Applicability.choices)
    justification = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why it is included or excluded, in your words (risk treatments and requirements count too).",
    )

    def __init__(self, *args, control, members=(), **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "title": control.title,
                "description": control.description,
                "owner": str(control.owner_id or ""),
                "status": control.status,
                "applicability": control.applicability,
                "justification": control.justification,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["owner"] = MemberChoiceField(required=False, users=members)
        if not control.is_custom:
            # Catalog controls keep the catalog's id and wording.
            del self.fields["title"], self.fields["description"]


class RequirementLinkForm(forms.Form):
    requirement = forms.CharField(
        max_length=200,
        label="Requirement URN",
        help_text="e.g. urn:openaims:iso42001-2023:6.1.3 — or search below.",
    )

    def clean_requirement(self) -> CatalogNode:
        urn = self.cleaned_data["requirement"].strip()
        node = CatalogNode.objects.select_related("framework").filter(urn=urn).first()
        if node is None:
            raise forms.ValidationError("no catalog item has this URN")
        return node


class EvidenceForm(forms.Form):
    title = forms.CharField(max_length=200)
    url = WebURLField(required=False, max_length=500, label="Link")
    collected_at = forms.DateField(required=False, label="Collected on", widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(
        required=False,
        label="Valid until",
        help_text="Leave empty if it does not expire.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collected_at"].initial = timezone.localdate()


class PublishForm(forms.Form):
    note = forms.CharField(
        required=False,
        label="Comment for the approver",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the version as its note.",
    )
    confirm_undecided = forms.BooleanField(required=False, label="Publish although some controls are undecided")

    def __init__(self, *args, approvers=(), undecided=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approver"] = MemberChoiceField(
            users=approvers,
            empty_label="— choose the approver —",
            help_text="An owner or manager other than you; the version is approved once they sign it.",
        )
        if not undecided:
            del self.fields["confirm_undecided"]
        self.order_fields(["approver", "note", "confirm_undecided"])


class DiffForm(forms.Form):
    def __init__(self, *args, numbers=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(n), f"v{n}") for n in numbers]
        self.fields["from"] = forms.TypedChoiceField(choices=choices, coerce=int, label="From")
        self.fields["to"] = forms.TypedChoiceField(choices=choices, coerce=int, label="To")


class SystemLinkForm(forms.Form):
    """Pick one of the organization's AI systems the control applies to; choices come from the view."""

    def __init__(self, *args, systems=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.systems = {str(system.pk): system for system in systems}
        self.fields["system"] = forms.ChoiceField(
            label="AI system",
            choices=[("", "— choose a system —"), *((pk, str(s)) for pk, s in self.systems.items())],
            help_text="The control is part of how this system is governed.",
        )

    def clean_system(self):
        return self.systems[self.cleaned_data["system"]]
