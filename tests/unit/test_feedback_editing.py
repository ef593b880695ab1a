"""The editors' rules without the web: stable keys, fresh keys for new rows, row buttons, the
indicator shapes a framework may hold, and what a template needs before it is saved."""

from __future__ import annotations

from typing import Any

from lti_app.feedback import blocks, editing, template_editing
from lti_app.feedback.defaults import DEFAULT_SCALE, default_competencies


def _row(key: str, title: str, *, new: bool = False) -> dict[str, Any]:
    return {
        "key": key,
        "group": "fg",
        "title": {"nl": title, "en": ""},
        "indicators": {},
        "new": new,
    }


def test_a_new_competency_gets_a_key_no_version_ever_had_and_old_keys_stay() -> None:
    rows = [_row("fg1", "Begeleider"), _row("", "Nieuw", new=True), _row("", "Nog een", new=True)]
    saved, errors = editing.check_framework(rows, current={"fg1"}, used={"fg1", "c1"})
    assert errors == {}
    assert [c["key"] for c in saved] == ["fg1", "c2", "c3"]


def test_keys_taken_twice_unknown_or_malformed_are_named_on_their_field() -> None:
    rows = [
        _row("fg1", "A"),
        _row("fg9", "B"),  # not in the version being edited: a tampered row
        _row("fg1", "C", new=True),  # used before
        _row("x y", "D", new=True),
        _row("mine", "E", new=True),
        _row("mine", "F", new=True),
        _row("", "", new=True),
    ]
    saved, errors = editing.check_framework(rows, current={"fg1"}, used={"fg1"})
    assert saved == []
    assert set(errors) == {"c-1-key", "c-2-key", "c-3-key", "c-5-key", "c-6-title_nl"}


def test_row_buttons_move_add_and_remove() -> None:
    rows = ["a", "b", "c"]
    assert editing.apply_action(rows, "down:0", None) and rows == ["b", "a", "c"]
    assert editing.apply_action(rows, "up:2", None) and rows == ["b", "c", "a"]
    assert editing.apply_action(rows, "remove:1", None) and rows == ["b", "a"]
    assert editing.apply_action(rows, "add", "d") and rows == ["b", "a", "d"]
    assert not editing.apply_action(rows, "remove:7", None)
    assert not editing.apply_action(rows, "explode:0", None)


def test_indicators_per_level_are_read_and_the_old_empty_shape_still_is() -> None:
    old = {"key": "fg1", "group": "fg", "title": {"nl": "A"}, "indicators": {"nl": [], "en": []}}
    listed = {"key": "fg2", "title": {"nl": "B"}, "indicators": {"nl": ["x"], "en": ["y"]}}
    per_level = {
        "key": "fg3",
        "title": {"nl": "C"},
        "indicators": {"kwaliteit": {"nl": "sterk", "en": "strong"}, "knelpunt": {"nl": "zwak"}},
    }
    a, b, c = blocks.competencies([old, listed, per_level], "en")
    assert a.indicators == () and a.level_indicators == () and a.indicator("kwaliteit") == ""
    assert b.indicators == ("y",) and b.level_indicators == ()
    assert c.indicator("kwaliteit") == "strong" and c.indicator("knelpunt") == "zwak"
    assert editing.framework_rows([per_level])[0]["indicators"]["kwaliteit"]["en"] == "strong"
    assert editing.framework_rows([old])[0]["indicators"] == {}
    assert all(c["indicators"] == {} for c in default_competencies())


def _state(**changes: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "title": {"nl": "Lesobservatie", "en": ""},
        "filled_by": "mentor",
        "levels": [
            {"key": s["key"], "value": str(s["value"]), "label": dict(s["label"]), "new": False}
            for s in DEFAULT_SCALE
        ],
        "blocks": [
            template_editing.new_block("heading") | {"label": {"nl": "De les", "en": ""}},
            template_editing.new_block("scale")
            | {"label": {"nl": "Doelen", "en": ""}, "competency": "fg1", "required": True},
            template_editing.new_block("checklist")
            | {
                "label": {"nl": "In orde", "en": ""},
                "options": [{"key": "", "label": {"nl": "Bordschema", "en": ""}}],
            },
        ],
    }
    state.update(changes)
    return state


def _check(state: dict[str, Any]) -> tuple[dict[str, Any], editing.Errors]:
    return template_editing.check_template(
        state,
        competencies={"fg1"},
        current_blocks=set(),
        used_blocks={"b1"},
        current_levels={s["key"] for s in DEFAULT_SCALE},
    )


def test_a_template_is_saved_with_fresh_keys_and_its_levels_from_the_highest_down() -> None:
    state = _state()
    state["levels"].reverse()
    saved, errors = _check(state)
    assert errors == {}
    assert [b["key"] for b in saved["blocks"]] == ["b2", "b3", "b4"]
    assert saved["blocks"][0] == {
        "key": "b2",
        "type": "heading",
        "label": {"nl": "De les", "en": ""},
    }
    assert saved["blocks"][1]["competency"] == "fg1" and saved["blocks"][1]["required"] is True
    assert saved["blocks"][2]["options"] == [{"key": "o1", "label": {"nl": "Bordschema", "en": ""}}]
    assert [s["value"] for s in saved["scale"]] == [4, 3, 2, 1]


def test_a_template_names_what_is_wrong() -> None:
    state = _state(title={"nl": "", "en": "x"})
    state["blocks"][1]["competency"] = "nope"
    state["blocks"][2]["options"] = []
    state["levels"][1]["value"] = state["levels"][0]["value"]
    state["levels"].append(template_editing.new_level() | {"key": "not_observed"})
    saved, errors = _check(state)
    assert saved == {}
    assert set(errors) >= {"title_nl", "b-1-competency", "b-2-options", "l-1-value", "l-4-key"}
