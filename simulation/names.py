"""Synthetic names, built column-wise with Arrow string kernels (no per-row Python).

Names come from templates ("<place> Care Home"); a template is a Builder, a function from the row
numbers it applies to (numpy) to their strings (Arrow). Each row's string is built once, by the template
drawn for it, so adding templates does not multiply the work.

Every word is encodable in Windows-1252: the real export is cp1252, and a name it cannot hold would
not survive it. A few carry accents (Gaelic and other names) so that encodings are exercised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def _words(text: str) -> list[str]:
    return text.split()


FEMALE = _words(
    "Jane Mary Karen Susan Lorraine Fiona Elaine Nicola Claire Lisa Gillian Louise Kirsty Emma Laura "
    "Gemma Stacey Amanda Joanne Lynne Shona Morag Catriona Eilidh Ailsa Isla Rhona Heather Donna Angela "
    "Sandra Julie Hannah Rebecca Sarah Amy Kelly Michelle Tracey Ruth Alison Jacqueline Anne Margaret "
    "Elizabeth Agnieszka Joanna Priya Aisha Fatima Grace Chloe Megan Caitlin Natalie Pamela Yvonne Carol "
    "Wendy Debbie Leanne"
) + ["Màiri", "Siobhán", "Zoë", "Renée", "Chloé", "Mòrag"]
MALE = _words(
    "John David James Robert Andrew Scott Graham Stuart Iain Alasdair Calum Euan Mark Paul Craig Gary "
    "Steven Kenneth Neil Ross Michael Thomas Peter Ryan Jamie Gordon Colin Derek Brian Mohammed Ahmed Ali "
    "Bartosz Piotr Tomasz Olumide Chidi Fraser Callum Lewis Martin William Alan Ruairidh"
) + ["Seán", "Dòmhnall", "José"]
SURNAMES = _words(
    "Smith Brown Wilson Campbell Stewart Thomson Robertson Anderson Macdonald Scott Reid Murray Taylor "
    "Clark Mitchell Ross Walker Paterson Young Watson Morrison Miller Fraser Davidson Gray McDonald "
    "Henderson Johnston Hamilton Graham Kerr Simpson Martin Ferguson Cameron Duncan Hunter Kelly Bell "
    "Grant MacKenzie Mackay Allan Black MacLeod McLean Russell Gibson Wallace Gordon Marshall Stevenson "
    "Wood Sutherland Craig Wright McKenzie Kennedy Jones Burns White Muir Murphy Johnstone Hughes Watt "
    "McMillan McIntosh Milne Munro Ritchie Dickson Bruce King Crawford Docherty Millar Cunningham "
    "Sinclair Williamson Hill McGregor McKay Boyle Shaw Fleming Moore Christie Douglas Donaldson "
    "Alexander MacLean Forbes McIntyre Findlay Jamieson Aitken Reilly Thompson Khan Ahmed Singh Patel "
    "Kowalczyk Nowak Ferreira O'Neill MacAoidh"
) + ["Müller", "Gonçalves", "Núñez", "Ó Ceallaigh"]
PLACES = _words(
    "Ashgrove Beechwood Birchwood Braeside Burnside Carrick Cedar Craigend Craigielea Dalmore Elmwood "
    "Fernbank Glenview Hawthorn Heatherbank Hillcrest Kirkton Lochside Meadowbank Millbrae Oakwood "
    "Parkview Riverside Rosebank Rowan Seaview Strathmore Thornhill Westfield Woodlands Balmoral Bankhead "
    "Fairview Larchwood Willowbank Glenburn Clydeview Forthview Tayview Kingsmills Ardmore Castleview "
    "Duncraig Invercarron Marchmont Pinewood Queensberry Redwood Silverburn Springfield Summerhill "
    "Victoria Wellside Hollybank Lomond Strathearn Kilbride Bellfield Dunavon Greenfield Eastwood "
    "Northfield Southpark Moorpark Broomhill Gowanbank Linnburn Cairnhill Ashfield Orchard Daisybank"
) + ["Tigh na Mòr", "Àite Sàmhach", "Taigh Ceòl", "Cùl na Mara", "Dùn Àrd"]
STREET_KINDS = _words(
    "Road Street Avenue Crescent Drive Gardens Place Terrace Court Way Lane View Park Brae Wynd"
)
AREAS = _words("Westend Northfield Eastfield Southside Hillhead Newtown Kirkgate Townhead Bridgend Muirhouse")
KIDS_ADJECTIVES = _words(
    "Little Wee Happy Busy Tiny Bright Sunny Rainbow Honeypot Teddy Acorn Buttercup Bluebell Daisy "
    "Ladybird Butterfly Twinkle Jellybean Puddle Sunflower Starlight Bumblebee"
)
KIDS_NOUNS = _words(
    "Stars Steps Explorers Acorns Bees Cubs Owls Sprouts Seedlings Minds Hands Feet Rascals Treasures "
    "Tots Learners Angels Adventurers Ducklings Sparks"
)
BRANDS = _words(
    "Thistle Saltire Kestrel Osprey Harmony Beacon Horizon Lighthouse Evergreen Kindred Pathway Bridgeway "
    "Northstar Silverdale Clearwater Brightwell Hearthstone Meridian Summit Cairn Caledonia Alba Solas "
    "Heartwood Bluebird Compass Trinity Oakleaf Riverbank Highfield Aspire Nurture Kinship Lantern Haven"
) + ["Cùram", "Dòchas"]
EMAIL_HOSTS = _words("gmail.com hotmail.co.uk outlook.com btinternet.com yahoo.co.uk icloud.com")

STRING = pa.string()
Builder = Callable[[np.ndarray], pa.Array]
Option = Builder | str


def words(values: list[str | None]) -> pa.Array:
    """A list of words as an Arrow string array, the type every name column is built in."""
    return pa.array(values, STRING)


def labels(values: list[str | None], codes: np.ndarray) -> pa.Array:
    """values[code] per row, as Arrow strings."""
    return words(values).take(pa.array(np.asarray(codes, dtype=np.int64)))


ACCENTED_WEIGHT = 0.2  # words with accents are rarer than plain ones, as in the real register


def pick(rng: np.random.Generator, values: list[str], n: int) -> pa.Array:
    """n words drawn from values, those with accents less often (ACCENTED_WEIGHT)."""
    weights = np.array([1.0 if v.isascii() else ACCENTED_WEIGHT for v in values])
    return labels(values, rng.choice(len(values), n, p=weights / weights.sum()))


def cat(*parts: pa.Array | str) -> pa.Array:
    """Concatenate arrays and literals element-wise; a null part makes the result null."""
    return pc.binary_join_element_wise(*parts, "")


def null_where(mask: np.ndarray, values: pa.Array) -> pa.Array:
    """The values, null where mask is true: a blank in the extract."""
    return pc.if_else(pa.array(mask), pa.scalar(None, STRING), values)


def digits(rng: np.random.Generator, n: int, width: int) -> pa.Array:
    """n random strings of `width` digits, leading zeros kept, for phone numbers and e-mail addresses."""
    return padded(rng.integers(0, 10**width, n), width)


def padded(numbers: np.ndarray, width: int) -> pa.Array:
    """Numbers as strings, zero-padded to `width`, as registration numbers and datazone codes are written."""
    return pc.utf8_lpad(pc.cast(pa.array(numbers), STRING), width, "0")


def slug(values: pa.Array, separator: str = "") -> pa.Array:
    """ASCII lower-case letters and digits only, for e-mail addresses (accents folded: Màiri -> mairi).

    Worked out once per distinct value: names repeat a lot and Unicode folding is slow.
    """
    encoded = pc.dictionary_encode(values)
    folded = pc.utf8_lower(pc.utf8_normalize(encoded.dictionary, "NFKD"))
    slugs = pc.replace_substring_regex(
        pc.replace_substring_regex(folded, r"[^a-z0-9 .-]+", ""), r"[ .-]+", separator
    )
    return slugs.take(encoded.indices)


def template(*parts: pa.Array | str) -> Builder:
    """Concatenation of full-length arrays (taken at the rows asked for) and literals."""

    def build_rows(rows: np.ndarray) -> pa.Array:
        index = pa.array(rows)
        taken = [p.take(index) if isinstance(p, pa.Array) else p for p in parts]
        if all(isinstance(p, str) for p in parts):  # give a literal its length
            taken.append(pc.fill_null(pa.nulls(len(rows), STRING), ""))
        return cat(*taken)

    return build_rows


def select(selector: np.ndarray, rows: np.ndarray, options: list[Option]) -> pa.Array:
    """For rows (full-length row numbers), the option that selector (one entry per row) names."""
    pieces, positions = [], []
    for index, option in enumerate(options):
        where = np.flatnonzero(selector == index)
        if len(where):
            chosen = rows[where]
            pieces.append(option(chosen) if callable(option) else template(option)(chosen))
            positions.append(where)
    if not pieces:
        return pa.array([], STRING)
    inverse = np.empty(len(rows), dtype=np.int64)
    inverse[np.concatenate(positions)] = np.arange(len(rows))
    return pa.concat_arrays(pieces).take(pa.array(inverse))


def mix(rng: np.random.Generator, *options: tuple[float, Option]) -> Builder:
    """One of the options per row, drawn with the given weights."""
    weights = np.array([weight for weight, _ in options], dtype=float)
    return lambda rows: select(
        rng.choice(len(options), len(rows), p=weights / weights.sum()),
        rows,
        [option for _, option in options],
    )


def by_code(codes: np.ndarray, options: list[Option]) -> Builder:
    """The option each row's code (full length) names."""
    return lambda rows: select(codes[rows], rows, options)


def split(mask: np.ndarray, yes: Option, no: Option) -> Builder:
    """The `yes` option where mask (full length) is true, the `no` option elsewhere."""
    return by_code(np.where(mask, 0, 1), [yes, no])


def build(builder: Builder, n: int) -> pa.Array:
    """A builder applied to all n rows: the whole column."""
    return builder(np.arange(n))


def people(
    rng: np.random.Generator, n: int, female_share: float | np.ndarray = 0.8
) -> tuple[pa.Array, pa.Array]:
    """First names and surnames."""
    female = rng.random(n) < female_share
    first = pc.if_else(pa.array(female), pick(rng, FEMALE, n), pick(rng, MALE, n))
    return first, pick(rng, SURNAMES, n)


def phone_numbers(rng: np.random.Generator, dialling: pa.Array, mobile: np.ndarray) -> pa.Array:
    """UK numbers of 11 digits, spaced as written: 020 7946 0000, 0131 496 0000, 01382 496000."""
    n = len(dialling)
    code_length = pc.utf8_length(dialling).to_numpy(zero_copy_only=False)
    local = digits(rng, n, 8)

    def part(start: int, stop: int) -> pa.Array:
        return pc.utf8_slice_codeunits(local, start, stop)

    shape = np.select([mobile, code_length == 3, code_length == 4, code_length == 5], [0, 1, 2, 3], 4)
    return build(
        by_code(
            shape,
            [
                template("07", digits(rng, n, 3), " ", digits(rng, n, 6)),
                template(dialling, " ", part(0, 4), " ", part(4, 8)),
                template(dialling, " ", part(0, 3), " ", part(3, 7)),
                template(dialling, " ", part(0, 6)),
                template(dialling, " ", part(0, 5)),
            ],
        ),
        n,
    )


@dataclass(frozen=True)
class Context:
    """What a service's name can be made of, one entry per service."""

    town: pa.Array
    place: pa.Array
    first: pa.Array
    surname: pa.Array
    brand: pa.Array  # the provider's brand word
    council: pa.Array  # the council as a provider, e.g. "Fife Council"
    public: np.ndarray  # run by a council or health board
    subtype: np.ndarray  # object array, None where no subtype
    kids: pa.Array  # a childcare phrase, e.g. "Wee Stars"


def service_names(rng: np.random.Generator, care_service: str, ctx: Context) -> Builder:
    """Names as the register has them: 'Wee Stars Nursery', 'Smith, Jane', 'Ashgrove Care Home'."""
    place, town, brand, council, kids, t = ctx.place, ctx.town, ctx.brand, ctx.council, ctx.kids, template
    if care_service == "Child Minding":
        return mix(rng, (0.7, t(ctx.surname, ", ", ctx.first)), (0.3, t(kids, " Childminding")))
    if care_service == "Day Care of Children":
        public = mix(
            rng,
            (0.4, t(place, " Primary School Nursery Class")),
            (0.3, t(place, " Early Learning and Childcare Centre")),
            (0.2, t(place, " Nursery School")),
            (0.1, t(place, " Family Centre")),
        )
        other = mix(
            rng,
            (0.35, t(kids, " Nursery")),
            (0.2, t(place, " Nursery")),
            (0.1, t(place, " Playgroup")),
            (0.15, t(kids, " Out of School Club")),
            (0.17, t(brand, " Day Nursery ", town)),
            (0.03, t("Cròileagan ", town)),
        )
        return split(ctx.public, public, other)
    if care_service == "Care Home Service":
        older = mix(
            rng,
            (0.4, t(place, " Care Home")),
            (0.2, t(place, " House")),
            (0.2, t(place, " Nursing Home")),
            (0.1, t(place, " Lodge")),
            (0.1, t(place, " Court")),
        )
        children = mix(
            rng,
            (0.4, t(place, " Children's House")),
            (0.35, t(place, " Cottage")),
            (0.25, t(place, " Young People's Unit")),
        )
        other = mix(
            rng, (0.4, t(place, " House")), (0.3, t(place, " Resource Centre")), (0.3, t(place, " Care Home"))
        )
        kind = np.select([ctx.subtype == "Older People", ctx.subtype == "Children & Young People"], [0, 1], 2)
        return by_code(kind, [older, children, other])
    if care_service == "Support Service":
        at_home = split(
            ctx.public,
            mix(rng, (0.6, t(council, " Care at Home Service")), (0.4, t(town, " Home Care Service"))),
            mix(
                rng,
                (0.35, t(brand, " Home Care ", town)),
                (0.3, t(brand, " Care - ", town)),
                (0.2, t(town, " Care at Home Service")),
                (0.15, t(brand, " Care Services ", town)),
            ),
        )
        other = mix(
            rng,
            (0.35, t(place, " Day Centre")),
            (0.25, t(place, " Day Opportunities")),
            (0.1, t(town, " Memory Café")),
            (0.2, t(place, " Resource Centre")),
            (0.1, t(brand, " Community Support")),
        )
        return split(ctx.subtype == "Care at Home", at_home, other)
    if care_service == "Housing Support Service":
        return mix(
            rng,
            (0.35, t(place, " Supported Living")),
            (0.3, t(brand, " ", town, " Housing Support Service")),
            (0.2, t(place, " Court Sheltered Housing")),
            (0.15, t(town, " Community Support Service")),
        )
    if care_service == "Nurse Agency":
        return mix(
            rng,
            (0.5, t(brand, " Nursing Ltd")),
            (0.3, t(brand, " Healthcare Recruitment")),
            (0.2, t(brand, " Medical Staffing")),
        )
    if care_service == "Fostering Service":
        return split(
            ctx.public,
            t(council, " Fostering Service"),
            mix(rng, (0.7, t(brand, " Fostering Service")), (0.3, t(brand, " Family Placement"))),
        )
    if care_service == "Adoption Service":
        return split(ctx.public, t(council, " - Adoption Service"), t(brand, " Adoption Service"))
    if care_service == "Adult Placement Service":
        return split(
            ctx.public,
            mix(
                rng,
                (0.6, t(council, " Adult Placement Service")),
                (0.4, t(council, " Supported Carers Scheme")),
            ),
            mix(rng, (0.5, t(brand, " Shared Lives")), (0.5, t(brand, " Continuing Care"))),
        )
    if care_service == "School Care Accommodation Service":
        return split(
            ctx.subtype == "School Hostel",
            t(town, " School Hostel"),
            mix(rng, (0.8, t(place, " School")), (0.2, t(place, " College"))),
        )
    if care_service == "Secure Accommodation Service":
        return t(place, " Secure Unit")
    if care_service == "Offender Accommodation Service":
        return mix(rng, (0.6, t(place, " Project")), (0.4, t(town, " Supported Accommodation")))
    if care_service == "Child Care Agency":
        return mix(rng, (0.6, t(brand, " Childcare Agency")), (0.4, t(brand, " Nannies")))
    raise ValueError(f"no names for care service {care_service!r}")


def provider_names(rng: np.random.Generator, sector: str, family: str, n: int) -> tuple[pa.Array, pa.Array]:
    """Names and brand words of private and voluntary providers."""
    first, surname = people(rng, n, 0.5)
    plain_places = [p for p in PLACES if p.isascii()]
    t = template
    brand = build(
        mix(
            rng,
            (0.3, t(pick(rng, BRANDS, n))),
            (0.25, t(pick(rng, plain_places, n))),
            (0.25, t(pick(rng, BRANDS, n), " ", pick(rng, plain_places, n))),
            (0.2, t(surname, " & ", pick(rng, SURNAMES, n))),
        ),
        n,
    )
    if sector == "Private" and family == "childcare":
        names = mix(
            rng,
            (0.35, t(brand, " Nurseries Ltd")),
            (0.25, t(brand, " Childcare Ltd")),
            (0.2, t(surname, " Childcare Ltd")),
            (0.2, t(first, " ", surname, " trading as ", brand)),
        )
    elif sector == "Private":
        names = mix(
            rng,
            (0.3, t(brand, " Care Ltd")),
            (0.25, t(brand, " Healthcare Limited")),
            (0.25, t(surname, " Care Group Ltd")),
            (0.2, t(brand, " Homecare Limited")),
        )
    elif family == "childcare":
        names = mix(rng, (0.5, t(brand, " Early Years SCIO")), (0.5, t(brand, " Parents' Association")))
    else:
        names = mix(
            rng,
            (0.25, t(brand, " Housing Association")),
            (0.25, t(brand, " Trust")),
            (0.2, t(brand, " Scotland")),
            (0.15, t(brand, " Care Trust")),
            (0.15, t("The ", brand, " Foundation")),
        )
    return build(names, n), brand
