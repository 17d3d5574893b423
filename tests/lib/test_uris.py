"""Stored URIs: links are http(s) only; a model's location may name a store but never a file or a script."""

from __future__ import annotations

import pytest

from openaims.lib.errors import ServiceError
from openaims.lib.uris import check_location, check_site_path, check_web_url

HOSTILE = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "vbscript:msgbox(1)",
    "ftp://files.example.org/report.pdf",
    "blob:https://example.org/1",
]


@pytest.mark.parametrize("uri", HOSTILE)
def test_a_link_is_http_or_https_only(uri):
    with pytest.raises(ServiceError, match="only http:// and https:// links are accepted") as caught:
        check_web_url(uri, "url", label="link")
    assert caught.value.field == "url"


def test_a_link_needs_a_host_and_no_blanks():
    assert check_web_url(" https://example.org/a?b=1 ", "url") == "https://example.org/a?b=1"
    assert check_web_url("", "url") == ""
    for bad, message in (("https://", "names no host"), ("https://exa mple.org", "no spaces")):
        with pytest.raises(ServiceError, match=message):
            check_web_url(bad, "url")


@pytest.mark.parametrize("uri", ["javascript:alert(1)", "data:,x", "file:///srv/models/x.pkl", "C:\\models\\x"])
def test_a_location_is_never_a_script_or_a_local_file(uri):
    with pytest.raises(ServiceError, match="locations are not accepted"):
        check_location(uri, "uri", label="location")


def test_a_location_may_name_a_store_or_be_plain_text():
    for uri in ("s3://bucket/m/1", "models:/scorer/3", "runs:/abc/model", "https://hf.co/x", "bucket/path/model-3"):
        assert check_location(uri, "uri") == uri


def test_a_sign_off_subject_is_a_path_on_this_site():
    assert check_site_path("/o/acme/soa/versions/3", "subject_url") == "/o/acme/soa/versions/3"
    for bad in ("https://evil.example/", "//evil.example/", "javascript:alert(1)", "/\\evil.example"):
        with pytest.raises(ServiceError):
            check_site_path(bad, "subject_url")
