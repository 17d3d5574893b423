"""Risk pages, one module per concern; each defines `urlpatterns` (combined in risk/urls.py)."""
