"""The register: every service ever registered, with its attributes, built column-wise.

A *lineage* is one service as people know it (same name, provider and place). Most lineages are one CS
number; a change of provider structure cancels the number and re-registers the service the same day
under a new one, so a lineage can hold several.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from carestats.dictionary import load_dictionary
from simulation import calibration as cal
from simulation import names as nm
from simulation.geography import FIRST_DATAZONE, OUTSIDE_SCOTLAND, geography

EPOCH = dt.date(1970, 1, 1)
OPEN = np.int64(10**9)  # closing day of a service still registered at the end of the history
MAX_RESTRUCTURES = 3
MAX_FOUNDED_SHARE = 0.95  # leave some of every group to later registrations
POSTCODE_LETTERS = list("ABDEFGHJLNPQRSTUWXYZ")  # letters used in the inward part of UK postcodes

# Provider size: Zipf exponent (smaller means bigger chains) by sector and family.
PROVIDER_ZIPF = {
    ("Private", "childcare"): 2.8,
    ("Private", "carehome"): 2.1,
    ("Private", "community"): 2.2,
    ("Voluntary or Not for Profit", "childcare"): 3.0,
    ("Voluntary or Not for Profit", "carehome"): 1.8,
    ("Voluntary or Not for Profit", "community"): 1.8,
}
LARGEST_PROVIDER_SHARE = 0.06  # of its sector and family's services


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent random stream per component: changing one component leaves the others' draws alone."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def to_day(day: dt.date) -> int:
    """Day number of a date (days since 1970-01-01): the simulation keeps its dates as these."""
    return (day - EPOCH).days


def month_day(month: str, months_later: int = 0) -> int:
    """Day number of the first of a month (YYYY-MM), or of the month `months_later` after it."""
    index = int(month[5:7]) - 1 + months_later
    return to_day(dt.date(int(month[:4]) + index // 12, index % 12 + 1, 1))


def month_starts(first: str, last_day: int) -> np.ndarray:
    """Day numbers of the first of each month from `first` (YYYY-MM) to the month holding `last_day`."""
    last = np.datetime64(EPOCH, "D") + np.timedelta64(last_day, "D")
    months = np.arange(np.datetime64(first, "M"), last.astype("datetime64[M]") + 1)
    return (months.astype("datetime64[D]") - np.datetime64(EPOCH, "D")).astype(np.int64)


def as_datetime(days: np.ndarray) -> pd.Series:
    """Day numbers to datetime64[s]; OPEN becomes NaT."""
    open_ = days >= OPEN
    values = (np.where(open_, 0, days).astype("datetime64[D]")).astype("datetime64[s]")
    values[open_] = np.datetime64("NaT")
    return pd.Series(values)


@dataclass(frozen=True)
class Register:
    """The services table plus what the event simulation needs per service row."""

    services: pd.DataFrame  # each CS number as registered: later changes are simulated in simulation.changes
    group: np.ndarray  # index into calibration.GROUPS
    registered: np.ndarray  # day numbers
    closed: np.ndarray  # day numbers; OPEN while still registered at the end of the history
    recorded: np.ndarray  # day numbers: when the operational system recorded the registration
    quality: np.ndarray  # latent quality of the lineage (grades centre on it)
    staff_team: np.ndarray  # graded on staff team (childminders only when they have assistants)
    building_based: np.ndarray  # care at home with a building base: graded on its setting too
    new_name: pa.Array  # the name the service takes if it is renamed


def _lineage_starts(
    rng: np.random.Generator, group: cal.Group, scale: float, until: int
) -> tuple[np.ndarray, np.ndarray]:
    """Registration days of a group's lineages, in order: founding cohorts (established services, flagged
    True), then a monthly flow.

    Sizes are solved so that the expected number still registered on CALIBRATION_DATE is the group's real
    count times `scale`, with each cohort's share as in the real register; the flow falls by the group's
    decline each year.
    """
    target_day = to_day(cal.CALIBRATION_DATE)
    target = group.current * scale
    restructure = 0.0 if group.care_service == "Child Minding" else cal.RESTRUCTURE_RATE
    windows = []
    for first, months, share in group.cohorts:
        # A one-month cohort is registered on the month's first day (the regulator's first day, 1 April 2002).
        days = np.arange(month_day(first), month_day(first, months) if months > 1 else month_day(first) + 1)
        # Re-registrations move lineages' CS numbers to later dates: found more so that the share holds.
        windows.append((days, share * np.exp(restructure * (target_day - days.mean()) / 365.25)))
    founded = sum(share for _, share in windows)
    squeeze = min(1.0, MAX_FOUNDED_SHARE / founded) if founded else 1.0
    parts = []
    for days, share in windows:
        survival = group.lifetime.established.survival(target_day - days).mean()
        parts.append(days[rng.integers(0, len(days), rng.poisson(share * squeeze * target / survival))])
    founders = sum(len(part) for part in parts)
    founded *= squeeze
    ages = target_day - np.arange(month_day(group.start), target_day + 1)
    survivors_per_daily_registration = (group.lifetime.survival(ages) * _trend(group, ages)).sum()
    per_day = (1 - founded) * target / survivors_per_daily_registration
    starts = month_starts(group.start, until)
    lengths = np.append(starts[1:], until + 1) - starts
    counts = rng.poisson(per_day * lengths * _trend(group, target_day - starts - lengths / 2))
    offsets = (rng.random(counts.sum()) * np.repeat(lengths, counts)).astype(np.int64)
    parts.append(np.repeat(starts, counts) + offsets)
    days = np.concatenate(parts)
    established = np.arange(len(days)) < founders
    order = np.argsort(days, kind="stable")
    kept = order[days[order] <= until]
    return days[kept], established[kept]


def _trend(group: cal.Group, days_before_calibration: np.ndarray) -> np.ndarray:
    """Registrations per day relative to those on CALIBRATION_DATE, `days_before_calibration` earlier."""
    return np.exp(group.decline * days_before_calibration / 365.25)


@dataclass(frozen=True)
class Lineages:
    """One row per lineage, before restructures split it: its group, registration and closing days."""

    group: np.ndarray
    registered: np.ndarray
    closed: np.ndarray  # OPEN when not closed by the end of the history


def _lineages(seed: int, scale: float, until: int) -> Lineages:
    rng = stream(seed, "lineages")
    groups, starts, founding = [], [], []
    for index, group in enumerate(cal.GROUPS):
        days, established = _lineage_starts(rng, group, scale, until)
        groups.append(np.full(len(days), index, dtype=np.int16))
        starts.append(days)
        founding.append(established)
    group, registered, established = np.concatenate(groups), np.concatenate(starts), np.concatenate(founding)
    closed = registered.copy()
    for index, spec in enumerate(cal.GROUPS):
        rows = np.flatnonzero(group == index)
        lifetime = np.where(
            established[rows],
            spec.lifetime.established.sample_days(rng, len(rows)),
            spec.lifetime.sample_days(rng, len(rows)),
        )
        closed[rows] += lifetime
    closed[closed > until] = OPEN
    return Lineages(group, registered, closed)


@dataclass(frozen=True)
class Segments:
    """One row per CS number: which lineage it belongs to and its own registration and cancellation."""

    lineage: np.ndarray
    registered: np.ndarray
    closed: np.ndarray


def _segments(seed: int, lineages: Lineages, until: int) -> Segments:
    """Split lineages at provider restructures (not childminders: they are their own provider)."""
    rng = stream(seed, "restructures")
    n = len(lineages.registered)
    end = np.minimum(lineages.closed, until)
    exposure = end - lineages.registered
    rate = np.where(cal.GROUP_CARE_SERVICE[lineages.group] == "Child Minding", 0.0, cal.RESTRUCTURE_RATE)
    events = np.where(exposure > 30, np.minimum(rng.poisson(rate * exposure / 365.25), MAX_RESTRUCTURES), 0)
    u = rng.random((n, MAX_RESTRUCTURES))
    u[np.arange(MAX_RESTRUCTURES)[None, :] >= events[:, None]] = np.inf
    u.sort(axis=1)
    inside = (
        lineages.registered[:, None] + 1 + np.floor(np.where(np.isinf(u), 0, u) * (exposure[:, None] - 1))
    )
    bounds = np.empty((n, MAX_RESTRUCTURES + 2), dtype=np.int64)
    bounds[:, 0] = lineages.registered
    bounds[:, 1:-1] = np.where(np.isinf(u), lineages.closed[:, None], inside)
    bounds[:, -1] = lineages.closed
    position = np.arange(MAX_RESTRUCTURES + 1)[None, :]
    # Two restructures on one day make one re-registration, not an empty CS number.
    keep = (position <= events[:, None]) & (bounds[:, 1:] > bounds[:, :-1])
    rows = np.broadcast_to(np.arange(n)[:, None], keep.shape)[keep]
    return Segments(rows, bounds[:, :-1][keep], bounds[:, 1:][keep])


def _sizes(rng: np.random.Generator, spread: cal.Spread | dict[int, float] | None, n: int) -> np.ndarray:
    """Places or staff for n services of one group; NaN where blank."""
    if spread is None:
        return np.full(n, np.nan)
    if isinstance(spread, dict):
        values, weights = np.array(list(spread)), np.array(list(spread.values()), dtype=float)
        return values[rng.choice(len(values), n, p=weights / weights.sum())].astype(float)
    sizes = np.clip(spread.median * np.exp(spread.sigma * rng.standard_normal(n)), spread.low, spread.high)
    return np.where(rng.random(n) < spread.blank, np.nan, sizes)


def _registration_numbers(rng: np.random.Generator, days: np.ndarray, prefix: str) -> pa.Array:
    """prefix + registration year + 6 digits, rising with the registration date within each year."""
    n = len(days)
    years = days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    order = np.argsort(days * 2**20 + rng.integers(0, 2**20, n))  # by day, in random order within a day
    sorted_years = years[order]
    first_of_year = np.flatnonzero(np.r_[True, sorted_years[1:] != sorted_years[:-1]])
    per_year = np.diff(np.r_[first_of_year, n])
    if per_year.size and per_year.max() > 999_999:
        raise ValueError(f"more than 999,999 {prefix} numbers in one year: lower the scale")
    block = np.repeat(np.arange(len(first_of_year)), per_year)
    max_gap = np.clip(999_999 // np.maximum(per_year, 1), 1, 20)[block]
    gaps = 1 + (rng.random(n) * max_gap).astype(np.int64)
    total = np.cumsum(gaps)
    numbers = np.empty(n, dtype=np.int64)
    numbers[order] = total - (total[first_of_year] - gaps[first_of_year])[block]
    return nm.cat(prefix, pc.cast(pa.array(years), nm.STRING), nm.padded(numbers, 6))


def inward_codes(rng: np.random.Generator, n: int) -> pa.Array:
    """The inward part of n postcodes, a sector digit and two letters ("4HT"), for registrations and moves."""
    return nm.cat(
        pc.cast(pa.array(rng.integers(1, 10, n)), nm.STRING),
        nm.pick(rng, POSTCODE_LETTERS, n),
        nm.pick(rng, POSTCODE_LETTERS, n),
    )


def _councils(rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
    geo = geography()
    outside = geo.councils.index(OUTSIDE_SCOTLAND)
    weights = np.zeros((len(geo.councils), len(cal.FAMILIES)))
    for council, row in cal.COUNCIL_WEIGHTS.items():
        weights[geo.councils.index(council)] = row
    council = np.empty(len(group), dtype=np.int64)
    for index, spec in enumerate(cal.GROUPS):
        rows = np.flatnonzero(group == index)
        rates = cal.SERVICE_RATES[spec.care_service]
        p = weights[:, cal.FAMILIES.index(rates.family)] / weights[:, cal.FAMILIES.index(rates.family)].sum()
        p = p * (1 - rates.outside_scotland)
        p[outside] = rates.outside_scotland
        council[rows] = rng.choice(len(p), len(rows), p=p)
    return council


def _towns(rng: np.random.Generator, council: np.ndarray) -> np.ndarray:
    """A town of the council, by weight: search each council's cumulative weights shifted by its index."""
    towns = geography().towns
    shares = towns.weight / np.bincount(towns.council, towns.weight)[towns.council]
    keys = (
        towns.council
        + np.cumsum(shares)
        - np.r_[0, np.cumsum(np.bincount(towns.council, shares))[:-1]][towns.council]
    )
    return np.minimum(
        np.searchsorted(keys, council + rng.random(len(council)), side="right"),
        np.searchsorted(keys, council + 1, side="left"),
    )


@dataclass(frozen=True)
class Providers:
    """Who provides each lineage: a provider key and its name, brand (for service names) and e-mail domain."""

    key: np.ndarray  # one integer per provider, unique across kinds
    name: pa.Array
    brand: pa.Array
    domain: pa.Array


def _providers(
    rng: np.random.Generator, group: np.ndarray, sector: np.ndarray, council: np.ndarray, person: pa.Array
) -> Providers:
    """Who provides each lineage: childminders themselves, councils, NHS boards, or a private or voluntary
    organisation drawn with heavy-tailed sizes (a few chains, many single-service providers)."""
    geo, sectors = geography(), load_dictionary().reference["sectors"]
    n = len(group)
    family = np.array([cal.FAMILIES.index(cal.SERVICE_RATES[c].family) for c in cal.GROUP_CARE_SERVICE])[
        group
    ]
    boards = sorted({b for b in geo.main_board if b})
    board = np.array([boards.index(b) if b else 0 for b in geo.main_board])[council]
    kind = np.full(n, -1)
    kind[cal.GROUP_CARE_SERVICE[group] == "Child Minding"] = 0
    kind[(kind < 0) & (sector == sectors.index("Local Authority"))] = 1
    kind[(kind < 0) & (sector == sectors.index("Health Board"))] = 2
    local = np.select([kind == 0, kind == 1, kind == 2], [np.arange(n), council, board], 0)
    board_names = nm.cat("NHS ", nm.words(boards))
    names: list[nm.Option] = [
        nm.template(person),
        lambda rows: nm.labels(geo.provider_name, council[rows]),
        lambda rows: board_names.take(pa.array(board[rows])),
    ]
    brands: list[nm.Option] = [
        nm.template(person),
        lambda rows: nm.labels([c.replace(" & ", " and ") for c in geo.councils], council[rows]),
        lambda rows: board_names.take(pa.array(board[rows])),
    ]
    domains: list[nm.Option] = [
        lambda rows: pa.nulls(len(rows), nm.STRING),
        lambda rows: nm.labels(geo.domain, council[rows]),
        "nhs.scot",
    ]
    for (sector_name, family_name), exponent in sorted(PROVIDER_ZIPF.items()):
        rows = np.flatnonzero(
            (kind < 0) & (sector == sectors.index(sector_name)) & (family == cal.FAMILIES.index(family_name))
        )
        kind[rows] = len(names)
        cap = max(1, int(LARGEST_PROVIDER_SHARE * len(rows)))
        sizes = np.minimum(rng.zipf(exponent, len(rows)), cap)
        local[rows] = rng.permutation(np.repeat(np.arange(len(rows)), sizes)[: len(rows)])
        pool_names, pool_brands = nm.provider_names(rng, sector_name, family_name, len(rows))
        suffix = ".co.uk" if sector_name == "Private" else ".org.uk"
        pool_domains = nm.cat(
            nm.slug(pool_brands), nm.build(nm.mix(rng, (0.6, "care"), (0.4, "")), len(rows)), suffix
        )
        for options, pool in ((names, pool_names), (brands, pool_brands), (domains, pool_domains)):
            options.append(lambda rows, pool=pool: pool.take(pa.array(local[rows])))
    key = kind.astype(np.int64) * n + local
    return Providers(key, *(nm.build(nm.by_code(kind, options), n) for options in (names, brands, domains)))


def _quality(rng: np.random.Generator, n: int) -> np.ndarray:
    struggling = rng.random(n) < cal.STRUGGLING_SHARE
    return np.where(
        struggling,
        rng.normal(cal.STRUGGLING_MEAN, cal.STRUGGLING_SD, n),
        rng.normal(cal.QUALITY_MEAN, cal.QUALITY_SD, n),
    )


def _care_home_areas(
    rng: np.random.Generator, subtype: np.ndarray, care_home: np.ndarray
) -> tuple[pa.Array, pa.Array]:
    """Main area of care, and all areas (the main one first, sometimes one or two others)."""
    n = len(subtype)
    areas = sorted({a for shares in cal.CARE_HOME_AREAS.values() for a in shares if a})
    count = len(areas)
    main = np.full(n, -1)
    for name, shares in cal.CARE_HOME_AREAS.items():
        rows = np.flatnonzero(care_home & (subtype == name))
        codes = np.array([areas.index(a) if a else -1 for a in shares])
        weights = np.array(list(shares.values()), dtype=float)
        main[rows] = codes[rng.choice(len(codes), len(rows), p=weights / weights.sum())]
    known = main >= 0
    first_shift = rng.integers(1, count, n)  # 1..count-1, so never the main area
    second_shift = 1 + (first_shift + rng.integers(0, count - 2, n)) % (count - 1)  # differs from both
    main_names = nm.labels(areas, np.maximum(main, 0))
    first, second = (
        nm.labels(areas, (np.maximum(main, 0) + shift) % count) for shift in (first_shift, second_shift)
    )
    extra = np.where(known, rng.choice(3, n, p=[0.65, 0.25, 0.1]), 3)
    all_areas = nm.build(
        nm.by_code(
            extra,
            [
                nm.template(main_names),
                nm.template(main_names, "; ", first),
                nm.template(main_names, "; ", first, "; ", second),
                lambda rows: pa.nulls(len(rows), nm.STRING),
            ],
        ),
        n,
    )
    return nm.null_where(~known, main_names), all_areas


def _additional_subtypes(rng: np.random.Generator, group: np.ndarray) -> pa.Array:
    """Occasionally, another subtype of the same care service, as the register records it."""
    services = load_dictionary().care_services
    subtypes = [s for spec in services.values() for s in spec.get("subtypes", [])]
    code = np.full(len(group), -1)
    for index, spec in enumerate(cal.GROUPS):
        choices = services[spec.care_service].get("subtypes", [])
        rows = np.flatnonzero((group == index) & (rng.random(len(group)) < 0.04))
        if len(choices) < 2:
            continue
        own = choices.index(spec.subtype) if spec.subtype in choices else 0
        other = (own + rng.integers(1, len(choices), len(rows))) % len(choices)
        code[rows] = np.array([subtypes.index(c) for c in choices])[other]
    return nm.null_where(code < 0, nm.labels(subtypes, np.maximum(code, 0)))


def _int_column(values: np.ndarray) -> pd.arrays.IntegerArray:
    missing = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)


def _contacts(
    rng: np.random.Generator,
    childminder: np.ndarray,
    dialling: pa.Array,
    manager: pa.Array,
    service_name: pa.Array,
    domain: pa.Array,
) -> dict[str, pa.Array]:
    """Phone numbers, e-mail addresses and a contact person: childminders use their own mobiles and
    personal e-mail; other services a landline and the provider's domain."""
    n = len(childminder)
    phone = nm.phone_numbers(rng, dialling, childminder)
    personal = nm.template(nm.slug(manager, "."), nm.digits(rng, n, 2), "@", nm.pick(rng, nm.EMAIL_HOSTS, n))
    mailbox = nm.build(
        nm.mix(
            rng,
            (0.4, "info"),
            (0.2, "manager"),
            (0.1, "admin"),
            (0.3, lambda rows: pc.utf8_slice_codeunits(nm.slug(service_name.take(pa.array(rows))), 0, 24)),
        ),
        n,
    )
    eforms = nm.build(nm.split(childminder, personal, nm.template(mailbox, "@", domain)), n)
    contact_first, contact_surname = nm.people(rng, n)
    is_manager = childminder | (rng.random(n) < 0.7)
    contact_name = nm.build(
        nm.split(is_manager, nm.template(manager), nm.template(contact_first, " ", contact_surname)), n
    )
    contact_email = nm.build(
        nm.by_code(
            np.select([childminder, is_manager], [0, 1], 2),
            [
                nm.template(eforms),
                lambda rows: nm.cat(
                    nm.slug(manager.take(pa.array(rows)), "."), "@", domain.take(pa.array(rows))
                ),
                lambda rows: nm.cat(
                    nm.slug(contact_first.take(pa.array(rows))),
                    ".",
                    nm.slug(contact_surname.take(pa.array(rows))),
                    "@",
                    domain.take(pa.array(rows)),
                ),
            ],
        ),
        n,
    )
    mobiles = nm.phone_numbers(rng, dialling, np.ones(n, dtype=bool))
    return {
        "Service_Phone_Number": phone,
        "Eforms_email_address": eforms,
        "Contact_Name": contact_name,
        "Contact_Email": contact_email,
        "Contact_Phone": nm.build(nm.split(rng.random(n) < 0.6, nm.template(phone), nm.template(mobiles)), n),
    }


@dataclass(frozen=True)
class Attributes:
    """Everything a lineage's CS numbers share."""

    columns: dict[str, pa.Array | np.ndarray]  # services columns, one entry per lineage
    provider: np.ndarray  # provider key per lineage
    quality: np.ndarray
    staff_team: np.ndarray
    building_based: np.ndarray
    new_name: pa.Array


def _service_names(rng: np.random.Generator, care_service: np.ndarray, context: nm.Context) -> pa.Array:
    """A name per lineage, from its care service's templates."""
    kinds = sorted(set(cal.GROUP_CARE_SERVICE))
    return nm.build(
        nm.by_code(
            np.searchsorted(kinds, care_service), [nm.service_names(rng, kind, context) for kind in kinds]
        ),
        len(care_service),
    )


def _building_based(rng: np.random.Generator, subtype: np.ndarray, places: np.ndarray) -> np.ndarray:
    """Care at home services with a building base; each gets registered places if it had none (in place)."""
    based = (subtype == "Care at Home") & (rng.random(len(subtype)) < cal.BUILDING_BASED_CARE_AT_HOME)
    unplaced = np.flatnonzero(based & np.isnan(places))
    spread = next(g.places for g in cal.GROUPS if g.subtype == "Care at Home")
    places[unplaced] = _sizes(rng, dataclasses.replace(spread, blank=0.0), len(unplaced))
    return based


def _attributes(rng: np.random.Generator, renames: np.random.Generator, group: np.ndarray) -> Attributes:
    """Where each lineage is, who runs it, what it is called (and would be renamed to), how big it is and
    how good."""
    dictionary = load_dictionary()
    geo = geography()
    towns = geo.towns
    sectors = dictionary.reference["sectors"]
    n = len(group)
    care_service = cal.GROUP_CARE_SERVICE[group]
    subtype = np.array([g.subtype for g in cal.GROUPS], dtype=object)[group]
    childminder = care_service == "Child Minding"
    care_home = care_service == "Care Home Service"

    # Where: council, town, postcode, datazone and what follows from them.
    sector = np.empty(n, dtype=np.int64)
    places, staff = np.empty(n), np.empty(n)
    for index, spec in enumerate(cal.GROUPS):
        rows = np.flatnonzero(group == index)
        weights = np.array([spec.sectors.get(s, 0.0) for s in sectors])
        sector[rows] = rng.choice(len(sectors), len(rows), p=weights / weights.sum())
        places[rows] = _sizes(rng, spec.places, len(rows))
        staff[rows] = _sizes(rng, spec.staff, len(rows))
    building_based = _building_based(rng, subtype, places)
    council = _councils(rng, group)
    public_sectors = [sectors.index("Local Authority"), sectors.index("Health Board")]
    sector[(council == geo.councils.index(OUTSIDE_SCOTLAND)) & np.isin(sector, public_sectors)] = (
        sectors.index("Private")
    )  # councils and NHS boards run nothing outside Scotland
    public = np.isin(sector, public_sectors)
    town = _towns(rng, council)
    town_names = nm.labels(towns.name, town)
    district_counts = np.array([len(d) for d in towns.districts])
    first_district = np.r_[0, np.cumsum(district_counts)[:-1]]
    district = nm.labels(
        [d for ds in towns.districts for d in ds],
        first_district[town] + (rng.random(n) * district_counts[town]).astype(np.int64),
    )
    postcode = nm.cat(district, " ", inward_codes(rng, n))
    zoned = towns.datazone_count[town] > 0
    zone = np.minimum(
        towns.datazone_start[town] + (rng.random(n) * towns.datazone_count[town]).astype(np.int64),
        len(geo.simd_rank) - 1,
    )
    simd = np.where(zoned, geo.simd_rank[zone], np.nan)
    board_of_town = [towns.board[t] or geo.main_board[towns.council[t]] for t in range(len(towns.name))]

    # Who: people, providers, names.
    first, surname = nm.people(rng, n, np.where(childminder, 0.96, 0.8))  # childminders are nearly all women
    person = nm.cat(first, " ", surname)
    providers = _providers(rng, group, sector, council, person)
    context = nm.Context(
        town=town_names,
        place=nm.pick(rng, nm.PLACES, n),
        first=first,
        surname=surname,
        brand=providers.brand,
        council=nm.labels(geo.provider_name, council),
        public=public,
        subtype=subtype,
        kids=nm.cat(nm.pick(rng, nm.KIDS_ADJECTIVES, n), " ", nm.pick(rng, nm.KIDS_NOUNS, n)),
    )
    service_name = _service_names(rng, care_service, context)
    renamed = dataclasses.replace(
        context,
        place=nm.pick(renames, nm.PLACES, n),
        kids=nm.cat(nm.pick(renames, nm.KIDS_ADJECTIVES, n), " ", nm.pick(renames, nm.KIDS_NOUNS, n)),
    )

    contacts = _contacts(
        rng, childminder, nm.labels(towns.dialling, town), person, service_name, providers.domain
    )
    address_1 = nm.cat(
        pc.cast(pa.array(rng.integers(1, 250, n)), nm.STRING),
        " ",
        nm.pick(rng, nm.PLACES, n),
        " ",
        nm.pick(rng, nm.STREET_KINDS, n),
    )

    # Size: places, staff, beds; childminders' assistants count in their staff and get a staff-team grade.
    assistants = childminder & (rng.random(n) < cal.CHILDMINDER_STAFF_SHARE)
    staff = np.where(assistants & ~np.isnan(staff), staff + rng.choice([1, 1, 2], n), staff)
    whole = rng.random(n) < 0.25
    staff = np.where(whole & (staff >= 1), np.round(staff), np.maximum(np.round(staff, 2), 0.01))
    places = np.round(places)
    beds = np.where(
        care_home,
        np.where(rng.random(n) < 0.85, places, np.maximum(places + rng.integers(-2, 4, n), 1)),
        np.nan,
    )
    single = np.where(care_home, beds - rng.binomial(np.nan_to_num(beds).astype(np.int64), 0.08), np.nan)
    main_area, all_areas = _care_home_areas(rng, subtype, care_home)
    client_groups = [dictionary.client_group(g.care_service, g.subtype) for g in cal.GROUPS]

    lineage_columns: dict[str, pa.Array | np.ndarray] = contacts | {
        "CareService": nm.labels(list(cal.GROUP_CARE_SERVICE), group),
        "Subtype": nm.labels([g.subtype for g in cal.GROUPS], group),
        "AdditionalSubtypes": _additional_subtypes(rng, group),
        "ServiceType": nm.labels(sectors, sector),
        "ServiceName": service_name,
        "Address_line_1": address_1,
        "Address_line_2": nm.null_where(rng.random(n) > 0.35, nm.pick(rng, nm.AREAS, n)),
        "Address_line_3": nm.null_where(rng.random(n) > 0.1, town_names),
        "Address_line_4": pa.nulls(n, nm.STRING),
        "Service_town": town_names,
        "Service_Postcode": postcode,
        "Manager_Name": person,
        "ServiceProvider": providers.name,
        "Provided_by_Local_Authority": nm.labels(["No", "Yes"], sector == sectors.index("Local Authority")),
        "SIMD_rank": simd,
        "SIMD2020_Decile": np.floor((simd - 1) * 10 / len(geo.simd_rank)) + 1,
        "Datazone": nm.null_where(~zoned, nm.cat("S01", nm.padded(FIRST_DATAZONE + zone, 6))),
        "Integration_Authority_Name": nm.labels(geo.integration_authority, council),
        "Council_Area_Name": nm.labels(geo.councils, council),
        "Health_Board_Name": nm.labels(board_of_town, town),
        "TotalBeds": beds,
        "SingleBedrooms": single,
        "Registered_Places": places,
        "NumberStaff": staff,
        "Client_group": nm.labels(client_groups, group),
        "CareHome_Main_Area_of_Care": main_area,
        "Care_Home_All_Areas_of_Provision": all_areas,
        "PublicList": nm.labels(["No", "Yes"], rng.random(n) < 0.99),
    }
    return Attributes(
        lineage_columns,
        providers.key,
        _quality(rng, n),
        ~childminder | assistants,
        building_based,
        _service_names(renames, care_service, renamed),
    )


def simulate_register(seed: int, scale: float, until: int) -> Register:
    """Every CS number registered up to day `until`, with its attributes, sorted by CS number."""
    dictionary = load_dictionary()
    lineages = _lineages(seed, scale, until)
    segments = _segments(seed, lineages, until)
    group = lineages.group
    attributes = _attributes(stream(seed, "attributes"), stream(seed, "renames"), group)
    lineage_columns = attributes.columns

    # Per CS number: its own number, dates and status; lineage columns are repeated for each.
    rng = stream(seed, "numbers")
    sp_numbers = _provider_numbers(rng, attributes.provider, lineages.registered)
    cs_numbers = _registration_numbers(rng, segments.registered, "CS")
    order = pc.sort_indices(cs_numbers).to_numpy()
    lineage = segments.lineage[order]
    take = pa.array(lineage)
    inactive_rate = np.array([cal.SERVICE_RATES[c].inactive for c in cal.GROUP_CARE_SERVICE])[group[lineage]]
    registered, closed = segments.registered[order], segments.closed[order]
    lineage_columns["CSNumber"] = cs_numbers.take(pa.array(order))
    lineage_columns["SP_number"] = sp_numbers.take(take)
    lineage_columns["ServiceStatus"] = nm.labels(
        ["Active", "Inactive"], rng.random(len(order)) < inactive_rate
    )
    per_service = {"CSNumber", "SP_number", "ServiceStatus"}
    columns: dict[str, object] = {}
    for name, spec in dictionary.extract_table("services").columns.items():
        if name == "Date_Registered":
            columns[name] = as_datetime(registered)
            continue
        if name == "Date_Cancelled":
            columns[name] = as_datetime(closed)
            continue
        values = lineage_columns.pop(name)
        if name not in per_service:
            values = values.take(take) if isinstance(values, pa.Array) else values[lineage]
        if spec["type"] == "integer":
            columns[name] = _int_column(values)
        elif spec["type"] == "decimal":
            columns[name] = values
        else:
            columns[name] = pd.Series(values, dtype="str")
    recording_days = np.floor(
        stream(seed, "recording").exponential(cal.REGISTRATION_RECORDING_DAYS, len(order))
    )
    return Register(
        pd.DataFrame(columns),
        group[lineage],
        registered,
        closed,
        registered + recording_days.astype(np.int64),
        attributes.quality[lineage],
        attributes.staff_team[lineage],
        attributes.building_based[lineage],
        attributes.new_name.take(take),
    )


def _provider_numbers(rng: np.random.Generator, key: np.ndarray, registered: np.ndarray) -> pa.Array:
    """SP numbers per lineage, numbered by the year of each provider's first registration."""
    providers, inverse = np.unique(key, return_inverse=True)
    first = np.full(len(providers), OPEN)
    np.minimum.at(first, inverse, registered)
    return _registration_numbers(rng, first, "SP").take(pa.array(inverse))
