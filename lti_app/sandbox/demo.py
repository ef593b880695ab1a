"""Who and what the sandbox LMS holds: two colleges on the one installation, each with its own
registration (client id), course and people, so a newcomer sees that neither sees the other.

Hogeschool De Driehoek's link names the course's programme (a custom parameter), and the LMS
shares its roster and takes grades (AGS); Hogeschool Noord's link names none (its coach is asked
at the first launch), and its LMS shares no roster and offers no grade service, as some LMSs are
set up.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
LEARNER = LIS + "membership#Learner"
INSTRUCTOR = LIS + "membership#Instructor"
ADMINISTRATOR = LIS + "institution/person#Administrator"


@dataclass(frozen=True)
class DemoPerson:
    id: str
    given_name: str
    family_name: str
    email: str
    roles: tuple[str, ...]
    locale: str = "nl-BE"

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def role_label(self) -> str:
        from flask_babel import gettext as _

        if any("Administrator" in r for r in self.roles):
            return _("coordinator")
        if any("Instructor" in r for r in self.roles):
            return _("coach")
        return _("student")


COURSE = {"id": "demo-stage-so-2026", "title": "Stage SO 2026-2027 (demo)", "label": "STAGE-SO"}
RESOURCE_LINK = {"id": "demo-link-overview", "title": "Driehoek"}

PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson(
        "coach-an",
        "An",
        "Peeters",
        "an.peeters@hogeschool.example",
        (INSTRUCTOR,),
    ),
    DemoPerson(
        "coordinator-koen",
        "Koen",
        "Maes",
        "koen.maes@hogeschool.example",
        (INSTRUCTOR, ADMINISTRATOR),
    ),
    DemoPerson(
        "student-lotte",
        "Lotte",
        "Janssens",
        "lotte.janssens@student.example",
        (LIS + "membership#Learner",),
    ),
    DemoPerson(
        "student-mehdi",
        "Mehdi",
        "El Amrani",
        "mehdi.elamrani@student.example",
        (LIS + "membership#Learner",),
    ),
    DemoPerson(
        "student-sofie",
        "Sofie",
        "De Smet",
        "sofie.desmet@student.example",
        (LIS + "membership#Learner",),
        locale="en-GB",
    ),
    DemoPerson(
        "student-jonas",
        "Jonas",
        "Willems",
        "jonas.willems@student.example",
        (LIS + "membership#Learner",),
    ),
)


# Students of the demo course who never launch in the sandbox but are on its roster (NRPS).
_GIVEN = (
    "Emma", "Noah", "Louise", "Arthur", "Olivia", "Jules", "Mila", "Louis", "Elena", "Finn",
    "Nora", "Lucas", "Marie", "Adam", "Lina", "Victor", "Julie", "Wout", "Ella", "Lars",
    "Hanne", "Seppe", "Fien", "Ruben", "Amber", "Bram", "Zoë", "Thibault", "Yasmine", "Kobe",
)  # fmt: skip
_FAMILY = (
    "Claes", "Goossens", "Wouters", "Jacobs", "Mertens", "Dubois", "Lambert", "Vermeulen",
    "Van den Broeck", "Hermans", "Aerts", "Pauwels", "Van Damme", "Michiels", "Verhoeven",
    "Declercq", "Segers", "Bogaert", "Smets", "Vandenberghe", "Martens", "Coppens", "Bulut",
    "De Backer", "Verstraete", "Lemmens", "Van Acker", "D'Hondt", "Benali", "Vervoort",
)  # fmt: skip


def _email_part(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_text.lower() if c.isalnum())


ROSTER_STUDENTS: tuple[DemoPerson, ...] = tuple(
    DemoPerson(
        f"student-roster-{i + 1:02d}",
        given,
        family,
        f"{_email_part(given)}.{_email_part(family)}@student.example",
        (LEARNER,),
    )
    for i, (given, family) in enumerate(zip(_GIVEN, _FAMILY, strict=True))
)
# One student stopped the programme: the LMS still lists her, as inactive.
INACTIVE_IDS = frozenset({ROSTER_STUDENTS[-2].id})


@dataclass(frozen=True)
class DemoCollege:
    """One college's registration of the sandbox LMS, its course and its people."""

    key: str
    name: str  # empty: the COLLEGE_NAME setting, or a demo name
    client_id: str
    deployment_id: str
    course: dict[str, str]
    people: tuple[DemoPerson, ...]
    programme: str | None  # the course's programme as the LMS link names it
    shares_roster: bool
    offers_grades: bool = True  # its launches carry the AGS claim


# Three students of the roster also get a launch button: each shows one state of the demo course
# (see demo_states). They are on the roster anyway, so the roster stays as it was.
LAUNCHING = (*PEOPLE, *ROSTER_STUDENTS[:3])

MAIN = DemoCollege(
    key="main",
    name="",
    client_id="driehoek-sandbox",
    deployment_id="sandbox-deployment-1",
    course=COURSE,
    people=LAUNCHING,
    programme="Educatief graduaat secundair onderwijs",
    shares_roster=True,
)
NOORD = DemoCollege(
    key="noord",
    name="Hogeschool Noord (demo)",
    client_id="driehoek-sandbox-noord",
    deployment_id="sandbox-noord-deployment-1",
    course={
        "id": "demo-stage-noord-2026",
        "title": "Stage LO 2026-2027 (Noord)",
        "label": "STAGE-LO",
    },
    people=(
        DemoPerson(
            "noord-coach-ilse",
            "Ilse",
            "Vermeulen",
            "ilse.vermeulen@noord.example",
            (INSTRUCTOR, ADMINISTRATOR),
        ),
        DemoPerson(
            "noord-student-yana",
            "Yana",
            "Peeters",
            "yana.peeters@student-noord.example",
            (LEARNER,),
        ),
    ),
    programme=None,
    shares_roster=False,
    offers_grades=False,
)
COLLEGES = (MAIN, NOORD)


def person(person_id: str) -> DemoPerson | None:
    return next((p for c in COLLEGES for p in c.people if p.id == person_id), None)


def college_of(person_id: str) -> DemoCollege | None:
    return next((c for c in COLLEGES if any(p.id == person_id for p in c.people)), None)


def college_with_client(client_id: str) -> DemoCollege | None:
    return next((c for c in COLLEGES if c.client_id == client_id), None)
