from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PER_PAGE = 25

T = TypeVar("T")


def paginate(request: HttpRequest, items: QuerySet[Any, T] | Sequence[T], per_page: int = PER_PAGE) -> Page[T]:
    """A page of the rows (a queryset or a list) from ?page=N; out-of-range or junk page numbers fall back sensibly."""
    paginator = Paginator(items, per_page)
    try:
        return paginator.page(request.GET.get("page", 1))
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(paginator.num_pages)


def query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
