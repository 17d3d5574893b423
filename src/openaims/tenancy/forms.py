from __future__ import annotations

from typing import Any

from django import forms

from openaims.tenancy.models import Organization
from openaims.tenancy.roles import Role, roles_within


class OrganizationForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class OrganizationCreateForm(OrganizationForm):
    slug = forms.SlugField(
        max_length=50, required=False, help_text="Short name used in addresses; made from the name if left empty."
    )

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data.get("slug", "")
        if slug and Organization.objects.filter(slug=slug).exists():
            raise forms.ValidationError("this slug is taken")
        return slug


class MemberAddForm(forms.Form):
    user = forms.CharField(label="Username or email of an existing account", max_length=254)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class TokenForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="What the token is for, e.g. 'training pipeline'.")
    role = forms.ChoiceField(choices=Role.choices)
    expires_at = forms.DateField(required=False, label="Expires on", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, ceiling: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = roles_within(ceiling)
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)  # declared above; narrows Field to reach its choices
        role.choices = [(v, label) for v, label in Role.choices if v in allowed]
        role.initial = Role.VIEWER
