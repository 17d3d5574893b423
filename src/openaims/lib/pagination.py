from __future__ import annotations

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator

PER_PAGE = 25


def paginate(request, queryset, per_page: int = PER_PAGE):
    """A page of the queryset from ?page=N; out-of-range or junk page numbers fall back sensibly."""
    paginator = Paginator(queryset, per_page)
    try:
        return paginator.page(request.GET.get("page", 1))
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(paginator.num_pages)


def query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
