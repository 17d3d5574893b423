"""The style guide: every component of templates/components/ with its states, on example data.

Open to staff users, or to anyone logged in when AIMS_DEBUG is on; others get 404 (the page is not advertised).
tests/web/test_styleguide.py fails when a component template has no section here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from openaims.lib.tabs import tab_list

LONG = (
    "The model flags chest X-rays with suspected critical findings so that radiologists read them first; "
    "it never removes a study from the worklist."
)


class ExampleForm(forms.Form):
    name = forms.CharField(label="System name", help_text="As people in the organization call it.")
    purpose = forms.CharField(label="Purpose", widget=forms.Textarea(attrs={"rows": 2}))
    criticality = forms.ChoiceField(label="Criticality", choices=[("", "—"), ("low", "Low"), ("high", "High")])
    personal_data = forms.BooleanField(label="Processes personal data", required=False)

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if cleaned.get("criticality") == "high" and not cleaned.get("personal_data"):
            raise forms.ValidationError("A high-criticality example must say whether it processes personal data.")
        return cleaned


def _examples(request) -> dict:
    now = timezone.now()
    base = request.path
    rows = [
        {
            "cells": [
                {"text": f"AIS-{n}", "url": f"{base}#data_table"},
                {"text": LONG if n == 1 else f"Example system {n}", "truncate": True},
                {"text": ["Deployment", "Inception", "Retired"][n % 3]},
                {"text": n * 3, "num": True},
            ],
            "actions": [{"label": "Edit", "url": f"{base}#data_table"}],
        }
        for n in range(1, 4)
    ]
    invalid = ExampleForm({"name": "", "purpose": "x", "criticality": "high"})
    invalid.is_valid()
    return {
        "tabs": tab_list(
            "parts",
            [
                ("overview", "Overview", f"{base}?tab=overview#tabs", None),
                ("parts", "Parts", f"{base}?tab=parts#tabs", 4),
                ("history", "History", f"{base}?tab=history#tabs", None),
            ],
        ),
        "summary_rows": [
            {"label": "Purpose", "value": LONG},
            {"label": "Business owner", "value": "Maria Manager"},
            {"label": "Foreseeable misuse", "value": ""},
        ],
        "columns": [
            {"label": "Ref", "key": "ref"},
            {"label": "Name", "key": "name"},
            {"label": "Stage"},
            {"label": "Open risks", "key": "risks", "num": True},
        ],
        "rows": rows,
        "page": Paginator(list(range(120)), 50).page(2),
        "filter_fields": [
            {"name": "q", "label": "Search", "kind": "search", "value": "triage"},
            {
                "name": "stage",
                "label": "Stage",
                "kind": "select",
                "value": "deployment",
                "choices": [("inception", "Inception"), ("deployment", "Deployment")],
            },
            {"name": "flagged", "label": "Only flagged", "kind": "check", "value": True},
        ],
        "blank_form": ExampleForm(auto_id="blank_%s"),
        "invalid_form": invalid,
        "events": [
            {"when": now, "who": "Maria Manager", "what": "Changed", "tone": "update", "detail": "Intended use"},
            {"when": now - timedelta(days=1), "who": "Dana Demo", "what": "Created", "tone": "create"},
            {"when": datetime(2026, 1, 5, 9, 30, tzinfo=now.tzinfo), "who": "", "what": "Deleted", "tone": "delete"},
        ],
    }


@login_required
@require_GET
def styleguide_view(request):
    if not (request.user.is_staff or settings.DEBUG):
        raise Http404("No style guide here")
    return render(request, "web/styleguide.html", _examples(request))
