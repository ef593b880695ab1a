"""The before/after a voided signer reads: what differs between two canonical texts."""

from __future__ import annotations

from lti_app.agreements.text_changes import MAX_CHANGES, MAX_VALUE, text_changes

BEFORE = """PLACEMENT AGREEMENT
Parties
Student: Lotte Janssens <lotte@student.example>
School: Sint-Jozefscollege, Kerkstraat 1, 9000 Gent
Period: 1 February 2027 – 30 May 2027
Schedule (days and hours at the school):
  Monday
  Tuesday
Other arrangements:
  —
1.1 The student keeps to the school's rules.
"""


def test_changed_entries_are_paired_by_label_and_the_rest_is_left_out() -> None:
    after = (
        BEFORE.replace("30 May 2027", "13 June 2027")
        .replace("  Tuesday", "  Wednesday")
        .replace("Kerkstraat 1", "Nieuwstraat 9")
    )
    assert text_changes(BEFORE, after) == [
        {
            "label": "School",
            "before": "Sint-Jozefscollege, Kerkstraat 1, 9000 Gent",
            "after": "Sint-Jozefscollege, Nieuwstraat 9, 9000 Gent",
        },
        {
            "label": "Period",
            "before": "1 February 2027 – 30 May 2027",
            "after": "1 February 2027 – 13 June 2027",
        },
        {
            "label": "Schedule (days and hours at the school)",
            "before": "Monday / Tuesday",
            "after": "Monday / Wednesday",
        },
    ]
    assert text_changes(BEFORE, BEFORE) == []


def test_unlabelled_lines_added_or_dropped_and_long_values_cut_short() -> None:
    clause = "1.1 The student keeps to the school's rules."
    after = BEFORE.replace(clause, "1.1 The student keeps to the rules.\n1.2 New clause.")
    assert text_changes(BEFORE, after) == [
        {"label": "Text", "before": clause, "after": "1.1 The student keeps to the rules."},
        {"label": "Text", "before": "", "after": "1.2 New clause."},
    ]
    long = BEFORE.replace("  —", "  " + "x" * 1000)
    [change] = text_changes(BEFORE, long)
    assert change["label"] == "Other arrangements" and change["before"] == "—"
    assert len(change["after"]) == MAX_VALUE and change["after"].endswith("…")
    many = BEFORE + "".join(f"Extra {i}: {i}\n" for i in range(20))
    assert len(text_changes(BEFORE, many)) == MAX_CHANGES
