import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.shared.cell_suppression import (
    AUDIT_COLUMNS,
    SUPPRESSION,
    TOTAL,
    ProtectedTable,
    TableSpec,
    audit,
    protect,
    round_to_base,
    table_with_margins,
)

SPEC = TableSpec(name="by_region_and_kind", row="Region", column="Kind", count="Units", measures=["Amount"])


def cells_of(spec: TableSpec, counts: dict[str, list[int]], measures: dict[str, dict[str, list[float]]]):
    """Pre-aggregated interior cells: counts and each measure as {row: [value per column]}."""
    columns = [f"K{j}" for j in range(len(next(iter(counts.values()))))]
    return pd.DataFrame(
        [
            {
                spec.row: row,
                spec.column: column,
                spec.count: counts[row][j],
                **{m: values[row][j] for m, values in measures.items()},
            }
            for row in counts
            for j, column in enumerate(columns)
        ]
    )


def status(table: ProtectedTable, row: str, column: str) -> str:
    cells = table.cells
    spec = table.spec
    [found] = cells.loc[(cells[spec.row] == row) & (cells[spec.column] == column), SUPPRESSION]
    return found


def hidden(table: ProtectedTable) -> set[tuple[str, str]]:
    cells = table.cells[table.cells[SUPPRESSION] != ""]
    return set(zip(cells[table.spec.row], cells[table.spec.column], strict=True))


def bounds(report: pd.DataFrame, row: str, column: str, measure: str) -> tuple[float, float]:
    [found] = report.loc[
        (report["row"] == row) & (report["column"] == column) & (report["measure"] == measure),
        ["lower", "upper"],
    ].itertuples(index=False)
    return tuple(found)


# Units (contributors) and Amount of a 3x3 table; C/K2 is an empty combination, A/K0 the one small cell.
#          K0   K1   K2                 K0   K1   K2
#     A     2    8    9            A     5   40   50
#     B     7    6   10            B    30   20   60
#     C    11   12    0            C    70   80    0
HAND_COUNTS = {"A": [2, 8, 9], "B": [7, 6, 10], "C": [11, 12, 0]}
HAND_AMOUNTS = {"A": [5, 40, 50], "B": [30, 20, 60], "C": [70, 80, 0]}


def hand_table() -> pd.DataFrame:
    return table_with_margins(cells_of(SPEC, HAND_COUNTS, {"Amount": HAND_AMOUNTS}), SPEC)


def test_table_with_margins_adds_up_every_combination_in_a_fixed_order():
    units = pd.DataFrame(
        {
            "Region": ["B", "A", "A", "B", "A"],
            "Kind": ["y", "x", "x", "y", "y"],
            "Amount": [1.5, 2.0, 3.0, 4.0, 10.0],
        }
    )
    table = table_with_margins(units, SPEC)  # no Units column: each row is one unit
    assert list(table.columns) == ["Region", "Kind", "Units", "Amount"]
    assert list(zip(table["Region"], table["Kind"], strict=True)) == [
        ("A", "x"), ("A", "y"), ("A", TOTAL),
        ("B", "x"), ("B", "y"), ("B", TOTAL),
        (TOTAL, "x"), (TOTAL, "y"), (TOTAL, TOTAL),
    ]  # fmt: skip
    assert table["Units"].tolist() == [2, 1, 3, 0, 2, 2, 2, 3, 5]  # B/x: seen in neither, a zero cell
    assert table["Amount"].tolist() == [5.0, 10.0, 15.0, 0.0, 5.5, 5.5, 5.0, 15.5, 20.5]
    shuffled = table_with_margins(units.sample(frac=1, random_state=3), SPEC)
    pd.testing.assert_frame_equal(shuffled, table)


@pytest.mark.parametrize(
    ("units", "message"),
    [
        (pd.DataFrame({"Region": ["A"], "Kind": ["x"], "Amount": [-1.0]}), "not negative"),
        (
            pd.DataFrame({"Region": ["A"], "Kind": ["x"], "Amount": pd.array([None], dtype="Float64")}),
            "present",
        ),
        (pd.DataFrame({"Region": [TOTAL], "Kind": ["x"], "Amount": [1.0]}), "names the margins"),
        (pd.DataFrame({"Region": [None], "Kind": ["x"], "Amount": [1.0]}), "without a Region"),
    ],
)
def test_table_with_margins_refuses_what_the_audit_could_not_prove(units, message):
    with pytest.raises(ValueError, match=message):
        table_with_margins(units, SPEC)


def test_hand_worked_table_pairs_the_small_cell_into_a_rectangle():
    [table] = protect([(SPEC, hand_table())], threshold=5, protection=0.1)
    assert status(table, "A", "K0") == "primary"
    # A/K0 alone in row A and column K0: the fewest units in row A is A/K1 (8), in column K0 B/K0 (7);
    # then B/K1 (6) closes both row B and column K1.
    assert {cell for cell in hidden(table) if status(table, *cell) == "secondary"} == {
        ("A", "K1"),
        ("B", "K0"),
        ("B", "K1"),
    }
    assert status(table, "C", "K2") == ""  # a zero cell is published
    assert status(table, TOTAL, TOTAL) == ""

    report = audit(table, protection=0.1)
    assert list(report.columns) == AUDIT_COLUMNS
    assert len(report) == 4 * 2 and not report["recoverable"].any()
    # The published cells leave one degree of freedom t around the rectangle: A/K0 = 5 + t, A/K1 = 40 - t,
    # B/K0 = 30 - t, B/K1 = 20 + t. All >= 0: t >= -5, t <= 40, t <= 30, t >= -20, so t in [-5, 30]:
    # A/K0 in [0, 35] and B/K1 in [15, 50]. For the units: 2 + t, 8 - t, 7 - t, 6 + t, so A/K0 in [0, 9].
    assert bounds(report, "A", "K0", "Amount") == pytest.approx((0, 35))
    assert bounds(report, "B", "K1", "Amount") == pytest.approx((15, 50))
    assert bounds(report, "A", "K0", "Units") == pytest.approx((0, 9))
    a_k0 = report[(report["row"] == "A") & (report["column"] == "K0") & (report["measure"] == "Amount")]
    assert a_k0[["value", "width", "required"]].iloc[0].tolist() == pytest.approx([5, 35, 0.5])


def test_the_audit_finds_a_lone_suppressed_cell_recoverable():
    cells = hand_table()
    small = (cells["Units"] > 0) & (cells["Units"] < 5)
    primary_only = ProtectedTable(SPEC, cells.assign(**{SUPPRESSION: np.where(small, "primary", "")}))
    report = audit(primary_only, protection=0.0)
    # Row A publishes 95 in all with 40 and 50 beside it: A/K0 is 95 - 40 - 50 = 5 exactly
    assert report[["row", "column", "measure"]].values.tolist() == [
        ["A", "K0", "Units"],
        ["A", "K0", "Amount"],
    ]
    assert report["recoverable"].all()
    assert (report["lower"] == report["value"]).all() and (report["upper"] == report["value"]).all()
    assert report["value"].tolist() == [2, 5]


def test_nothing_suppressed_gives_an_empty_audit():
    table = table_with_margins(
        cells_of(SPEC, {"A": [5, 6], "B": [0, 9]}, {"Amount": {"A": [1, 2], "B": [0, 3]}}), SPEC
    )
    [protected] = protect([(SPEC, table)], threshold=5, protection=0.1)
    assert (protected.cells[SUPPRESSION] == "").all()
    report = audit(protected, protection=0.1)
    assert list(report.columns) == AUDIT_COLUMNS and report.empty


def test_a_margin_below_the_threshold_is_suppressed_and_protected():
    counts = {"A": [9, 8, 1], "B": [7, 6, 2], "C": [11, 12, 1]}
    amounts = {"A": [40, 35, 3], "B": [30, 25, 9], "C": [50, 60, 4]}
    [table] = protect([(SPEC, table_with_margins(cells_of(SPEC, counts, {"Amount": amounts}), SPEC))], 5, 0.1)
    assert status(table, TOTAL, "K2") == "primary"  # 1 + 2 + 1 = 4 units
    assert {status(table, row, "K2") for row in "ABC"} == {"primary"}
    # the other margins of the total row give it away unless another one goes too (never the grand total)
    assert {status(table, TOTAL, "K0"), status(table, TOTAL, "K1")} == {"", "secondary"}
    assert status(table, TOTAL, TOTAL) == ""
    report = audit(table, protection=0.1)
    assert not report["recoverable"].any()
    margin = report[(report["row"] == TOTAL) & (report["column"] == "K2")]
    assert len(margin) == 2 and (margin["width"] >= margin["required"]).all()


def test_a_hidden_zero_needs_its_zero_total_hidden_too():
    spec = TableSpec("with_leavers", "Region", "Kind", "Units", ["Amount", "Leavers"])
    leavers = {"A": [0, 0, 0], "B": [2, 1, 3], "C": [4, 2, 0]}
    cells = cells_of(spec, HAND_COUNTS, {"Amount": HAND_AMOUNTS, "Leavers": leavers})
    [table] = protect([(spec, table_with_margins(cells, spec))], threshold=5, protection=0.0)
    # Row A's published total of 0 leavers would say A/K0 has none, whatever else is hidden
    assert status(table, "A", TOTAL) == "secondary"
    report = audit(table, protection=0.0)
    assert not report["recoverable"].any()
    assert bounds(report, "A", "K0", "Leavers") == pytest.approx((0, 2))


def test_a_figure_zero_in_the_whole_table_is_reported_without_suppressing_more():
    spec = TableSpec("with_leavers", "Region", "Kind", "Units", ["Amount", "Leavers"])
    no_leavers = {row: [0, 0, 0] for row in HAND_COUNTS}
    cells = cells_of(spec, HAND_COUNTS, {"Amount": HAND_AMOUNTS, "Leavers": no_leavers})
    [table] = protect([(spec, table_with_margins(cells, spec))], threshold=5, protection=0.1)
    [without] = protect([(SPEC, hand_table())], threshold=5, protection=0.1)
    assert table.cells[SUPPRESSION].tolist() == without.cells[SUPPRESSION].tolist()
    report = audit(table, protection=0.1)
    # a published grand total of 0 leavers tells every cell's: only hiding it could help, and it is large
    assert set(report.loc[report["recoverable"], "measure"]) == {"Leavers"}
    assert report["recoverable"].sum() == 4 and (report.loc[report["recoverable"], "upper"] == 0).all()


# Sub-sector P has 2 units of employer type E2 beside 6 of E1, the only units of E1 in the first table:
# hiding P/E2 needs P/E1 hidden, and then the E1 margin (its column has no other unit). The second table
# has no small cell, but publishing the E1 margin there would give P/E1 and so P/E2 away.
LINKED_UNITS = pd.DataFrame(
    [
        *[("P", "a1", "E1", 10 + i) for i in range(6)],
        ("P", "a1", "E2", 7),
        ("P", "a1", "E2", 12),
        *[("Q", "a1", "E2", 9 + i) for i in range(3)],
        *[("Q", "a2", "E2", 5 + 2 * i) for i in range(6)],
        *[("Q", "a2", "E3", 20 + i) for i in range(8)],
    ],
    columns=["Sub_Sector", "Area", "Employer_Type", "Headcount"],
)
BY_SECTOR = TableSpec("by_sector", "Sub_Sector", "Employer_Type", "Services", ["Headcount"])
BY_AREA = TableSpec("by_area", "Area", "Employer_Type", "Services", ["Headcount"])


def linked_tables():
    return [
        (spec, table_with_margins(LINKED_UNITS.assign(Services=1), spec)) for spec in (BY_SECTOR, BY_AREA)
    ]


def test_linked_tables_give_a_shared_margin_one_status_and_pass_their_audits():
    by_sector, by_area = protect(linked_tables(), threshold=5, protection=0.1)
    assert status(by_sector, "P", "E2") == "primary"
    assert status(by_sector, TOTAL, "E1") == status(by_area, TOTAL, "E1") == "secondary"
    assert not any(status(by_area, row, column) == "primary" for row, column in hidden(by_area))
    for column in ["E1", "E2", "E3", TOTAL]:
        assert status(by_sector, TOTAL, column) == status(by_area, TOTAL, column)
    for table, other in [(by_sector, by_area), (by_area, by_sector)]:
        assert not audit(table, 0.1)["recoverable"].any()
        assert not audit(table, 0.1, linked=[other])["recoverable"].any()


def test_linked_tables_protected_apart_give_each_other_away():
    by_sector, by_area = (protect([table], threshold=5, protection=0.1)[0] for table in linked_tables())
    assert status(by_sector, TOTAL, "E1") == "secondary" and status(by_area, TOTAL, "E1") == ""
    assert not audit(by_sector, 0.1)["recoverable"].any()
    exposed = audit(by_sector, 0.1, linked=[by_area])
    assert exposed["recoverable"].any()
    assert bounds(exposed, TOTAL, "E1", "Services") == (6, 6)


def test_linked_tables_must_agree_on_the_margins_they_share():
    (by_sector, cells), (by_area, other) = linked_tables()
    other.loc[(other["Area"] == TOTAL) & (other["Employer_Type"] == "E1"), "Headcount"] += 1
    with pytest.raises(ValueError, match="differs"):
        protect([(by_sector, cells), (by_area, other)], threshold=5, protection=0.1)


@pytest.mark.parametrize(
    ("values", "base", "expected"),
    [
        ([12.5, 7, 8, 2.5, 2.4, 0, -12.5], 5, [15, 5, 10, 5, 0, 0, -15]),
        ([2.5, 3.5, 0.5, 1.49], 1, [3, 4, 1, 1]),
        ([0.15, 0.25, 1.04], 0.1, [0.2, 0.3, 1.0]),
        ([1234, 1250, 49], 100, [1200, 1300, 0]),
        ([2.5, 7.25], 0, [2.5, 7.25]),
    ],
)
def test_round_to_base_rounds_halves_away_from_zero(values, base, expected):
    assert round_to_base(pd.Series(values), base).tolist() == pytest.approx(expected)


def test_round_to_base_keeps_missing_values_missing():
    rounded = round_to_base(pd.Series([12.5, None, 3], dtype="Float64"), 5)
    assert rounded.isna().tolist() == [False, True, False]
    assert rounded.dropna().tolist() == [15, 5]
    assert round_to_base(pd.Series([np.nan, 2.0]), 0).isna().tolist() == [True, False]


@st.composite
def random_tables(draw):
    rows, columns = draw(st.integers(2, 6)), draw(st.integers(2, 6))
    counts = draw(st.lists(st.integers(0, 12), min_size=rows * columns, max_size=rows * columns))
    cells = []
    for i, count in enumerate(counts):
        per_unit = draw(st.integers(1, 30))
        cells.append(
            {
                "Row": f"r{i // columns}",
                "Column": f"c{i % columns}",
                "Units": count,
                "Headcount": count * per_unit + (draw(st.integers(0, 5)) if count else 0),
                "Hours": draw(st.integers(count, 40 * count)),
            }
        )
    return pd.DataFrame(cells)


@settings(max_examples=60, deadline=None)
@given(random_tables(), st.sampled_from([0.0, 0.1]))
def test_random_tables_publish_no_small_cell_and_no_recoverable_one(cells, protection):
    spec = TableSpec("random", "Row", "Column", "Units", ["Headcount", "Hours"])
    [protected] = protect([(spec, table_with_margins(cells, spec))], threshold=5, protection=protection)
    published = protected.cells[protected.cells[SUPPRESSION] == ""]
    assert not published["Units"].between(1, 4).any()
    assert (protected.cells.loc[protected.cells["Units"] == 0, SUPPRESSION] == "").all()
    grand_total = protected.cells.iloc[-1]
    assert grand_total[SUPPRESSION] == ("primary" if 1 <= grand_total["Units"] <= 4 else "")
    report = audit(protected, protection)
    assert not report["recoverable"].any(), report[report["recoverable"]]
