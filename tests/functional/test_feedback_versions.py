"""A programme's competency framework and form templates: the defaults become version 1 once,
a saved change is a new version, and what was made from an older version keeps pointing at it."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from lti_app import db
from lti_app.feedback import blocks, versions
from lti_app.feedback.defaults import DEFAULT_TEMPLATES
from lti_app.feedback.models import CompetencyFramework, FeedbackTemplate, FilledBy, FormKind
from tests.signing import course_programme, three_parties


def test_defaults_become_version_one_once_and_a_save_adds_a_version(app: Flask, lms) -> None:
    parties = three_parties(app, lms)
    with app.app_context():
        s = db.session()
        programme = course_programme(s, parties.course)
        first = versions.template_for(s, programme, FormKind.LESSON_OBSERVATION)
        again = versions.template_for(s, programme, FormKind.LESSON_OBSERVATION)
        assert first.id == again.id and first.version == 1
        framework = first.framework
        assert framework.version == 1
        assert versions.framework_for(s, programme).id == framework.id
        s.commit()

        keys = [c.key for c in blocks.competencies(framework.competencies, "nl")]
        assert keys[:10] == [f"fg{i}" for i in range(1, 11)]
        assert "att_relation" in keys
        assert blocks.competencies(framework.competencies, "en")[0].title == (
            "The teacher as guide of learning and development"
        )

        changed = [dict(c) for c in framework.competencies]
        changed[0]["title"] = {"nl": "Begeleider", "en": "Guide"}
        second = versions.save_framework(s, programme, changed, actor="person:1")
        s.commit()
        assert second.version == 2
        assert versions.framework_for(s, programme).id == second.id
        # The template made before still names the framework it was made with.
        assert s.get(FeedbackTemplate, first.id).framework_id == framework.id
        newer = versions.save_template(
            s,
            programme,
            FormKind.LESSON_OBSERVATION,
            title={"nl": "Observatie", "en": "Observation"},
            scale=first.scale,
            blocks=first.blocks[:3],
            filled_by=FilledBy.MENTOR,
            actor="person:1",
        )
        s.commit()
        assert (newer.version, newer.framework_id) == (2, second.id)
        assert versions.template_for(s, programme, FormKind.LESSON_OBSERVATION).id == newer.id
        count = s.scalar(select(func.count()).select_from(CompetencyFramework))
        assert count == 2


def test_every_default_template_reads_in_both_languages_and_names_known_competencies(
    app: Flask, lms
) -> None:
    parties = three_parties(app, lms)
    with app.app_context():
        s = db.session()
        programme = course_programme(s, parties.course)
        known = {
            c.key
            for c in blocks.competencies(versions.framework_for(s, programme).competencies, "nl")
        }
        for kind in DEFAULT_TEMPLATES:
            template = versions.template_for(s, programme, kind)
            for language in ("nl", "en"):
                read = blocks.blocks(template.blocks, language)
                assert read and all(b.label for b in read), (kind, language)
                assert {b.type for b in read} <= set(blocks.BLOCK_TYPES)
                for b in read:
                    if b.type == "scale":
                        assert b.competency in known, (kind, b.key)
                keys = [b.key for b in read]
                assert len(keys) == len(set(keys)), kind
            levels = blocks.levels(template.scale, "en")
            assert [level.value for level in levels] == [4, 3, 2, 1]
        s.commit()
