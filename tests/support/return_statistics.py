"""For the published statistics' tests: services' current returns and register entries made by hand,
typed as the curated store and the register hold them, and the tables built from them; and two synthetic
years of them, enough for every table to suppress cells.
"""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pandas as pd

from carestats.dictionary import load_dictionary
from tasks.statistics.tables import StatisticsTables, asked_services, build_tables

DICTIONARY = load_dictionary()
ROLES_ASKED = list(DICTIONARY.job_roles)
MEASURES = ("Headcount", "WTE", "Vacant_WTE", "Hard_To_Fill")
CARE_HOME, SUPPORT, CHILDMINDER = "Care Home Service", "Support Service", "Child Minding"
PRIVATE, VOLUNTARY, COUNCIL = "Private", "Voluntary or Not for Profit", "Local Authority"
TYPE_ODDS = [0.3, 0.3, 0.2, 0.17, 0.03]  # of a synthetic service being each type, the last rare
REASON_ODDS = [0.6, 0.3, 0.25, 0.4, 0.15, 0.2, 0.2, 0.03]  # of giving each reason, in the form's order


def service(
    number: int,
    care_service: str = CARE_HOME,
    sector: str = PRIVATE,
    area: str = "Fife",
    *,
    year: int = 2026,
    staff: dict[str, tuple[float, float, float, float]] | None = None,
    reasons: str = "",
) -> dict:
    """One service's current return and register entry; `staff` by job role: (headcount, WTE, vacant WTE,
    vacancies hard to fill), every other role 0 (a childminder's vacancy answers are blank).
    """
    row = {
        "CSNumber": f"CS{number:010d}",
        "Return_Year": year,
        "Current": "Yes",
        "CareService": care_service,
        "Subtype": None,
        "ServiceType": sector,
        "Council_Area_Name": area,
        "Hard_To_Fill_Reasons": reasons or None,
    }
    for role in ROLES_ASKED:
        for measure, value in zip(MEASURES, (staff or {}).get(role, (0, 0, 0, 0)), strict=True):
            asked = care_service != CHILDMINDER or measure in ("Headcount", "WTE")
            row[f"{role}_{measure}"] = value if asked else None
    return row


def returns_and_register(services: list[dict]) -> tuple[dict[int, pd.DataFrame], pd.DataFrame]:
    """The current returns of each year, typed as the curated store holds them, and the register."""
    frame = pd.DataFrame(services)
    figures = {f"{r}_{m}": "Float64" if "WTE" in m else "Int64" for r in ROLES_ASKED for m in MEASURES}
    frame = frame.astype({**figures, "Return_Year": "Int64", "Hard_To_Fill_Reasons": "string"})
    register = frame.drop_duplicates("CSNumber", keep="last")[
        ["CSNumber", "CareService", "Subtype", "ServiceType", "Council_Area_Name"]
    ]
    returns = frame.drop(columns=["CareService", "Subtype", "ServiceType", "Council_Area_Name"])
    by_year = {int(y): part.reset_index(drop=True) for y, part in returns.groupby("Return_Year")}
    return by_year, register.reset_index(drop=True)


def tables_of(services: list[dict], return_year: int = 2026) -> StatisticsTables:
    """The year's tables from these services' returns, as the flow builds them."""
    by_year, register = returns_and_register(services)
    asked = {year: asked_services(returns, register, DICTIONARY) for year, returns in by_year.items()}
    return build_tables(asked, DICTIONARY, return_year)


def synthetic_services(seed: int = 7, per_year: int = 240) -> list[dict]:
    """Two years of returns over five types of care service (one rare), three sectors and ten council areas
    (most services in both years), reasons given more and less often, and childminders: enough for the
    tables to suppress cells.
    """
    generator = np.random.default_rng(seed)
    types = [CARE_HOME, SUPPORT, "Housing Support Service", "Day Care of Children", "Nurse Agency"]
    areas = DICTIONARY.council_areas[:10]
    reasons = DICTIONARY.raw["annual_return"]["hard_to_fill_reasons"]
    services = []
    for number in range(per_year + 20):
        care_service = CHILDMINDER if number >= per_year else str(generator.choice(types, p=TYPE_ODDS))
        sector = [PRIVATE, VOLUNTARY, COUNCIL][generator.integers(0, 3)]
        area = areas[generator.integers(0, len(areas))]
        for year in (2025, 2026):
            if generator.random() < 0.1:
                continue  # not every service returns every year
            staff = {}
            for role in ROLES_ASKED:
                if generator.random() < 0.4:
                    continue
                headcount = int(generator.integers(1, 30))
                vacant = 0.0 if generator.random() < 0.7 else round(float(generator.uniform(0.5, 4)), 1)
                staff[role] = (headcount, round(headcount * 0.8, 1), vacant, int(vacant > 1))
            if care_service == CHILDMINDER:
                staff = {"Manager": (1, 1.0, 0, 0)}
            given = [r for r, odds in zip(reasons, REASON_ODDS, strict=True) if generator.random() < odds]
            hard = any(s[3] for s in staff.values())
            answer = "; ".join(given or reasons[:1]) if hard else ""
            services.append(
                service(number, care_service, sector, area, year=year, staff=staff, reasons=answer)
            )
    return services


class Page(HTMLParser):
    """What a reader and a checker see of a page: the numbers marked as data, the dates, the charts, the
    tables, and the visible text outside them (the head, styles and charts left out).
    """

    HIDDEN = {"head", "style", "svg"}

    def __init__(self, html: str):
        super().__init__()
        self.data: list[dict] = []  # attributes and text of every <data>
        self.times: list[str] = []
        self.svgs: list[dict] = []
        self.prose: list[str] = []  # visible text outside <data>, <time> and the hidden elements
        self.open: list[str] = []
        self.titles_in_svg: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        """Opens an element: a <data>, <time> or <svg> starts a record of its own."""
        self.open.append(tag)
        if tag == "data":
            self.data.append({**dict(attrs), "text": ""})
        elif tag == "time":
            self.times.append("")
        elif tag == "svg":
            self.svgs.append(dict(attrs))

    def handle_endtag(self, tag):
        """Closes the element, and any left open inside it."""
        while self.open and self.open.pop() != tag:
            pass

    def handle_data(self, text):
        """Text goes to the <data> or <time> it is in, or to the prose unless it is hidden."""
        if "title" in self.open and "svg" in self.open:
            self.titles_in_svg.append(text)
        if self.HIDDEN & set(self.open):
            return
        if self.open and self.open[-1] == "data":
            self.data[-1]["text"] += text
        elif self.open and self.open[-1] == "time":
            self.times[-1] += text
        else:
            self.prose.append(text)
