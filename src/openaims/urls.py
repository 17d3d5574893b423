from django.urls import include, path, re_path

from openaims.api.main import api, not_found_view

urlpatterns = [
    path("accounts/", include("openaims.accounts.urls")),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<rest>.*)$", not_found_view),
    path("", include("openaims.tenancy.urls")),
    path("", include("openaims.audittrail.urls")),
    path("", include("openaims.comments.urls")),
    path("", include("openaims.signoff.urls")),
    path("", include("openaims.catalog.urls")),
    path("", include("openaims.controls.urls")),
    path("", include("openaims.inventory.urls")),
    path("", include("openaims.risk.urls")),
    path("", include("openaims.impact.urls")),
    path("", include("openaims.web.urls")),
]

handler400 = "openaims.web.views.bad_request"
