from __future__ import annotations

from django import forms

from openaims.signoff.services import MAX_COMMENT


class DecisionForm(forms.Form):
    comment = forms.CharField(
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Signing: optional. Returning: say what needs to change.",
    )
