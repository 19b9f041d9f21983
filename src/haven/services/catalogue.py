"""The default service catalogue every organisation starts from.

Covers what members' frontline reports list (food parcels, cooked meals, emergency rent
money, vouchers, prepaid SIM cards, hygiene packs, tests, psychological and legal support by
phone, online support groups, shelter) and the usual rest. Names are translated in code;
rows in the database keep the code, so adding a language needs no migration.
"""

from __future__ import annotations

from typing import NamedTuple

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DefaultService(NamedTuple):
    code: str
    name: Promise
    category: str
    unit: str
    counts_money: bool = False


DEFAULT_SERVICES: tuple[DefaultService, ...] = (
    DefaultService("food_parcel", _("Food parcel"), "basic_needs", "parcel"),
    DefaultService("cooked_meals", _("Cooked meals"), "basic_needs", "meal"),
    DefaultService("hygiene_pack", _("Hygiene pack"), "basic_needs", "pack"),
    DefaultService("clothing", _("Clothing"), "basic_needs", "item"),
    DefaultService("voucher", _("Vouchers"), "financial", "voucher", counts_money=True),
    DefaultService("emergency_rent", _("Emergency rent money"), "financial", "payment", True),
    DefaultService("financial_aid", _("Financial aid"), "financial", "payment", True),
    DefaultService("transport", _("Transport costs"), "financial", "trip", True),
    DefaultService("shelter_night", _("Shelter night"), "shelter", "night"),
    DefaultService("housing_support", _("Housing support"), "shelter", "session"),
    DefaultService("medical_support", _("Medical support"), "health", "consultation"),
    DefaultService("health_test", _("Health test"), "health", "test"),
    DefaultService("psychological_support", _("Psychological support"), "psychological", "session"),
    DefaultService("support_group", _("Support group session"), "psychological", "session"),
    DefaultService("legal_support", _("Legal support"), "legal", "session"),
    DefaultService("accompaniment", _("Accompaniment"), "social", "accompaniment"),
    DefaultService("interpretation", _("Interpretation"), "social", "hour"),
    DefaultService("social_support", _("Social support"), "social", "session"),
    DefaultService("outreach_contact", _("Outreach contact"), "outreach", "contact"),
    DefaultService("information", _("Information and advice"), "outreach", "session"),
    DefaultService("training", _("Training"), "education", "session"),
    DefaultService("prepaid_sim", _("Prepaid SIM card"), "communication", "card"),
)

DEFAULT_NAMES: dict[str, Promise] = {service.code: service.name for service in DEFAULT_SERVICES}
