"""Calibration of the simulated register: counts, cohorts, lifetimes and rates.

Counts and mixes are the Datastore's at 31 August 2025 (domain notes, section 2, and aggregate shares of
the real extract); lifetimes, declines and event rates are tuned so that monthly editions change as the 22
real ones of Sep 2023 to Aug 2025 did (domain notes, section 6): the register shrinks about 1.8% a year,
childminders fastest. Sizes follow the real extract's medians and upper percentiles per care service.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import numpy as np

CALIBRATION_DATE = dt.date(2025, 8, 31)  # the day the group counts below describe
# One history per seed and scale: it is simulated to this fixed day and cut at each extract date, so
# extracts written for any --until agree on every service they share. Later extract dates are refused.
HORIZON = dt.date(2030, 12, 31)
# Inspections, gradings, complaints and enforcements are simulated from here: services were first graded
# in April 2008 (the Care Commission's grades), and the real edition of 31 Aug 2025 still shows a last
# inspection of 2009-06-18.
EVENTS_START = dt.date(2008, 4, 1)
FOUNDED = "2002-04"  # the regulator's first month: its founding cohort is registered on 1 April 2002
NO_PLACES = None
RESTRUCTURE_RATE = 0.004  # per service-year: cancellation and same-day re-registration under a new CS number
# Days from a registration to the operational system recording it (exponential mean): the extract taken
# five days after the month end of 31 Aug 2025 showed 3 services registered in September.
REGISTRATION_RECORDING_DAYS = 3.0


@dataclass(frozen=True)
class Lifetime:
    """A two-class mixture of exponential lifetimes: a fragile class that closes within a few years and a
    stable one that lasts decades. The mixture gives the falling hazard real registers show."""

    churn_share: float
    churn_years: float
    stable_years: float

    @property
    def established(self) -> Lifetime:
        """The lifetime of a service already operating when its kind came under regulation (a founding
        cohort): it has outlived the fragile class."""
        return dataclasses.replace(self, churn_share=0.0)

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
    # Yearly fall in registrations: registrations a year earlier were exp(decline) times as many. The real
    # register loses about 59 services a month and gains 45 (editions Sep 2023-Aug 2025), childminders most.
    decline: float = 0.0


@dataclass(frozen=True)
class ServiceRates:
    """How one care service's services behave once registered: the rates the event simulation draws from."""

    family: str  # which council weights apply: childcare, carehome or community
    inactive: float  # share of services registered but not operating
    inspect_years: float  # median of services' mean years between inspections since the 2020-21 pause
    inspect_years_before_pause: float  # the same before it, when inspections came more often
    deprioritised: float  # share inspected DEPRIORITISED_GAP_FACTOR times less often since the pause
    first_inspection_years: float  # mean wait from registration to a new service's first inspection
    complaints: float  # upheld complaints per service-year at typical quality
    enforcements: float  # enforcement notices per service-year at typical quality
    requirements: float  # share of inspections making requirements at typical quality
    outside_scotland: float = 0.0  # share of services based outside Scotland (agencies working in Scotland)


CHILDMINDING = Lifetime(0.55, 2, 13)
DAY_CARE = Lifetime(0.25, 3, 40)
CARE_HOME = Lifetime(0.15, 5, 30)
CHILDRENS_HOME = Lifetime(0.3, 4, 30)
CARE_AT_HOME = Lifetime(0.45, 3, 30)
COMMUNITY = Lifetime(0.3, 3, 25)
AGENCY = Lifetime(0.6, 2, 15)
STATUTORY = Lifetime(0.1, 3, 100)
RESIDENTIAL = Lifetime(0.1, 4, 80)
# Yearly declines of registrations (Group.decline), tuned with the lifetimes above so that editions gain about
# 45 services a month and lose about 59, childminders most.
CHILDMINDER_DECLINE = 0.09
DAY_CARE_DECLINE = 0.03
CARE_HOME_DECLINE = 0.025
AGENCY_DECLINE = 0.01


def _founders(share: float) -> tuple[tuple[str, int, float], ...]:
    return ((FOUNDED, 1, share),)


# Places and staff: lognormal spreads fitted to the real extract's median, 90th and 99th percentiles per care
# service, long upper tails kept (31 Aug 2025: staff up to 3,000 WTE, housing support places up to 2,436).
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
        decline=CHILDMINDER_DECLINE,
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
        decline=DAY_CARE_DECLINE,
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
        decline=DAY_CARE_DECLINE,
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
        places=Spread(0.7, 21, 1.5, 1, 2500),
        staff=Spread(0.01, 6.3, 1.5, 0.02, 2500),
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
        places=Spread(0.7, 20, 1.6, 1, 2500),
        staff=Spread(0, 17.6, 1.2, 0.1, 1500),
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
        decline=CARE_HOME_DECLINE,
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
        decline=CARE_HOME_DECLINE,
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
        decline=CARE_HOME_DECLINE,
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
        decline=CARE_HOME_DECLINE,
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
        decline=CARE_HOME_DECLINE,
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
        decline=CARE_HOME_DECLINE,
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
        decline=CARE_HOME_DECLINE,
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
        decline=CARE_HOME_DECLINE,
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
        decline=AGENCY_DECLINE,
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

# Inspection rates are tuned so that editions show the real ones' last inspections by care service (31 Aug
# 2025: inspected in 2024-25 care homes 46%, childminders 15%; last inspected before 2020, when inspections
# came more often than since the pause, childminders 29%, day care 22%, support services 12%; not yet graded
# 905 services, nearly all registered in the last two years). The columns: family, inactive, inspect_years,
# inspect_years_before_pause, deprioritised, first_inspection_years, complaints, enforcements, requirements.
SERVICE_RATES: dict[str, ServiceRates] = {
    "Child Minding": ServiceRates("childcare", 0.022, 3.5, 2.5, 0.35, 1.9, 0.005, 0.0005, 0.04),
    "Day Care of Children": ServiceRates("childcare", 0.014, 3.0, 2.0, 0.27, 1.4, 0.03, 0.0015, 0.12),
    "Support Service": ServiceRates(
        "community", 0.006, 2.0, 1.8, 0.15, 1.9, 0.04, 0.002, 0.11, outside_scotland=0.0015
    ),
    "Housing Support Service": ServiceRates("community", 0.002, 2.0, 1.8, 0.15, 1.9, 0.08, 0.0015, 0.17),
    "Care Home Service": ServiceRates("carehome", 0.008, 1.1, 1.0, 0.0, 1.1, 0.24, 0.012, 0.28),
    "Nurse Agency": ServiceRates(
        "community", 0.034, 2.5, 2.0, 0.03, 3.5, 0.004, 0.02, 0.05, outside_scotland=0.33
    ),
    "Fostering Service": ServiceRates("community", 0.0, 2.5, 2.0, 0.0, 1.5, 0.03, 0.002, 0.3),
    "Adoption Service": ServiceRates("community", 0.0, 2.5, 2.0, 0.0, 1.5, 0.015, 0.002, 0.3),
    "Adult Placement Service": ServiceRates("community", 0.013, 2.5, 2.0, 0.28, 2.0, 0.01, 0.002, 0.2),
    "School Care Accommodation Service": ServiceRates("community", 0.0, 1.7, 1.5, 0.0, 1.5, 0.05, 0.005, 0.3),
    "Child Care Agency": ServiceRates(
        "community", 0.0, 3.0, 2.5, 0.36, 2.0, 0.01, 0.005, 0.05, outside_scotland=0.18
    ),
    "Offender Accommodation Service": ServiceRates("community", 0.0, 1.5, 1.5, 0.0, 1.5, 0.05, 0.005, 0.1),
    "Secure Accommodation Service": ServiceRates("community", 0.0, 1.0, 1.0, 0.0, 1.0, 0.4, 0.03, 0.3),
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
# Inspections whose report grades the service: the real edition of 31 Aug 2025 shows a last inspection after
# the latest grading for 1.5% of services, a third of them graded days after the edition date.
GRADED_SHARE = 0.988
FIRST_INSPECTION_SHAPE = 8.0  # gamma shape of the wait for a first inspection: most come 1-3 years in
INSPECT_SPREAD = 0.3  # log-scale spread of services' own mean years between inspections
DEPRIORITISED_GAP_FACTOR = 4.0  # how much longer the gaps of services deprioritised since the pause are
# A few services drop out of the inspection cycle (0.1% of the real edition of 31 Aug 2025 were last
# inspected before 2016, the oldest in 2009): share of services, and how much longer their gaps are.
RARELY_INSPECTED = (0.002, 8.0)
FULL_GRADING_SHARE = 0.35  # later gradings that grade every applicable key question; the rest grade 2 or 3
CHILDMINDER_STAFF_SHARE = 0.35  # childminders with assistants, the only ones graded on staff team
# Care at home services with a building base, graded on their setting too: 59 of the 1,278 care at home
# services of the real edition of 31 Aug 2025 carry a KQ_Setting grade (54 of them with registered places).
BUILDING_BASED_CARE_AT_HOME = 0.06
# Days from an inspection to its report and grades (the real edition's latest gradings: 5% within 7 days,
# median 33, 95% within 91, 99% within 186): minimum, median, log-scale spread, maximum. The operational
# system records an inspection when its report is published.
PUBLICATION_LAG_DAYS = (7, 33, 0.6, 190)
COVID_PAUSE = (
    dt.date(2020, 3, 23),
    dt.date(2021, 6, 30),
)  # inspections mostly suspended, care homes excepted
# Share of inspections that went ahead in the pause (others 0.1); new services' first inspections all did.
COVID_KEPT = {"Care Home Service": 0.5}
ENFORCEMENT_TYPES = {
    "Improvement Notice": 0.62,
    "Condition Notice": 0.16,
    "Proposal to Cancel": 0.12,
    "Emergency Condition Notice": 0.06,
    "Emergency Cancellation": 0.04,
}

# A spell of inactivity (registered, not operating) lasts this long on average; spells start at the rate that
# keeps each care service's inactive share (ServiceRates.inactive; 137 of 10,670 services on 31 Aug 2025).
INACTIVE_SPELL_YEARS = 1.0

# Details that change between extracts, per service-year. The real editions of Sep 2023 to Aug 2025 show about
# 205 services a month (135-1,402) whose staff figure, status, name, provider or postcode changed.
STAFF_UPDATES_PER_YEAR = 0.24  # a new staff figure (not childminders, who count their assistants)
STAFF_UPDATE_SD = 0.2  # log-scale spread of a new staff figure around the one the service registered with
# Each year the annual returns' staff figures are loaded in one month for a share of services: the months
# with over a thousand changes in the real series.
ANNUAL_RETURN_LOAD = (4, 0.15)  # month, share of registered services
RENAMES_PER_YEAR = 0.015
PROVIDER_CHANGES_PER_YEAR = 0.02  # private and voluntary services taken over by another provider
POSTCODE_CHANGES_PER_YEAR = 0.01  # postcodes corrected or re-assigned

# Data-entry slips, wrong in one monthly extract and corrected before the next, per year at scale 1: a
# service moved to a wrong council area (once about 125 at a time in the real series), a wrong grade (once
# 434 MinGrade_change values flipped with no new grading). Rare here, so that each stands out.
COUNCIL_SLIPS_PER_YEAR = 4
GRADE_SLIPS_PER_YEAR = 4
SLIP_EARLY_DAYS = (
    20  # a slip is made up to this many days before a month end and corrected as long before the next
)

GROUP_CARE_SERVICE = np.array([g.care_service for g in GROUPS])
