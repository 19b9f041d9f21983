"""Django's paginator, which can be told how many objects there are.

A list page that already counted its rows (say, for totals shown above the list) passes
``known_count``, so the paginator does not run the same COUNT again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core import paginator
from django.utils.functional import cached_property

if TYPE_CHECKING:
    # django-stubs makes the paginator generic; Django itself cannot be subscripted.
    _Base = paginator.Paginator[Any]
else:
    _Base = paginator.Paginator


class Paginator(_Base):
    def __init__(self, object_list: Any, per_page: int, *, known_count: int | None = None) -> None:
        super().__init__(object_list, per_page)
        self._known_count = known_count

    @cached_property
    def count(self) -> int:
        if self._known_count is not None:
            return self._known_count
        return int(super().count)
