"""Pages that fill the register in bulk: a CSV/XLSX import (with its templates) and the MLflow sync.

Thin views over `inventory.imports` and `inventory.mlflow_sync`, which validate and write. A file with
bad rows writes nothing and comes back as a table of every bad row.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET

from openaims.inventory import imports
from openaims.inventory.mlflow_sync import mlflow_sync, parse_mapping
from openaims.inventory.models import AISystem
from openaims.lib.errors import ServiceError
from openaims.lib.forms import add_service_error
from openaims.tenancy.access import require, tenant_view
from openaims.tenancy.roles import Perm

TEMPLATES = {
    "csv": ("text/csv; charset=utf-8", imports.template_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", imports.template_xlsx),
}


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV or XLSX file",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    update_existing = forms.BooleanField(
        required=False,
        label="Update existing systems",
        help_text="A row whose name matches a system in the register updates it; otherwise such a row is an error.",
    )
    dry_run = forms.BooleanField(
        required=False, label="Check only", help_text="Check every row and show what would happen; write nothing."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            f"First row: the column names. Up to {imports.max_rows():,} rows and "
            f"{imports.max_bytes() // (1024 * 1024)} MB. A blank cell leaves the field as it is."
        )


@tenant_view(Perm.WRITE)
def import_view(request):
    """Upload a list of AI systems: all rows are checked first; any bad row and nothing is written."""
    org = request.tenant.organization
    context: dict = {"row_errors": [], "report": None}
    status = 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > imports.max_bytes():
                form.add_error("file", f"the file is larger than {imports.max_bytes() // (1024 * 1024)} MB")
            else:
                try:
                    report = imports.systems_import(
                        actor=request.tenant,
                        content=upload.read(),
                        file_name=upload.name,
                        update_existing=form.cleaned_data["update_existing"],
                        dry_run=form.cleaned_data["dry_run"],
                    )
                except imports.RowsRejected as exc:
                    form.add_error(None, exc.message)
                    context["row_errors"] = exc.errors
                except ServiceError as exc:
                    form.add_error("file", exc.message)
                else:
                    if not report.dry_run:
                        messages.success(request, f"Import of {upload.name}: {report.summary()}.")
                        return redirect("inventory:systems", org.slug)
                    context["report"] = report
        if form.errors:
            status = 400
    else:
        form = ImportForm()
    context.update(
        form=form,
        allowed=imports.allowed_values(),
        required=imports.REQUIRED,
        can_sync=request.tenant.can(Perm.APPROVE),
    )
    return render(request, "inventory/import_systems.html", context, status=status)


@tenant_view(Perm.READ)
@require_GET
def import_template_view(request, fmt: str):
    """The import template: the header, one example row (and, in XLSX, a sheet of allowed values)."""
    if fmt not in TEMPLATES:
        raise Http404("Unknown template format")
    content_type, build = TEMPLATES[fmt]
    response = HttpResponse(build(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="ai-systems-import-template.{fmt}"'
    return response


class MlflowForm(forms.Form):
    tracking_uri = forms.CharField(
        label="Tracking URI",
        max_length=500,
        help_text="The MLflow server, e.g. https://mlflow.example.org or databricks. Files and databases on "
        "this server (file:, sqlite:) are read only when the administrator sets AIMS_MLFLOW_LOCAL_STORES=1, "
        "or from the command line (aims inventory mlflow-sync).",
        widget=forms.TextInput(attrs={"placeholder": "https://mlflow.example.org"}),
    )
    registry_uri = forms.CharField(
        label="Registry URI", max_length=500, required=False, help_text="Only if the model registry is elsewhere."
    )
    system = forms.ModelChoiceField(
        queryset=AISystem.objects.none(),
        required=False,
        label="Default system",
        empty_label="— none: skip models without a target —",
        help_text="Receives the registered models that are neither mapped below nor tagged openaims.system=AIS-<n>.",
    )
    mapping = forms.CharField(
        label="Mapping",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "fraud-scorer = AIS-3"}),
        help_text="One registered model per line: model name = AIS-<number>.",
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = AISystem.objects.filter(organization=organization).order_by("number")


@tenant_view(Perm.WRITE)
def mlflow_sync_view(request):
    """Bring the models of an MLflow registry into the register; only owners and managers run it.

    The sync makes this server open the URI it is given, hence APPROVE, and local stores only when allowed.
    """
    org = request.tenant.organization
    can_sync = request.tenant.can(Perm.APPROVE)
    report = None
    status = 200
    if request.method == "POST":
        require(request.tenant, Perm.APPROVE)
        form = MlflowForm(request.POST, organization=org)
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = mlflow_sync(
                    actor=request.tenant,
                    tracking_uri=data["tracking_uri"],
                    registry_uri=data["registry_uri"] or None,
                    mapping=parse_mapping(org, data["mapping"]),
                    default_system=data["system"],
                )
            except ServiceError as exc:
                add_service_error(form, exc)
        if form.errors:
            status = 400
    else:
        form = MlflowForm(organization=org)
    context = {"form": form, "report": report, "can_sync": can_sync}
    return render(request, "inventory/import_mlflow.html", context, status=status)


urlpatterns = [
    path("o/<slug:org>/systems/import/", import_view, name="import_systems"),
    path("o/<slug:org>/systems/import/template.<slug:fmt>", import_template_view, name="import_template"),
    path("o/<slug:org>/systems/mlflow/", mlflow_sync_view, name="mlflow_sync"),
]
