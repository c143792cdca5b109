"""Calibration of the simulated register: counts, cohorts, lifetimes and rates.

Counts and mixes are the Datastore's at 31 August 2025 (domain notes, section 2, and aggregate shares of
the real extract); lifetimes and event rates are judgement, chosen so that the register's size is
roughly stable in recent years while childminders turn over fastest and care homes slowest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

CALIBRATION_DATE = dt.date(2025, 8, 31)  # the day the group counts below describe
# Inspections, gradings, complaints and enforcements are simulated from here (the current framework).
HISTORY_START = dt.date(2018, 4, 1)
FOUNDED = "2002-04"  # the regulator's first month: its founding cohort is registered on 1 April 2002
NO_PLACES = None
RESTRUCTURE_RATE = 0.004  # per service-year: cancellation and same-day re-registration under a new CS number


@dataclass(frozen=True)
class Lifetime:
    """A two-class mixture of exponential lifetimes: a fragile class that closes within a few years and a
    stable one that lasts decades. The mixture gives the falling hazard real registers show."""

    churn_share: float
    churn_years: float
    stable_years: float

    def survival(self, days: np.ndarray) -> np.ndarray:
        """The share of services still registered `days` after their registration."""
        years = np.asarray(days, dtype=float) / 365.25
        return self.churn_share * np.exp(-years / self.churn_years) + (1 - self.churn_share) * np.exp(
            -years / self.stable_years
        )

    def sample_days(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n lifetimes in days, each drawn from the fragile or the stable class in their shares."""
        churn = rng.random(n) < self.churn_share
        mean_days = np.where(churn, self.churn_years, self.stable_years) * 365.25
        return np.ceil(rng.exponential(1.0, n) * mean_days).astype(np.int64)


@dataclass(frozen=True)
class Spread:
    """A lognormal size (places, staff WTE) with a share left blank; values are clipped to [low, high]."""

    blank: float
    median: float
    sigma: float
    low: float
    high: float


@dataclass(frozen=True)
class Group:
    """One care service and subtype, with its count at CALIBRATION_DATE and how it came to be."""

    care_service: str
    subtype: str | None
    current: int
    # Founding cohorts: (first month, months spread over, share of `current` registered in them).
    cohorts: tuple[tuple[str, int, float], ...]
    lifetime: Lifetime
    sectors: dict[str, float]
    places: Spread | dict[int, float] | None  # lognormal, or shares of each value; None: always blank
    staff: Spread
    start: str = FOUNDED  # first month of registrations


@dataclass(frozen=True)
class ServiceRates:
    """How one care service's services behave once registered: the rates the event simulation draws from."""

    family: str  # which council weights apply: childcare, carehome or community
    inactive: float  # share of services registered but not operating
    inspect_years: float  # mean years between inspections for a service of typical quality
    complaints: float  # upheld complaints per service-year at typical quality
    enforcements: float  # enforcement notices per service-year at typical quality
    requirements: float  # share of inspections making requirements at typical quality
    outside_scotland: float = 0.0  # share of services based outside Scotland (agencies working in Scotland)


CHILDMINDING = Lifetime(0.5, 2.5, 20)
DAY_CARE = Lifetime(0.3, 3, 50)
CARE_HOME = Lifetime(0.15, 5, 60)
CHILDRENS_HOME = Lifetime(0.3, 4, 30)
CARE_AT_HOME = Lifetime(0.45, 3, 30)
COMMUNITY = Lifetime(0.3, 3, 45)
AGENCY = Lifetime(0.6, 2, 15)
STATUTORY = Lifetime(0.1, 3, 100)
RESIDENTIAL = Lifetime(0.1, 4, 80)


def _founders(share: float) -> tuple[tuple[str, int, float], ...]:
    return ((FOUNDED, 1, share),)


GROUPS: tuple[Group, ...] = (
    Group(
        "Child Minding",
        None,
        current=2877,
        cohorts=_founders(0.174),
        lifetime=CHILDMINDING,
        sectors={"Private": 1},
        places={3: 0.01, 4: 0.01, 5: 0.01, 6: 0.6, 7: 0.06, 8: 0.08, 9: 0.06, 10: 0.06, 11: 0.04, 12: 0.07},
        staff=Spread(0.69, 1, 0, 1, 1),
    ),
    Group(
        "Day Care of Children",
        "Day Care of Children (under 3s)",
        current=1704,
        cohorts=_founders(0.466),
        lifetime=DAY_CARE,
        sectors={
            "Health Board": 2,
            "Local Authority": 733,
            "Private": 724,
            "Voluntary or Not for Profit": 245,
        },
        places=Spread(0, 50, 0.55, 6, 300),
        staff=Spread(0.01, 6.5, 0.9, 0.5, 120),
    ),
    Group(
        "Day Care of Children",
        "Day Care of Children (over 3s)",
        current=1668,
        cohorts=_founders(0.554),
        lifetime=DAY_CARE,
        sectors={"Local Authority": 1023, "Private": 302, "Voluntary or Not for Profit": 343},
        places=Spread(0, 40, 0.5, 8, 200),
        staff=Spread(0.01, 4, 0.9, 0.3, 60),
    ),
    Group(
        "Support Service",
        "Care at Home",
        current=1278,
        cohorts=(("2002-04", 1, 0.024), ("2004-07", 6, 0.178)),
        lifetime=CARE_AT_HOME,
        sectors={
            "Health Board": 15,
            "Local Authority": 169,
            "Private": 627,
            "Voluntary or Not for Profit": 467,
        },
        places=Spread(0.7, 21, 1.2, 1, 2500),
        staff=Spread(0.01, 6.3, 1.8, 0.02, 2500),
    ),
    Group(
        "Support Service",
        "Other than Care at home",
        current=310,
        cohorts=_founders(0.416),
        lifetime=COMMUNITY,
        sectors={
            "Health Board": 15,
            "Local Authority": 131,
            "Private": 31,
            "Voluntary or Not for Profit": 133,
        },
        places=Spread(0.05, 26, 0.7, 3, 300),
        staff=Spread(0.01, 7.7, 0.9, 0.2, 150),
    ),
    Group(
        "Housing Support Service",
        None,
        current=1077,
        start="2004-07",
        cohorts=(("2004-07", 6, 0.328),),
        lifetime=COMMUNITY,
        sectors={
            "Health Board": 4,
            "Local Authority": 174,
            "Private": 309,
            "Voluntary or Not for Profit": 590,
        },
        places=Spread(0.7, 20, 1.4, 1, 2500),
        staff=Spread(0, 17.6, 1.3, 0.1, 1500),
    ),
    Group(
        "Care Home Service",
        "Older People",
        current=762,
        cohorts=_founders(0.257),
        lifetime=CARE_HOME,
        sectors={
            "Health Board": 16,
            "Local Authority": 89,
            "Private": 593,
            "Voluntary or Not for Profit": 64,
        },
        places=Spread(0, 43, 0.5, 4, 200),
        staff=Spread(0.06, 35, 0.55, 3, 250),
    ),
    Group(
        "Care Home Service",
        "Children & Young People",
        current=368,
        cohorts=_founders(0.226),
        lifetime=CHILDRENS_HOME,
        sectors={
            "Health Board": 1,
            "Local Authority": 116,
            "Private": 180,
            "Voluntary or Not for Profit": 71,
        },
        places=Spread(0, 5, 0.5, 1, 30),
        staff=Spread(0.02, 12, 0.45, 2, 80),
    ),
    Group(
        "Care Home Service",
        "Learning Disabilities",
        current=136,
        cohorts=_founders(0.64),
        lifetime=CARE_HOME,
        sectors={"Local Authority": 13, "Private": 40, "Voluntary or Not for Profit": 83},
        places=Spread(0, 7, 0.9, 1, 60),
        staff=Spread(0.05, 13, 0.75, 1, 120),
    ),
    Group(
        "Care Home Service",
        "Mental Health Problems",
        current=46,
        cohorts=_founders(0.609),
        lifetime=CARE_HOME,
        sectors={"Private": 17, "Voluntary or Not for Profit": 29},
        places=Spread(0, 11.5, 0.8, 2, 80),
        staff=Spread(0.11, 10, 0.8, 1, 120),
    ),
    Group(
        "Care Home Service",
        "Physical and Sensory Impairment",
        current=26,
        cohorts=_founders(0.423),
        lifetime=CARE_HOME,
        sectors={"Private": 8, "Voluntary or Not for Profit": 18},
        places=Spread(0, 16, 0.8, 2, 90),
        staff=Spread(0, 26, 0.6, 3, 120),
    ),
    Group(
        "Care Home Service",
        "Alcohol & Drug Misuse",
        current=15,
        cohorts=_founders(0.333),
        lifetime=CARE_HOME,
        sectors={"Private": 3, "Voluntary or Not for Profit": 12},
        places=Spread(0, 22, 0.6, 3, 45),
        staff=Spread(0, 17, 0.3, 5, 30),
    ),
    Group(
        "Care Home Service",
        "Respite Care and Short Breaks",
        current=11,
        cohorts=_founders(0.364),
        lifetime=CARE_HOME,
        sectors={"Local Authority": 6, "Private": 1, "Voluntary or Not for Profit": 4},
        places=Spread(0, 10, 0.4, 3, 25),
        staff=Spread(0.09, 15.5, 0.4, 3, 30),
    ),
    Group(
        "Care Home Service",
        "Blood Borne Virus",
        current=1,
        cohorts=(),
        lifetime=CARE_HOME,
        sectors={"Voluntary or Not for Profit": 1},
        places=Spread(0, 10, 0.2, 5, 15),
        staff=Spread(0, 12, 0.1, 8, 16),
    ),
    Group(
        "Nurse Agency",
        None,
        current=147,
        cohorts=(),
        lifetime=AGENCY,
        sectors={"Local Authority": 1, "Private": 144, "Voluntary or Not for Profit": 2},
        places=Spread(0.94, 20, 1.2, 1, 500),
        staff=Spread(0.01, 6, 1.3, 0.5, 3000),
    ),
    Group(
        "Fostering Service",
        None,
        current=58,
        start="2005-10",
        cohorts=(("2005-10", 3, 0.707),),
        lifetime=STATUTORY,
        sectors={"Local Authority": 32, "Voluntary or Not for Profit": 26},
        places=NO_PLACES,
        staff=Spread(0, 8.8, 0.7, 1, 60),
    ),
    Group(
        "Adoption Service",
        None,
        current=38,
        start="2005-10",
        cohorts=(("2005-10", 3, 0.816),),
        lifetime=STATUTORY,
        sectors={"Local Authority": 32, "Voluntary or Not for Profit": 6},
        places=NO_PLACES,
        staff=Spread(0, 4.85, 0.7, 1, 25),
    ),
    Group(
        "Adult Placement Service",
        "Adult Placement Continuing Care",
        current=23,
        start="2005-01",
        cohorts=(),
        lifetime=STATUTORY,
        sectors={"Local Authority": 13, "Voluntary or Not for Profit": 10},
        places=Spread(0.94, 9, 0.4, 2, 20),
        staff=Spread(0.03, 5.2, 1, 0.5, 60),
    ),
    Group(
        "Adult Placement Service",
        "Adult Placement (not continuing care)",
        current=10,
        start="2005-01",
        cohorts=(),
        lifetime=STATUTORY,
        sectors={"Local Authority": 6, "Voluntary or Not for Profit": 4},
        places=Spread(0.94, 9, 0.4, 2, 20),
        staff=Spread(0.03, 5.2, 1, 0.5, 60),
    ),
    # The real register leaves most adult placement services without a subtype.
    Group(
        "Adult Placement Service",
        None,
        current=44,
        start="2005-01",
        cohorts=(),
        lifetime=STATUTORY,
        sectors={"Local Authority": 31, "Voluntary or Not for Profit": 13},
        places=NO_PLACES,
        staff=Spread(0, 2.55, 0.9, 0.5, 30),
    ),
    Group(
        "School Care Accommodation Service",
        "Residential Special School",
        current=27,
        cohorts=_founders(0.259),
        lifetime=RESIDENTIAL,
        sectors={"Private": 13, "Voluntary or Not for Profit": 14},
        places=Spread(0, 10, 0.8, 2, 60),
        staff=Spread(0.04, 25, 0.9, 3, 300),
    ),
    Group(
        "School Care Accommodation Service",
        "Mainstream Residential School",
        current=17,
        start="2005-04",
        cohorts=(("2005-04", 1, 0.941),),
        lifetime=RESIDENTIAL,
        sectors={"Private": 1, "Voluntary or Not for Profit": 16},
        places=Spread(0, 107, 0.9, 20, 600),
        staff=Spread(0.18, 16, 1.2, 1, 300),
    ),
    Group(
        "School Care Accommodation Service",
        "School Hostel",
        current=7,
        start="2005-04",
        cohorts=(("2005-04", 1, 0.857),),
        lifetime=RESIDENTIAL,
        sectors={"Local Authority": 7},
        places=Spread(0, 87, 0.25, 40, 130),
        staff=Spread(0.14, 13, 0.4, 5, 30),
    ),
    Group(
        "Child Care Agency",
        None,
        current=11,
        start="2004-04",
        cohorts=(),
        lifetime=AGENCY,
        sectors={"Private": 9, "Voluntary or Not for Profit": 2},
        places=NO_PLACES,
        staff=Spread(0.09, 2, 0.6, 0.2, 10),
    ),
    Group(
        "Offender Accommodation Service",
        None,
        current=5,
        cohorts=_founders(0.4),
        lifetime=RESIDENTIAL,
        sectors={"Local Authority": 1, "Voluntary or Not for Profit": 4},
        places=Spread(0, 10, 0.15, 6, 14),
        staff=Spread(0.2, 9.7, 0.4, 3, 25),
    ),
    Group(
        "Secure Accommodation Service",
        None,
        current=4,
        cohorts=_founders(0.25),
        lifetime=RESIDENTIAL,
        sectors={"Voluntary or Not for Profit": 4},
        places=Spread(0, 19, 0.15, 10, 30),
        staff=Spread(0, 78, 0.5, 25, 170),
    ),
)

SERVICE_RATES: dict[str, ServiceRates] = {
    "Child Minding": ServiceRates("childcare", 0.022, 3.0, 0.005, 0.0005, 0.04),
    "Day Care of Children": ServiceRates("childcare", 0.014, 2.5, 0.03, 0.0015, 0.12),
    "Support Service": ServiceRates("community", 0.006, 2.2, 0.04, 0.002, 0.11, outside_scotland=0.0015),
    "Housing Support Service": ServiceRates("community", 0.002, 2.0, 0.08, 0.0015, 0.17),
    "Care Home Service": ServiceRates("carehome", 0.008, 1.1, 0.24, 0.012, 0.28),
    "Nurse Agency": ServiceRates("community", 0.034, 2.5, 0.004, 0.02, 0.05, outside_scotland=0.33),
    "Fostering Service": ServiceRates("community", 0.0, 2.0, 0.03, 0.002, 0.3),
    "Adoption Service": ServiceRates("community", 0.0, 2.5, 0.015, 0.002, 0.3),
    "Adult Placement Service": ServiceRates("community", 0.013, 2.5, 0.01, 0.002, 0.2),
    "School Care Accommodation Service": ServiceRates("community", 0.0, 1.5, 0.05, 0.005, 0.3),
    "Child Care Agency": ServiceRates("community", 0.0, 2.5, 0.01, 0.005, 0.05, outside_scotland=0.18),
    "Offender Accommodation Service": ServiceRates("community", 0.0, 1.5, 0.05, 0.005, 0.1),
    "Secure Accommodation Service": ServiceRates("community", 0.0, 1.0, 0.4, 0.03, 0.3),
}

# Services per council area at 31 Aug 2025 by family (childcare, carehome, community), in Scotland.
COUNCIL_WEIGHTS: dict[str, tuple[int, int, int]] = {
    "Aberdeen City": (244, 58, 135),
    "Aberdeenshire": (409, 67, 86),
    "Angus": (162, 35, 51),
    "Argyll & Bute": (137, 24, 60),
    "City of Edinburgh": (516, 95, 407),
    "Clackmannanshire": (52, 10, 36),
    "Dumfries & Galloway": (157, 47, 87),
    "Dundee City": (146, 34, 117),
    "East Ayrshire": (156, 45, 64),
    "East Dunbartonshire": (140, 28, 41),
    "East Lothian": (157, 23, 59),
    "East Renfrewshire": (143, 13, 31),
    "Falkirk": (203, 38, 98),
    "Fife": (456, 116, 147),
    "Glasgow City": (437, 121, 391),
    "Highland": (358, 79, 137),
    "Inverclyde": (67, 27, 43),
    "Midlothian": (130, 16, 49),
    "Moray": (150, 19, 52),
    "Na h-Eileanan Siar": (30, 11, 32),
    "North Ayrshire": (178, 43, 54),
    "North Lanarkshire": (352, 41, 131),
    "Orkney Islands": (40, 7, 32),
    "Perth & Kinross": (196, 52, 85),
    "Renfrewshire": (153, 45, 115),
    "Scottish Borders": (142, 30, 63),
    "Shetland Islands": (34, 14, 27),
    "South Ayrshire": (107, 45, 56),
    "South Lanarkshire": (339, 86, 107),
    "Stirling": (122, 35, 47),
    "West Dunbartonshire": (72, 14, 57),
    "West Lothian": (263, 47, 106),
}
FAMILIES = ("childcare", "carehome", "community")

# Care at home draws most of a support service's complaints; day centres and the like few.
COMPLAINTS_BY_SUBTYPE = {"Care at Home": 1.2, "Other than Care at home": 0.25}

# Care homes' main area of care, by subtype (shares of the real register; "" is blank).
CARE_HOME_AREAS: dict[str, dict[str, int]] = {
    "Older People": {
        "Older people - frailty": 371,
        "Older people - dementia": 322,
        "": 54,
        "Physical disability or illness": 5,
        "Mental health problems (other than dementia)": 5,
        "Alcohol related brain injury": 3,
        "Learning difficulties": 2,
    },
    "Children & Young People": {"": 1},
    "Learning Disabilities": {
        "Learning difficulties": 120,
        "Autism spectrum disorders": 8,
        "Physical disability or illness": 4,
        "": 3,
        "Neurological condition (other than dementia)": 1,
    },
    "Mental Health Problems": {
        "Mental health problems (other than dementia)": 37,
        "": 4,
        "Alcohol related brain injury": 3,
        "Autism spectrum disorders": 1,
        "Learning difficulties": 1,
    },
    "Physical and Sensory Impairment": {
        "Physical disability or illness": 13,
        "": 3,
        "Acquired brain injury": 3,
        "Learning difficulties": 2,
        "Visual impairment": 2,
        "Hearing impairment": 1,
        "Alcohol related brain injury": 1,
        "Neurological condition (other than dementia)": 1,
    },
    "Alcohol & Drug Misuse": {
        "Alcohol dependency": 4,
        "Drug dependency": 4,
        "Alcohol related brain injury": 3,
        "": 2,
        "Older people - frailty": 1,
        "Mothers and children": 1,
    },
    "Respite Care and Short Breaks": {
        "Learning difficulties": 7,
        "Physical disability or illness": 1,
        "Older people - dementia": 1,
        "Older people - frailty": 1,
        "Neurological condition (other than dementia)": 1,
    },
    "Blood Borne Virus": {"Blood borne viruses": 1},
}

# Grades: a latent quality per service; most services sit around 4.6, a minority struggle.
QUALITY_MEAN, QUALITY_SD = 4.62, 0.38
STRUGGLING_SHARE, STRUGGLING_MEAN, STRUGGLING_SD = 0.1, 3.55, 0.6
VISIT_SD, KEY_QUESTION_SD = (
    0.28,
    0.25,
)  # variation between inspections, and between key questions of one grading
GRADED_SHARE, FIRST_GRADED_SHARE = (
    0.62,
    0.9,
)  # inspections that are graded (a new service's first: nearly all)
FULL_GRADING_SHARE = 0.35  # later gradings that grade every applicable key question; the rest grade 2 or 3
CHILDMINDER_STAFF_SHARE = 0.35  # childminders with assistants, the only ones graded on staff team
PUBLICATION_LAG_DAYS = (7, 30, 100)  # minimum, median, maximum days from inspection to published grades
COVID_PAUSE = (
    dt.date(2020, 3, 23),
    dt.date(2021, 6, 30),
)  # inspections mostly suspended, care homes excepted
COVID_KEPT = {"Care Home Service": 0.5}  # share of inspections that went ahead in the pause; others 0.1
COVID_GRADED_SHARE = 0.25
ENFORCEMENT_TYPES = {
    "Improvement Notice": 0.62,
    "Condition Notice": 0.16,
    "Proposal to Cancel": 0.12,
    "Emergency Condition Notice": 0.06,
    "Emergency Cancellation": 0.04,
}

GROUP_CARE_SERVICE = np.array([g.care_service for g in GROUPS])
