"""English dates written day first, as most of Haven's English readers write them.

Django's ``en`` is American English: "Dec. 6, 2026, 7:33 p.m." and "12/06/2026", which
a reader in London, Nairobi or Delhi takes for 12 June. Haven's networks span the world,
so dates read unambiguously everywhere: "6 December 2026", "6 Dec 2026, 19:33".
Input formats are Django's (forms write ISO dates: haven/widgets.py).
"""

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
