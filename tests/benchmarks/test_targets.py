"""Every target of the benchmark issue is judged from the figures the benchmark reports."""

from benchmarks.run import TARGETS, evaluate


def summary(stage, scale, seconds, bare, peak=500.0, validation=None):
    result = {
        "stage": stage,
        "scale": scale,
        "carestats_seconds": seconds,
        "bare_seconds": bare,
        "ratio": seconds / bare,
        "carestats_peak_rss_mb": peak,
    }
    if validation is not None:
        result["validation_seconds"] = validation
    return result


def test_every_target_is_evaluated_with_its_limit():
    summaries = [
        summary("publication", 1.0, 3.0, 2.0, validation=1.0),
        summary("workbook", 1.0, 8.0, 7.0),
        summary("publication", 10.0, 24.0, 20.0, validation=9.0),
        summary("publication", 100.0, 300.0, 240.0, peak=9000.0, validation=100.0),
    ]
    startup = [
        {"command": "carestats --help", "seconds": 0.4},
        {"command": "carestats workbook (3 rows)", "seconds": 2.5},
    ]
    judged = {t["target"]: (round(t["value"], 3), t["met"]) for t in evaluate(summaries, startup)}
    assert len(judged) == len(TARGETS)
    assert judged["Publication at 1x: carestats / bare"] == (1.5, True)
    assert judged["Publication at 100x: carestats / bare"] == (1.25, False)
    assert judged["Publication growth, 10x services: time(10x) / time(1x)"] == (8.0, True)
    assert judged["Publication growth, 100x services: time(100x) / time(10x)"] == (12.5, False)
    assert judged["Peak memory of the publication at 100x"] == (9000.0, False)
    assert judged["Workbook at 1x: carestats / openpyxl bare data sheet"] == (round(8 / 7, 3), True)
    assert judged["Validation at 1x, share of the publication run with the workbook"] == (
        round(1 / 12, 3),
        True,
    )
    assert judged["Start-up of carestats --help"] == (0.4, True)
    assert judged["Start-up of carestats workbook (3 rows)"] == (2.5, False)
