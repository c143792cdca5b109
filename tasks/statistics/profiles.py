"""Service profiles for inspectors: one self-contained page per service, and the page that finds any of them.

A profile is drawn from the inspector table as published (its text, read back from the CSV), so that what
a page says is what the table says, and the same table gives the same bytes. Each page records the sha256
of the table's manifest it was drawn from, which is how a changed table is known to make it stale. Pages
are plain HTML5 with inline CSS and an inline SVG chart, readable by a screen reader (a table of the
figures beside the chart says everything the chart shows); only the index has a little JavaScript, to
filter its list by CS number or name. Everything here is internal: every page says so.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

import pandas as pd
from matplotlib.lines import Line2D

from carestats.dictionary import DataDictionary, load_dictionary
from carestats.errors import BadInputError
from tasks.shared.charts import HIGHLIGHT, MAIN, MUTED, chart, svg_text
from tasks.shared.lake_map import InspectionBenchmarks
from tasks.statistics.indicators import (
    FLAGGED_SEPARATOR,
    IN_RANGE,
    INTERNAL,
    NO_VALUE,
    STANDS_OUT,
    TOO_FEW_PEERS,
    BenchmarkRules,
    Indicator,
)

MANIFEST_META = "carestats-table-manifest"  # the meta tag naming the table's manifest a page was drawn from
DRAWN_FROM = re.compile(rb'<meta name="' + MANIFEST_META.encode() + rb'" content="([0-9a-f]{64})">')
PANEL_HEIGHT = 1.05  # inches of chart per indicator
CHART_WIDTH = 6.4
STYLE = """
body { font-family: system-ui, sans-serif; line-height: 1.45; margin: 0 auto; max-width: 110rem;
       padding: 0 1rem 2rem; color: #0b0c0c; }
.internal { background: #fff4e5; border-left: 0.4rem solid #F46A25; padding: 0.6rem 0.8rem; margin: 1rem 0; }
.cs { font-size: 1.25rem; font-weight: 600; margin-top: -0.5rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
.side-by-side { display: grid; gap: 1.5rem; }
@media (min-width: 100rem) { .side-by-side { grid-template-columns: minmax(0, 6fr) minmax(0, 5fr); } }
.scroll { overflow-x: auto; }
dl:not(.facts) dt { font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: 0.95rem; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.4rem; }
th, td { border-bottom: 1px solid #b1b4b6; padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.flag-stands-out { font-weight: 700; color: #a33a0b; }
figure { margin: 0; }
figure svg { max-width: 100%; height: auto; }
footer { margin-top: 2rem; font-size: 0.9rem; color: #505a5f; }
code { word-break: break-all; }
label { font-weight: 600; display: block; margin-bottom: 0.3rem; }
input[type=search] { font-size: 1.1rem; padding: 0.4rem; width: min(100%, 24rem); }
"""


class NotInTable(BadInputError):
    """A CS number the year's inspector table has no row for: no current return that year, or a typo."""


def drawn_from(page: bytes) -> str | None:
    """The sha256 of the table manifest a page was drawn from, as the page records it (None if none)."""
    found = DRAWN_FROM.search(page)
    return found.group(1).decode() if found else None


def service_row(table: pd.DataFrame, cs_number: str, return_year: int) -> pd.Series:
    """The table's row of one service; a CS number it does not hold is an error naming it."""
    rows = table[table["CSNumber"] == cs_number]
    if rows.empty:
        raise NotInTable(
            f"{cs_number} is not in the inspection benchmarks of {return_year}: it has no current "
            f"{return_year} annual return (or is not a CS number of a registered service)"
        )
    return rows.iloc[0]


def peers_of(table: pd.DataFrame, row: pd.Series, rules: BenchmarkRules) -> pd.DataFrame:
    """The rows of the service's peer group (the service included), as the table defines peers."""
    same = pd.Series(True, index=table.index)
    for column in rules.peer_group:
        same &= table[column] == row[column]
    return table[same]


def profile_html(
    table: pd.DataFrame,
    cs_number: str,
    return_year: int,
    manifest_sha256: str,
    dictionary: DataDictionary | None = None,
) -> str:
    """One service's page: who it is and who its peers are, a table of its figures beside a chart of it
    against its peers and the nation, what each flag means, and which table it was drawn from.

    `table` is the inspector table as published text ('' for blank).
    """
    dictionary = dictionary or load_dictionary()
    rules = BenchmarkRules.from_dictionary(dictionary)
    row = service_row(table, cs_number, return_year)
    name, place = row["ServiceName"] or cs_number, InspectionBenchmarks(return_year)
    stands_out = _labels(row["Flagged"], rules)
    title = f"{cs_number} {name}: staffing benchmarks, {return_year} returns"
    chart_title = f"{name} ({cs_number}) against its peers and Scotland, {return_year} returns"
    summary = (
        f"Stands out on {len(stands_out)} of {len(rules.indicators)} indicators: {'; '.join(stands_out)}."
        if stands_out
        else "Does not stand out on any indicator."
    )
    facts = [
        ("Care service", row["CareService"]),
        ("Subtype", row["Subtype"] or "none"),
        ("Sector", row["ServiceType"]),
        ("Council area", row["Council_Area_Name"]),
        (
            "Peer services",
            f"{row['Peer_Services']} with a current {return_year} return, this one included "
            "(same care service, subtype, sector and council area)",
        ),
    ]
    return _page(
        title,
        manifest_sha256,
        f"""<p><a href="index.html">All services, {return_year} returns</a></p>
<header>
<h1>{_e(name)}</h1>
<p class="cs">{_e(cs_number)}</p>
</header>
<main>
<section aria-labelledby="service">
<h2 id="service">The service and its peers</h2>
<dl class="facts">
{"".join(f"<dt>{_e(label)}</dt><dd>{_e(value)}</dd>{chr(10)}" for label, value in facts)}</dl>
<p><strong>{_e(summary)}</strong></p>
</section>
<div class="side-by-side">
<section aria-labelledby="figures">
<h2 id="figures">Figures</h2>
{_figures_table(row, rules, return_year)}
</section>
<section aria-labelledby="chart">
<h2 id="chart">Against its peers</h2>
<figure>
{profile_chart(row, peers_of(table, row, rules), rules, chart_title)}
<figcaption>For each indicator: this service (orange diamond), each of its peers with a value (grey
dots), the figure over its peers together (dashed line) and over Scotland (solid line). The table of
figures gives the same numbers.</figcaption>
</figure>
</section>
</div>
<section aria-labelledby="flags">
<h2 id="flags">What the flags mean</h2>
{_flag_meanings(rules)}
</section>
<section aria-labelledby="definitions">
<h2 id="definitions">What each indicator measures</h2>
<dl>
{"".join(_definition(i) for i in rules.indicators)}</dl>
</section>
</main>
<footer>
<p>Drawn from the inspector table {_e(place.table)} (manifest sha256 <code>{_e(manifest_sha256)}</code>).
Figures are percentages to one decimal place; the national and peer figures are ratios of totals over the
services with a value, not averages of their percentages.</p>
</footer>""",
    )


def _figures_table(row: pd.Series, rules: BenchmarkRules, return_year: int) -> str:
    headers = [
        "Indicator",
        "This service",
        "Peers",
        "Scotland",
        "Peers compared",
        "Percentile among peers",
        "Flag",
        "Change since last year",
    ]
    body = []
    for indicator in rules.indicators:
        name = indicator.name
        flag = row[f"{name}_Flag"]
        cells = [
            _percent(row[name]),
            _percent(row[f"{name}_Peers"]),
            _percent(row[f"{name}_National"]),
            row[f"{name}_Peers_Compared"] or "0",
            _number(row[f"{name}_Percentile"]),
        ]
        body.append(
            f'<tr><th scope="row">{_e(indicator.label)}</th>'
            + "".join(f'<td class="number">{_e(cell)}</td>' for cell in cells)
            + f'<td class="{"flag-stands-out" if flag == STANDS_OUT else "flag"}">{_e(flag)}</td>'
            + f'<td class="number">{_e(_change(row[f"{name}_Change"]))}</td></tr>\n'
        )
    header = "".join(f'<th scope="col">{_e(h)}</th>' for h in headers)
    caption = f"Staffing indicators of the {return_year} return (percentages)"
    return (
        f'<div class="scroll" role="region" aria-label="{_e(caption)}" tabindex="0">\n<table>\n'
        f"<caption>{_e(caption)}</caption>\n"
        f"<thead><tr>{header}</tr></thead>\n<tbody>\n{''.join(body)}</tbody>\n</table>\n</div>"
    )


def _flag_meanings(rules: BenchmarkRules) -> str:
    higher = [_in_a_sentence(i.label) for i in rules.indicators if i.worse == "higher"]
    lower = [_in_a_sentence(i.label) for i in rules.indicators if i.worse == "lower"]
    top, bottom = _number_text(rules.flag_percentile), _number_text(100 - rules.flag_percentile)
    beyond = []
    if higher:
        beyond.append(
            f"at or above the {top}th percentile where a higher figure is worse ({', '.join(higher)})"
        )
    if lower:
        beyond.append(
            f"at or below the {bottom}th percentile where a lower figure is worse ({', '.join(lower)})"
        )
    meanings = {
        STANDS_OUT: f"The service's figure is {' and '.join(beyond)}, among at least {rules.min_peers} peers "
        "with a value. Worth a look when planning an inspection; not a judgement of the service.",
        IN_RANGE: "The service's figure is within the range of most of its peers.",
        TOO_FEW_PEERS: f"Fewer than {rules.min_peers} peers (the service included) have a value, too few "
        "for a percentile to mean anything: the service is never flagged as standing out, however far its "
        "figure is from theirs.",
        NO_VALUE: "The service has no figure: no staff to measure against, a question not answered, or not "
        "asked (childminders are not asked about vacancies).",
    }
    items = "".join(f"<dt>{_e(flag)}</dt><dd>{_e(text)}</dd>\n" for flag, text in meanings.items())
    return f"<dl>\n{items}</dl>"


def _in_a_sentence(label: str) -> str:
    """A label inside a sentence: its first letter small, an abbreviation (SSSC) left as it is."""
    return label[:1].lower() + label[1:]


def _definition(indicator: Indicator) -> str:
    worse = "A higher figure is worse." if indicator.worse == "higher" else "A lower figure is worse."
    return f"<dt>{_e(indicator.label)}</dt><dd>{_e(indicator.definition)} {worse}</dd>\n"


def profile_chart(row: pd.Series, peers: pd.DataFrame, rules: BenchmarkRules, title: str) -> str:
    """The service against its peers as inline SVG: a panel per indicator with each peer's figure as a dot,
    the service highlighted, and the peer and national figures as lines."""
    others = peers[peers["CSNumber"] != row["CSNumber"]]
    with chart(CHART_WIDTH, PANEL_HEIGHT * len(rules.indicators) + 0.5) as figure:
        panels = figure.subplots(len(rules.indicators), 1, squeeze=False)[:, 0]
        for axes, indicator in zip(panels, rules.indicators, strict=True):
            name = indicator.name
            values = sorted(_floats(others[name]))
            own, national, peer = (
                _float(row[name]),
                _float(row[f"{name}_National"]),
                _float(row[f"{name}_Peers"]),
            )
            spread = [(index % 3 - 1) * 0.25 for index in range(len(values))]  # dots of equal figures apart
            axes.scatter(values, spread, color=MUTED, s=24, zorder=2)
            for figure_value, style in ((national, "-"), (peer, "--")):
                if figure_value is not None:
                    axes.axvline(figure_value, color=MAIN, linestyle=style, linewidth=1.4, zorder=1)
            if own is not None:
                axes.scatter([own], [0], color=HIGHLIGHT, marker="D", s=64, zorder=3, edgecolors="black")
            else:
                axes.text(0.5, 0.5, "No value for this service", transform=axes.transAxes, ha="center")
            shown = [v for v in [*values, own, national, peer] if v is not None]
            axes.set_xlim(0, max([*shown, 1.0]) * 1.08)
            axes.set_ylim(-0.8, 0.8)
            axes.set_yticks([])
            axes.spines["left"].set_visible(False)
            axes.set_title(f"{indicator.label} (%): {row[f'{name}_Flag']}", loc="left", fontsize=10)
        figure.legend(
            handles=[
                Line2D([], [], color=HIGHLIGHT, marker="D", linestyle="", markeredgecolor="black"),
                Line2D([], [], color=MUTED, marker="o", linestyle=""),
                Line2D([], [], color=MAIN, linestyle="--"),
                Line2D([], [], color=MAIN, linestyle="-"),
            ],
            labels=["This service", "Each peer", "Peers together", "Scotland"],
            loc="upper center",
            ncol=4,
            frameon=False,
            bbox_to_anchor=(0.5, 1.0),
        )
        figure.tight_layout(rect=(0, 0, 1, 1 - 0.45 / figure.get_figheight()))
        return svg_text(figure, title)


def index_html(table: pd.DataFrame, profiled: Iterable[str], return_year: int, manifest_sha256: str) -> str:
    """The page that finds any service of the table by CS number or name: every service with its flags,
    those standing out on most first, each linked to its profile where one has been drawn."""
    rules = BenchmarkRules.from_dictionary()
    drawn = set(profiled)
    ordered = table.assign(_flags=pd.to_numeric(table["Flags"])).sort_values(
        ["_flags", "CSNumber"], ascending=[False, True], kind="stable"
    )
    rows = []
    for _, row in ordered.iterrows():
        cs = row["CSNumber"]
        link = f'<a href="{_e(cs)}.html">Profile</a>' if cs in drawn else "Not drawn yet"
        stands_out = "; ".join(_labels(row["Flagged"], rules))
        find = f"{cs} {row['ServiceName']}".upper()
        rows.append(
            f'<tr data-find="{_e(find)}"><td>{_e(cs)}</td><td>{_e(row["ServiceName"])}</td>'
            f"<td>{_e(row['CareService'])}</td><td>{_e(row['Council_Area_Name'])}</td>"
            f'<td class="number">{_e(row["Flags"])}</td><td>{_e(stands_out)}</td><td>{link}</td></tr>\n'
        )
    flagged = int((pd.to_numeric(table["Flags"]) > 0).sum())
    return _page(
        f"Staffing benchmarks, {return_year} returns: find a service",
        manifest_sha256,
        f"""<header>
<h1>Staffing benchmarks, {return_year} returns</h1>
</header>
<main>
<p>{len(table):,} services with a current return; {flagged:,} stand out among their peers on at least one
indicator. Profiles have been drawn for {len(drawn & set(table["CSNumber"])):,} of them (linked below);
for any other service, run <code>carestats service-profile CS_NUMBER --year {return_year}</code>.</p>
<form role="search" onsubmit="return false">
<label for="find">Find a service by CS number or name</label>
<input id="find" type="search" autocomplete="off" spellcheck="false" aria-describedby="shown">
</form>
<noscript><p>Finding needs JavaScript: use your browser's own search (Ctrl+F) instead.</p></noscript>
<p id="shown" aria-live="polite">Showing all {len(table):,} services.</p>
<div class="scroll" role="region" aria-label="Every service" tabindex="0">
<table id="services">
<caption>Every service, those standing out on most indicators first</caption>
<thead><tr><th scope="col">CS number</th><th scope="col">Service</th><th scope="col">Care service</th>
<th scope="col">Council area</th><th scope="col">Flags</th><th scope="col">Stands out on</th>
<th scope="col">Profile</th></tr></thead>
<tbody>
{"".join(rows)}</tbody>
</table>
</div>
</main>
<script>
const box = document.getElementById("find");
const rows = Array.from(document.querySelectorAll("#services tbody tr"));
const shown = document.getElementById("shown");
box.addEventListener("input", () => {{
  const wanted = box.value.trim().toUpperCase();
  let count = 0;
  for (const row of rows) {{
    const match = row.dataset.find.includes(wanted);
    row.hidden = !match;
    count += match ? 1 : 0;
  }}
  shown.textContent = wanted
    ? `${{count}} of ${{rows.length}} services match "${{box.value.trim()}}".`
    : `Showing all ${{rows.length}} services.`;
}});
</script>""",
    )


def _page(title: str, manifest_sha256: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="{MANIFEST_META}" content="{_e(manifest_sha256)}">
<title>{_e(title)} ({INTERNAL.lower()})</title>
<style>{STYLE}</style>
</head>
<body>
<p class="internal" role="note"><strong>{INTERNAL}.</strong> For inspection planning by the regulator's
staff only: it names services and compares them with others.</p>
{body}
</body>
</html>
"""


def _labels(flagged: str, rules: BenchmarkRules) -> list[str]:
    """The labels of the indicators a table's Flagged column names."""
    return [rules.indicator(name).label for name in flagged.split(FLAGGED_SEPARATOR) if name]


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _float(text: str) -> float | None:
    return float(text) if text != "" else None


def _floats(texts: pd.Series) -> list[float]:
    return [float(t) for t in texts if t != ""]


def _number_text(value: float) -> str:
    return f"{value:g}"


def _number(text: str) -> str:
    return f"{float(text):.1f}" if text != "" else "–"


def _percent(text: str) -> str:
    return f"{float(text):.1f}%" if text != "" else NO_VALUE.lower()


def _change(text: str) -> str:
    if text == "":
        return "not known"
    change = float(text)
    return "no change" if change == 0 else f"{change:+.1f} points"
