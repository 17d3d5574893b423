"""The URIs the product stores, checked one way wherever they come in (form, API, import, sync).

A stored link is shown as a link: only http(s) may be one, so no `javascript:`, `data:`, `file:` or
`vbscript:` link ever reaches a page. A model's location is shown as text, never as a link, and may
also name the stores models live in (s3://, gs://, models:/, …); still never a local file or a script.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms

from openaims.lib.errors import ServiceError

WEB_SCHEMES = frozenset({"http", "https"})
# Where models and artefacts live besides the web: object stores, HDFS/DBFS, and MLflow's own references.
STORE_SCHEMES = frozenset(
    {
        "s3",
        "s3a",
        "gs",
        "gcs",
        "az",
        "abfs",
        "abfss",
        "wasb",
        "wasbs",
        "adl",
        "hdfs",
        "dbfs",
        "oci",
        "hf",
        "models",
        "runs",
        "mlflow-artifacts",
    }
)


def _clean(value: object, field: str, label: str, limit: int) -> str:
    if value is not None and not isinstance(value, str):
        raise ServiceError(f"{label}: give text", field=field)
    text = (value or "").strip()
    if len(text) > limit:
        raise ServiceError(f"{label}: at most {limit} characters", field=field)
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ServiceError(f"{label}: an address has no spaces or control characters", field=field)
    return text


def _scheme(text: str) -> str:
    try:
        return urlsplit(text).scheme.lower()
    except ValueError:
        return ""


def check_web_url(value: object, field: str, *, label: str = "", limit: int = 500) -> str:
    """An http(s) URL with a host, stripped, or "" for none; anything else is a ServiceError on `field`."""
    label = label or field.replace("_", " ")
    text = _clean(value, field, label, limit)
    if not text:
        return ""
    scheme = _scheme(text)
    if scheme not in WEB_SCHEMES:
        shown = f"{scheme}: addresses are" if scheme else "an address without http:// or https:// is"
        raise ServiceError(f"{label}: only http:// and https:// links are accepted; {shown} not", field=field)
    try:
        host = urlsplit(text).hostname
    except ValueError:
        host = None
    if not host:
        raise ServiceError(f"{label}: the link names no host", field=field)
    return text


def check_location(value: object, field: str, *, label: str = "", limit: int = 500) -> str:
    """Where an artefact lives: an http(s) URL, a store URI (s3://, models:/ …) or a name without a scheme."""
    label = label or field.replace("_", " ")
    text = _clean(value, field, label, limit)
    scheme = _scheme(text) if ":" in text else ""
    if scheme and scheme in WEB_SCHEMES:
        return check_web_url(text, field, label=label, limit=limit)
    if scheme and scheme not in STORE_SCHEMES:
        raise ServiceError(
            f"{label}: {scheme}: locations are not accepted; give an http(s) address or a store URI "
            "such as s3://, gs://, abfss://, dbfs:/ or models:/",
            field=field,
        )
    return text


def location_or_blank(value: str) -> str:
    """`value` when it is an acceptable location, else "" (for data read from elsewhere, e.g. MLflow sources)."""
    try:
        return check_location(value, "uri")
    except ServiceError:
        return ""


def check_site_path(value: str, field: str) -> str:
    """A path on this site ("/o/acme/…"): never another site, never a script."""
    text = value.strip()
    if text and (not text.startswith("/") or text.startswith("//") or "\\" in text or _scheme(text)):
        raise ServiceError(f"{field.replace('_', ' ')}: give a path on this site", field=field)
    return text


class WebURLField(forms.URLField):
    """A form's link field: Django's URL field ("example.org" becomes https://example.org), http(s) only."""

    default_validators: list[Any] = []

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("assume_scheme", "https")
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        try:
            check_web_url(value, "url", label="link", limit=self.max_length or 500)
        except ServiceError as exc:
            raise forms.ValidationError(exc.message) from None
