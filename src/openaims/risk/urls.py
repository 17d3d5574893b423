"""Risk pages; each concern keeps its routes next to its views."""

from openaims.risk.views import criteria, register, risks

app_name = "risk"
urlpatterns = [
    *register.urlpatterns,
    *risks.urlpatterns,
    *criteria.urlpatterns,
]
