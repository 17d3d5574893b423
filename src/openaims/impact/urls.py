"""Impact assessment pages (ISO/IEC 42001 8.4)."""

from openaims.impact.views import urlpatterns  # noqa: F401

app_name = "impact"
