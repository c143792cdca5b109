"""A QualityReport as JSON, as readable text, as a self-contained HTML page and as artifact rows.

Everything is a pure function of the report (no timestamps, no run ids), so an edition rebuilt from the
same extract carries byte-identical quality files. The HTML has its styling inline: GX's Data Docs pull
theirs from a CDN and read badly offline.
"""

from __future__ import annotations

import html

from tasks.shared.canonical_json import canonical_json
from tasks.shared.quality.results import Failure, QualityReport

LINES_SHOWN = 20
ROWS_NAMED_IN_TEXT = 5


def report_json_bytes(report: QualityReport) -> bytes:
    """The report as the JSON file kept beside what it judged: sorted keys, the same bytes on every run."""
    return canonical_json(report.to_dict())


def _lines(failure: Failure, limit: int = LINES_SHOWN) -> str:
    if not failure.lines:
        return ""
    shown = ", ".join(str(n) for n in failure.lines[:limit])
    more = f" ... and {len(failure.lines) - limit:,} more" if len(failure.lines) > limit else ""
    return shown + more


def failure_summary(failure: Failure) -> str:
    """One failure as one line of a log or the gate's message: the expectation, its column, what and where."""
    where = f" [{failure.column}]" if failure.column else ""
    what = failure.detail or f"{failure.failing_count:,} row(s) fail"
    if failure.scope == "file":
        what = f"the file's format: all {failure.failing_count:,} values fail"
    lines = _lines(failure)
    return f"{failure.expectation}{where}: {what}" + (f"; lines {lines}" if lines else "")


def report_text(report: QualityReport) -> list[str]:
    """The readable report: failures grouped by severity, then missing columns and skipped checks."""
    lines = [
        f"{report.subject or report.suite}: {report.status.upper()} "
        f"({report.rows:,} rows, {report.evaluated} expectations evaluated"
        + (f", edition date {report.as_at})" if report.as_at else ")"),
        *[f"  note: {note}" for note in report.notes],
    ]
    for title, failures in (("Critical failures", report.critical), ("Warnings", report.warnings)):
        lines.append(f"{title} ({len(failures)}):" if failures else f"{title}: none")
        for failure in failures:
            lines.append(f"  - {failure_summary(failure)}")
            if failure.scope == "file":
                lines.append("      the file's format, not its services: every value in the column fails")
            elif failure.rows:
                more = failure.failing_count - min(ROWS_NAMED_IN_TEXT, len(failure.rows))
                lines.append(
                    "      rows: "
                    + "; ".join(failure.rows[:ROWS_NAMED_IN_TEXT])
                    + (f" ... and {more:,} more" if more > 0 else "")
                )
            if failure.reason:
                lines.append(f"      why: {failure.reason}")
    if report.missing_columns:
        lines.append(
            f"Columns not in the file ({len(report.missing_columns)}): " + ", ".join(report.missing_columns)
        )
    if report.unexpected_columns:
        lines.append("Columns the data dictionary does not know: " + ", ".join(report.unexpected_columns))
    rule_skips = [s for s in report.skipped if not s.reason.startswith("column ")]
    column_skips = len(report.skipped) - len(rule_skips)
    if column_skips:
        lines.append(f"Skipped {column_skips} column check(s) on the columns not in the file.")
    for skipped in rule_skips:
        lines.append(f"Skipped {skipped.expectation}: {skipped.reason}")
    return lines


def artifact_rows(report: QualityReport) -> list[dict[str, str | int]]:
    """One row per failed expectation for a Prefect table artifact,
    with sample rows and their line numbers.
    """
    rows = []
    for failure in report.critical + report.warnings:
        samples = "; ".join(
            f"line {s['line']}: " + ", ".join(f"{k}={v!r}" for k, v in s["values"].items())
            for s in failure.samples
        )
        rows.append(
            {
                "severity": failure.severity,
                "expectation": failure.expectation,
                "column": failure.column or "",
                "failing": failure.failing_count,
                "lines": _lines(failure, 10),
                "rows": "; ".join(failure.rows[:10]),
                "sample rows": samples or failure.detail,
                "why": failure.reason,
            }
        )
    return rows


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,Arial,sans-serif;margin:2rem;color:#1b1b1b;\
max-width:1200px}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
.status{display:inline-block;padding:.2rem .6rem;border-radius:.3rem;color:#fff;font-weight:600}
.failed{background:#b00020}.passed{background:#2e7d32}.warned{background:#a15c00}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{border:1px solid #ccc;\
padding:.35rem .5rem;
text-align:left;vertical-align:top;font-size:.9rem}th{background:#f2f2f2}td.n{text-align:right}
.critical td:first-child{border-left:4px solid #b00020}.warning td:first-child{border-left:4px solid #a15c00}
code{font-size:.85rem}.muted{color:#555}
"""


def _cell(value: object, css: str = "") -> str:
    return f"<td{f' class={css!r}' if css else ''}>{html.escape(str(value))}</td>"


def _rows_cell(failure: Failure, limit: int = 50) -> str:
    """The failing rows named (line, CS number, service) where the file names them, else their lines."""
    if not failure.rows:
        return _cell(_lines(failure, limit))
    more = failure.failing_count - min(limit, len(failure.rows))
    named = "<br>".join(html.escape(row) for row in failure.rows[:limit])
    return f"<td>{named}{f'<br>... and {more:,} more' if more > 0 else ''}</td>"


def report_html(report: QualityReport, title: str) -> bytes:
    """The report as a self-contained HTML page, its styles inline, that reads the same offline."""
    status_class = {"failed": "failed", "passed": "passed"}.get(report.status, "warned")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p><span class="status {status_class}">{html.escape(report.status)}</span> '
        f"{report.rows:,} rows &middot; {report.evaluated} expectations evaluated &middot; "
        f"{len(report.critical)} critical, {len(report.warnings)} warning(s)"
        + (f" &middot; edition date {html.escape(report.as_at)}" if report.as_at else "")
        + "</p>",
    ]
    parts += [f'<p class="muted">{html.escape(note)}</p>' for note in report.notes]
    for heading, failures in (("Critical failures", report.critical), ("Warnings", report.warnings)):
        parts.append(f"<h2>{heading} ({len(failures)})</h2>")
        if not failures:
            parts.append("<p>None.</p>")
            continue
        parts.append(
            "<table><tr><th>Expectation</th><th>Column</th><th>Failing</th>"
            "<th>Rows (line, header is line 1; CS number; service)</th>"
            "<th>Sample rows</th><th>Why it matters</th></tr>"
        )
        for f in failures:
            samples = "<br>".join(
                html.escape(f"line {s['line']}: " + ", ".join(f"{k}={v!r}" for k, v in s["values"].items()))
                for s in f.samples
            ) or html.escape(f.detail)
            parts.append(
                f'<tr class="{html.escape(f.severity)}">{_cell(f.expectation)}{_cell(f.column or "")}'
                f"{_cell(f'{f.failing_count:,}', 'n')}{_rows_cell(f)}"
                f"<td><code>{samples}</code></td>{_cell(f.reason)}</tr>"
            )
        parts.append("</table>")
    if report.missing_columns:
        parts.append(f"<h2>Columns not in the file ({len(report.missing_columns)})</h2>")
        parts.append("<p>" + html.escape(", ".join(report.missing_columns)) + "</p>")
    if report.skipped:
        parts.append(
            f"<h2>Skipped ({len(report.skipped)})</h2><table><tr><th>Expectation</th><th>Reason</th></tr>"
        )
        parts += [f"<tr>{_cell(s.expectation)}{_cell(s.reason)}</tr>" for s in report.skipped]
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts).encode("utf-8")
