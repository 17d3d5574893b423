"""Every tenant page survives a hostile query string: NUL characters, numbers past 64 bits, nonsense dates.

Searches and filters lose the NUL characters (PostgreSQL cannot compare text holding one) and ignore values
that cannot name anything; a page answers as it would without them, never 500. Runs on both databases.
"""

from __future__ import annotations

import pytest

from tests.matrix import ROLES
from tests.test_role_matrix_web import ENDPOINTS

HUGE = "9" * 30
PARAMS = {
    name: value
    for name, value in (
        *((key, "x\x00y") for key in ("q", "rq", "kind", "role", "status", "owner", "group", "flag", "action")),
        *((key, "\x00") for key in ("object_type", "object_id", "actor", "treatment", "inherent", "residual")),
        *((key, HUGE) for key in ("page", "system", "exclude", "il", "ic", "rl", "rc", "risk", "from", "to")),
        *((key, "0") for key in ("since", "until")),
        ("name", "n\x00"),
        ("purpose", "p\x00"),
        ("sort", "\x00"),
        ("next", "/\x00"),
    )
}
PAGES = [e for e in ENDPOINTS if e.method == "GET"]


@pytest.mark.parametrize("endpoint", PAGES, ids=str)
def test_a_hostile_query_string_never_breaks_a_page(cast, client_for, endpoint):
    who = next(role for role in ("owner", *ROLES) if role in endpoint.allowed)
    response = client_for(cast.users[who]).get(endpoint.path(cast), PARAMS)
    assert response.status_code < 500
    assert response.status_code in (200, 302, 400, 404), response.status_code


def test_nul_characters_leave_the_search_and_the_rest_stays(cast, client_for):
    response = client_for(cast.users["viewer"]).get(f"/o/{cast.org.slug}/risks/", {"q": "ab\x00c"})
    assert response.status_code == 200
    assert 'value="abc"' in response.content.decode()
