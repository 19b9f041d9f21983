"""Neutral categories from the Human Trafficking Case Data Standard 2.0 (IOM, CC BY 4.0).

Codes are HTCDS value names, so coalition statistics and exports line up with the
standard; labels are ours, translatable. ``tests/casework/test_htcds.py`` checks every
code against ``haven/data/htcds_field_standards_v2.tsv``. Attribution: Human Trafficking
Case Data Standard, International Organization for Migration; no endorsement implied.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    FEMININE = "Feminine", _("Woman / feminine")
    MASCULINE = "Masculine", _("Man / masculine")
    TRANSGENDER_FEMININE = "TransgenderFeminine", _("Transgender woman")
    TRANSGENDER_MASCULINE = "TransgenderMasculine", _("Transgender man")
    NON_CONFORMING = "NonConforming", _("Non-binary / non-conforming")
    UNKNOWN = "NonSpecifiedUnknown", _("Not specified / unknown")


class TraffickingStatus(models.TextChoices):
    POSSIBLE = "PossibleVictimOfTrafficking", _("Presumed trafficked")
    ACTUAL = "ActualVictimOfTrafficking", _("Identified as trafficked")
    NOT = "NotAVictimOfTrafficking", _("Not trafficked")


class Exploitation(models.TextChoices):
    FORCED_LABOUR = "ForcedLabour", _("Forced labour")
    SEXUAL = "SexualExploitation", _("Sexual exploitation")
    CHILD_LABOUR = "ChildLabour", _("Child labour")
    FORCED_MARRIAGE = "ForcedMarriage", _("Forced marriage")
    SERVITUDE = "Servitude", _("Domestic servitude")
    FORCED_MILITARY = "ForcedMilitaryByNonStateActors", _("Forced military service")
    ORGAN_REMOVAL = "OrganRemoval", _("Organ removal")
    FORCED_BEGGING = "ForcedBegging", _("Forced begging")
    FORCED_ADOPTION = "ForcedAdoption", _("Forced adoption")
    SURROGACY = "Surrogacy", _("Surrogacy")
    OTHER = "Other", _("Other")


class Sector(models.TextChoices):
    AGRICULTURE = "A_AgricultureForestryAndFishing", _("Agriculture, forestry and fishing")
    MINING = "B_MiningAndQuarrying", _("Mining and quarrying")
    MANUFACTURING = "C_Manufacturing", _("Manufacturing")
    ENERGY = "D_ElectricityGasSteamAndAirConditioningSupply", _("Energy supply")
    WATER = "E_WaterSupplySewerageWasteManagement", _("Water and waste")
    CONSTRUCTION = "F_Construction", _("Construction")
    TRADE = "G_WholesaleAndRetailTradeRepairOfMotorVehicles", _("Wholesale and retail trade")
    TRANSPORT = "H_TransportationAndStorage", _("Transport and storage")
    HOSPITALITY = "I_AccommodationAndFoodServiceActivities", _("Accommodation and food services")
    INFORMATION = "J_InformationAndCommunication", _("Information and communication")
    FINANCE = "K_FinancialAndInsuranceActivities", _("Finance and insurance")
    REAL_ESTATE = "L_RealEstateActivities", _("Real estate")
    PROFESSIONAL = "M_ProfessionalScientificAndTechnicalActivities", _("Professional services")
    ADMINISTRATIVE = "N_AdministrativeAndSupportServiceActivities", _("Administrative services")
    PUBLIC = "O_PublicAdministrationAndDefence", _("Public administration")
    EDUCATION = "P_Education", _("Education")
    HEALTH = "Q_HumanHealthAndSocialWorkActivities", _("Health and social work")
    ARTS = "R_ArtsEntertainmentAndRecreation", _("Arts, entertainment and recreation")
    OTHER_SERVICES = "S_OtherServiceActivities", _("Other services (including the sex industry)")
    HOUSEHOLDS = "T_ActivitiesOfHouseholdsAsEmployers", _("Private households as employers")
    EXTRATERRITORIAL = "U_ActivitiesOfExtraterritorialOrganizations", _("Extraterritorial bodies")


class MeansOfControl(models.TextChoices):
    PHYSICAL_THREATS = "PhysicalThreats", _("Physical threats")
    THREATS_LAW_ENFORCEMENT = "ThreatsLawEnforcement", _("Threats of law enforcement")
    THREATENS_FAMILY = "ThreatensChildrenFamily", _("Threats to children or family")
    DEBT_BONDAGE = "DebtBondage", _("Debt bondage")
    FALSE_PROMISES = "FalsePromises", _("False promises")
    PHYSICAL_ABUSE = "PhysicalAbuse", _("Physical abuse")
    SEXUAL_ABUSE = "SexualAbuse", _("Sexual abuse")
    TAKES_EARNINGS = "TakesEarnings", _("Takes earnings")
    RESTRICTS_FINANCES = "RestrictsFinancialAccess", _("Restricts access to money")
    RESTRICTS_MEDICAL = "RestrictsMedicalCare", _("Restricts medical care")
    WITHHOLDS_NECESSITIES = "WithholdsNecessities", _("Withholds necessities")
    PSYCHOLOGICAL_ABUSE = "PsychologicalAbuse", _("Psychological abuse")
    SUBSTANCES = "PsychoactiveSubstance", _("Psychoactive substances")
    EXCESSIVE_HOURS = "ExcessiveWorkingHours", _("Excessive working hours")
    WITHHOLDS_DOCUMENTS = "WithholdsDocuments", _("Withholds documents")
    OTHER = "Other", _("Other")


class Vulnerability(models.TextChoices):
    ADDICTION = "Addiction", _("Addiction")
    SOCIAL_GROUP = "SocialGroup", _("Social group")
    DISCRIMINATION = "Discrimination", _("Discrimination")
    POVERTY = "Poverty", _("Poverty")
    DISABILITY = "DisabilityAndPhysicalHealth", _("Disability and physical health")
    MENTAL_HEALTH = "MentalHealth", _("Mental health")
    MIGRATION = "Migration", _("Migration")
    HOMELESSNESS = "Homelessness", _("Homelessness")
    ABUSE_SOCIAL_MEDIA = "AbuseSocialMedia", _("Abuse through social media")
    ABUSE_PHYSICAL = "AbusePhysical", _("Physical abuse")
    EDUCATION = "Education", _("Education")
    WORK_ENVIRONMENT = "WorkEnvironment", _("Work environment")


class CaseStatus(models.TextChoices):
    ACTIVE = "Active", _("Active")
    FOLLOW_UP = "FollowUp", _("Follow-up")
    CLOSED = "Closed", _("Closed")
    CLOSED_REFERRED = "ClosedReferred", _("Closed, referred")


# HTCDS picklist field name → the choices above that use its value names.
PICKLISTS: dict[str, type[models.TextChoices]] = {
    "prs_Gender": Gender,
    "vic_TraffickingStatus": TraffickingStatus,
    "vic_TypeOfExploitation": Exploitation,
    "vic_ForcedLabourIndustry": Sector,
    "vic_MethodsOfControl": MeansOfControl,
    "vic_Vulnerabilities": Vulnerability,
    "cas_Status": CaseStatus,
}
