import datetime as dt

import pytest

from carestats.dictionary import financial_years, load_dictionary


@pytest.mark.parametrize(
    ("as_at", "expected"),
    [
        (dt.date(2025, 8, 31), ["2324", "2425", "2526"]),
        (dt.date(2025, 3, 31), ["2223", "2324", "2425"]),
        (dt.date(2025, 4, 30), ["2324", "2425", "2526"]),
        (dt.date(2000, 1, 31), ["9798", "9899", "9900"]),
        (dt.date(2099, 12, 31), ["9798", "9899", "9900"]),
    ],
)
def test_financial_years_roll_over_in_april(as_at, expected):
    assert financial_years(as_at) == expected


def test_published_columns_expand_financial_years_in_dictionary_order():
    names = load_dictionary().datastore_column_names(dt.date(2025, 8, 31))
    assert names[:3] == ["CSNumber", "CareService", "Subtype"]
    tail = names[names.index("Last_inspection_Date") + 1 :]
    assert tail == [
        "Complaints_upheld_2324",
        "Complaints_upheld_2425",
        "Complaints_upheld_2526",
        "Enforcements_issued_2324",
        "Enforcements_issued_2425",
        "Enforcements_issued_2526",
        "any_requirements_2324",
        "any_requirements_2425",
        "any_requirements_2526",
    ]
    assert len(names) == len(set(names)) == 55


def test_internal_register_fields_are_never_published():
    dictionary = load_dictionary()
    published = set(dictionary.datastore_column_names(dt.date(2025, 8, 31)))
    internal = {c for c, spec in dictionary.extract_table("services").columns.items() if spec.get("internal")}
    assert internal == {
        "Manager_Name",
        "Date_Registered",
        "Date_Cancelled",
        "Contact_Name",
        "Contact_Email",
        "Contact_Phone",
    }
    # Manager_Name keeps its published column but is withheld there.
    assert published & internal == {"Manager_Name"}
    assert next(c for c in dictionary.datastore_columns() if c.name == "Manager_Name").withheld


def test_financial_year_names_are_recognised_with_their_long_form():
    column = load_dictionary().column_for_name("Complaints_upheld_2425")
    assert column.template == "Complaints_upheld_{fy}"
    assert "2024-25" in column.definition
    assert load_dictionary().column_for_name("Complaints_upheld_2426") is None
    assert load_dictionary().column_for_name("KQ_Setting").allowed == (1, 2, 3, 4, 5, 6)


def test_graded_key_questions_follow_service_kind():
    dictionary = load_dictionary()
    assert "KQ_Support_Wellbeing" not in dictionary.graded_key_questions("Child Minding")
    assert "KQ_Care_Play_and_Learning" in dictionary.graded_key_questions("Day Care of Children")
    assert "KQ_Setting" not in dictionary.graded_key_questions("Nurse Agency")
    assert "KQ_Setting" not in dictionary.graded_key_questions("Support Service", "Care at Home")
    assert "KQ_Setting" in dictionary.graded_key_questions("Support Service", "Other than Care at home")
    assert dictionary.client_group("Care Home Service", "Children & Young People") == "Children"
    assert len(dictionary.council_areas) == 33 and len(dictionary.health_boards) == 14
