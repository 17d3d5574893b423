from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from openaims.audittrail import registry
from openaims.comments.forms import CommentForm
from openaims.comments.services import comment_add
from openaims.lib.errors import ServiceError
from openaims.tenancy.access import TenantRequest, tenant_view
from openaims.tenancy.roles import Perm


@tenant_view(Perm.COMMENT)
@require_POST
def comment_add_view(request: TenantRequest, object_type: str, object_id: str) -> HttpResponse:
    tenant = request.tenant
    kind, obj = registry.resolve(tenant, object_type, object_id)
    form = CommentForm(request.POST)
    history = reverse("audittrail:history", args=[tenant.organization.slug, kind.label, obj.pk])
    if form.is_valid():
        try:
            comment_add(
                actor=request.user, organization=tenant.organization, target=obj, body=form.cleaned_data["body"]
            )
        except ServiceError as exc:
            form.add_error("body", exc.message)
        else:
            messages.success(request, "Comment added.")
            return redirect(history)
    return render(
        request, "comments/comment_form.html", {"form": form, "history": history, "kind": kind, "obj": obj}, status=400
    )
