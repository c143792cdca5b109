import datetime as dt

import pandas as pd

from carestats.dictionary import load_dictionary
from tasks.shared.disclosure import apply_disclosure


def test_childminder_homes_childrens_care_homes_and_managers_are_not_published():
    dictionary = load_dictionary()
    columns = dictionary.datastore_columns(dt.date(2025, 8, 31))
    frame = pd.DataFrame(
        {
            "CSNumber": ["CS1", "CS2", "CS3"],
            "CareService": ["Child Minding", "Care Home Service", "Care Home Service"],
            "Subtype": [None, "Children & Young People", "Older People"],
            "Address_line_1": ["1 Home Road", "2 Safe House", "3 Main Street"],
            "Service_Postcode": ["EH1 1AA", "G1 1AA", "AB1 1AA"],
            "Service_Phone_Number": ["0131 000", "0141 000", "01224 000"],
            "Eforms_email_address": ["jane@example.org", "home@example.org", "oak@example.org"],
            "ServiceProvider": ["Jane Doe", "Council", "Oak Ltd"],
            "Service_town": ["Leith", "Govan", "Aberdeen"],
            "Manager_Name": ["Jane Doe", "A Person", "B Person"],
        }
    ).astype("string")
    published, withheld = apply_disclosure(frame, columns, dictionary)
    assert published["Address_line_1"].fillna("").tolist() == ["", "", "3 Main Street"]
    assert published["Service_Postcode"].fillna("").tolist() == ["", "", "AB1 1AA"]
    assert published["Service_Phone_Number"].fillna("").tolist() == ["", "0141 000", "01224 000"]
    assert published["Eforms_email_address"].fillna("").tolist() == [
        "",
        "home@example.org",
        "oak@example.org",
    ]
    assert published["ServiceProvider"].fillna("").tolist() == ["", "Council", "Oak Ltd"]
    assert published["Manager_Name"].isna().all()
    assert published["Service_town"].tolist() == ["Leith", "Govan", "Aberdeen"]  # the town is kept
    assert (
        withheld["Manager_Name"] == 3 and withheld["Address_line_1"] == 2 and withheld["ServiceProvider"] == 1
    )
    assert frame.loc[0, "Address_line_1"] == "1 Home Road"  # the input is not changed
