import pytest

from daybook_crm.customer_import import RowProblem, parse_customer_csv
from daybook_shared.errors import InvalidCommand

GOOD = (
    "external_id,owner_employee_id,name,email,phone,city\n"
    "X1,E1,Acme Trading,buyer@acme.example,+86 21 5555 0100,Shanghai\n"
    'X2,E2,"Bolt, Nut & Co",,,"Suzhou"\n'
)


def test_good_rows_are_read_with_their_line_numbers():
    parsed = parse_customer_csv(GOOD)
    assert parsed.problems == []
    assert [(r.line, r.external_id, r.owner_id) for r in parsed.rows] == [
        (2, "X1", "E1"),
        (3, "X2", "E2"),
    ]
    assert parsed.rows[1].profile == {"name": "Bolt, Nut & Co", "city": "Suzhou"}


def test_bad_rows_are_reported_by_line_and_field_and_the_rest_kept():
    text = (
        "\ufeffExternal_ID,owner_employee_id,name,email\n"
        "X1,E1,Acme,buyer@acme.example\n"
        "X2,E1,,not-an-address\n"
        "\n"
        "X3,E 1,Cargo Ltd,\n"
        '"X4",E2,"A name that spans\ntwo lines",\n'
        "X1,E2,Repeat Ltd,\n"
        "X5,E2,Short row\n"
        "X6,E3,Fine Ltd,fine@ltd.example\n"
    )
    parsed = parse_customer_csv(text)
    assert [(r.line, r.external_id) for r in parsed.rows] == [(2, "X1"), (6, "X4"), (10, "X6")]
    assert parsed.problems == [
        RowProblem(3, "name", "a customer record needs a name"),
        RowProblem(3, "email", "email must be an e-mail address such as a@b.com"),
        RowProblem(
            5,
            "owner_employee_id",
            "owner_employee_id must be letters, digits, '-' or '_' (at most 64)",
        ),
        RowProblem(8, "external_id", "external_id 'X1' already appears on line 2"),
        RowProblem(9, None, "the row has 3 fields, the header 4"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("external_id,owner_employee_id,name,shoe_size\nX1,E1,A,9\n", "unknown column 'shoe_size'"),
        ("external_id,name\nX1,A\n", "required column 'owner_employee_id' is missing"),
        ("external_id,owner_employee_id,name,name\n", "column 'name' appears twice"),
        ("external_id,owner_employee_id,name\n\n", "no rows"),
    ],
)
def test_a_file_whose_header_or_body_cannot_be_read_is_refused_whole(text: str, message: str):
    with pytest.raises(InvalidCommand, match=message):
        parse_customer_csv(text)


def test_an_unreadable_row_stops_the_reading_and_is_reported():
    text = f"external_id,owner_employee_id,name\nX1,E1,Acme\nX2,E1,{'a' * 200_000}\nX3,E1,Late\n"
    parsed = parse_customer_csv(text)
    assert [r.external_id for r in parsed.rows] == ["X1"]
    [problem] = parsed.problems
    assert problem.line == 3
    assert "the rows after it were not read" in problem.problem


def test_control_characters_are_refused():
    parsed = parse_customer_csv("external_id,owner_employee_id,name\nX1,E1,Bad\x00Name\n")
    assert parsed.problems == [RowProblem(2, "name", "name contains control characters")]
