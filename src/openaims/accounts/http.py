"""The request type of views that only signed-in people reach, for annotations."""

from __future__ import annotations

from django.http import HttpRequest

from openaims.accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """A request past `login_required` (or `tenant_view`): its user is a signed-in `User`, never anonymous.

    Never instantiated: Django builds the request; this only tells the checker what the view may rely on.
    """

    user: User  # narrower than HttpRequest's user, which may be anonymous
