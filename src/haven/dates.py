"""The oldest dates a record may carry, shared by every app's actions and by the import.

Haven holds support given from this century on; a date before 2000 is a slip (0001-01-01
from a year left empty, 1900 from a spreadsheet's zero) that would then sort first in
every list and skew every report. A date of birth goes back as far as the oldest age the
forms accept.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

EARLIEST_DATE = datetime.date(2000, 1, 1)
OLDEST_AGE = 120
# A filter date this many years ahead is a slip (9999-12-31), and one at the calendar's
# edge overflows as soon as the day after it is computed.
FILTER_YEARS_AHEAD = 10
# A follow-up (of a case, of a call) is planned within a year: a later one is a slip of the
# year, and would sit unseen at the end of every list of follow-ups due.
MAX_FOLLOW_UP_AHEAD = datetime.timedelta(days=366)


def too_early(day: datetime.date) -> str | None:
    """The refusal of a date before ``EARLIEST_DATE``, or None if it is not."""
    if day < EARLIEST_DATE:
        return _("Give a date from 1 January 2000 on.")
    return None


def birth_date_problem(born: datetime.date, today: datetime.date) -> str | None:
    """The refusal of a date of birth in the future or over ``OLDEST_AGE`` years ago, or None."""
    if born > today:
        return _("This date is in the future.")
    # 29 February has no twin OLDEST_AGE years back in most years; 28 February stands in.
    day = 28 if (today.month, today.day) == (2, 29) else today.day
    if born < today.replace(year=today.year - OLDEST_AGE, day=day):
        return _("Give a date of birth at most 120 years ago.")
    return None


def follow_up_problem(day: datetime.date) -> str | None:
    """The refusal of a follow-up planned more than a year ahead, or None."""
    if day > timezone.localdate() + MAX_FOLLOW_UP_AHEAD:
        return _("Plan a follow-up within the next year.")
    return None


def moment_problem(moment: datetime.datetime) -> str | None:
    """Why a date and time staff set (a deadline, a publication) cannot be kept: before 2000
    or years ahead. Checked on its own date: one at the calendar's edge cannot even be
    converted to UTC to be stored."""
    return filter_date_problem(moment.date())


def latest_filter_date() -> datetime.date:
    """The last day a list's date filter may name."""
    return timezone.localdate() + datetime.timedelta(days=366 * FILTER_YEARS_AHEAD)


def filter_date_problem(day: datetime.date) -> str | None:
    """Why ``day`` cannot narrow a list (before 2000, or years ahead), or None."""
    if problem := too_early(day):
        return problem
    latest = latest_filter_date()
    if day > latest:
        return _("Give a date up to %(date)s.") % {"date": date_format(latest)}
    return None
