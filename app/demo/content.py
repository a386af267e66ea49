"""The demo's material, read from the TOML files under app/demo/data/: the demo accounts
(accounts.toml), reference material for experts of every mission (experts.toml), and per
mission (data/<slug>/) who its experts are (experts.toml) and its host institutions and
assignment requests (institutions.toml). Plain values; the seeders (app.demo.experts,
app.demo.institutions) decide how they are written. A mission without a folder gets no
institutions, and Sudan's names for its experts (see app.demo.experts.diaspora_for)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from app.assignment_requests.states import INSTITUTION

DATA = Path(__file__).parent / "data"


def _read(path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        return tomllib.load(f)


# --- accounts --------------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoAccount:
    local: str            # email local part: <local>@<mission>.demo
    name: str
    role: str
    partner: str | None = None  # partner agency code
    donor: str | None = None    # a donor viewer's donor: its funding projects in the mission


@dataclass(frozen=True)
class Accounts:
    password: str
    hq_email: str
    hq_name: str
    hq_second_factor_key: str
    mission: tuple[DemoAccount, ...]

    def by_local(self, local: str) -> DemoAccount:
        return next(a for a in self.mission if a.local == local)


@cache
def accounts() -> Accounts:
    raw = _read(DATA / "accounts.toml")
    return Accounts(password=raw["password"], hq_email=raw["hq"]["email"],
                    hq_name=raw["hq"]["name"],
                    hq_second_factor_key=raw["hq"]["second_factor_key"],
                    mission=tuple(DemoAccount(**a) for a in raw["mission"]))


# --- experts ---------------------------------------------------------------------------------

Pair = tuple[str, str]


@dataclass(frozen=True)
class Diaspora:
    """Who a mission's experts are: names, nationality, where they live, what they speak."""

    nationality: str
    male: list[Pair]  # (Latin, Arabic script or "")
    female: list[Pair]
    family: list[Pair]
    residence: list[tuple[str, int]]  # (country, weight)
    native: str
    others: list[tuple[str, float]]  # extra languages and the share of experts speaking them
    arabic_script_share: float  # share of names typed in Arabic script
    three_part_names: bool  # given + father's + family (Sudan) or given (+ middle) + family


@dataclass(frozen=True)
class SectorText:
    """What people of a sector studied, were called and wrote: (English, Portuguese) pairs."""

    fields: list[Pair]
    titles: list[Pair]
    home_employers: dict[str, list[str]]  # nationality -> employers back home
    employers_abroad: list[Pair]  # (employer, country)
    achievements: list[Pair]


@dataclass(frozen=True)
class ExpertMaterial:
    """Reference material shared by every mission's experts (data/experts.toml)."""

    phones: dict[str, str]
    cities: dict[str, list[str]]
    residence_languages: dict[str, str]
    universities: dict[str, list[str]]
    feminine_pt: dict[str, str]
    portuguese_countries: frozenset[str]
    international_employers: list[str]
    inactive_reasons: list[str]
    sectors: dict[str, SectorText]
    generic_sector: SectorText

    def sector(self, code: str) -> SectorText:
        return self.sectors.get(code, self.generic_sector)


def _pairs(rows: list) -> list[Pair]:
    return [tuple(row) if isinstance(row, list) else (row, "") for row in rows]


def _sector_text(raw: dict) -> SectorText:
    return SectorText(fields=_pairs(raw["fields"]), titles=_pairs(raw["titles"]),
                      home_employers=raw.get("home_employers", {}),
                      employers_abroad=_pairs(raw["employers_abroad"]),
                      achievements=_pairs(raw["achievements"]))


@cache
def expert_material() -> ExpertMaterial:
    raw = _read(DATA / "experts.toml")
    texts = raw["texts"]
    return ExpertMaterial(
        phones=raw["phones"], cities=raw["cities"],
        residence_languages=raw["residence_languages"], universities=raw["universities"],
        feminine_pt=raw["feminine_pt"],
        portuguese_countries=frozenset(texts["portuguese_countries"]),
        international_employers=texts["international_employers"],
        inactive_reasons=texts["inactive_reasons"],
        sectors={code: _sector_text(s) for code, s in raw["sectors"].items()},
        generic_sector=_sector_text(raw["generic_sector"]))


@cache
def diaspora(slug: str) -> Diaspora | None:
    """The mission's diaspora (data/<slug>/experts.toml), None without one."""
    path = DATA / slug / "experts.toml"
    if not path.is_file():
        return None
    raw = _read(path)
    return Diaspora(nationality=raw["nationality"], male=_pairs(raw["male"]),
                    female=_pairs(raw["female"]), family=_pairs(raw["family"]),
                    residence=list(raw["residence"].items()), native=raw["native"],
                    others=list(raw["others"].items()),
                    arabic_script_share=raw["arabic_script_share"],
                    three_part_names=raw["three_part_names"])


# --- host institutions and assignment requests --------------------------------------------------

@dataclass(frozen=True)
class InstitutionSeed:
    key: str
    name: str
    other_name: str
    kind: str
    sectors: tuple[str, ...]
    city: str
    address: str = ""
    website: str = ""
    status: str = "approved"
    status_reason: str = ""
    contact: tuple[str, str, str] | None = None  # (name, title, email) of an application
    focal: bool = False       # the demo focal point's institution
    since: int = 400          # days ago it was added (or applied)
    suspended: int = 0        # days ago it was suspended


@dataclass(frozen=True)
class RequestSeed:
    institution: str          # an InstitutionSeed's name
    title: str
    background: str
    objectives: str
    tasks: str
    deliverables: str
    expected_outputs: str
    sector: str
    required: tuple[str, ...]  # skill codes of the mission's vocabulary
    desired: tuple[str, ...] = ()
    languages: tuple[tuple[str, str], ...] = ()
    path: tuple[str, ...] = ()  # the actions after creation, in order (states.TRANSITIONS)
    reasons: dict[str, str] = field(default_factory=dict)  # action -> reason given
    cancelled_by: str = INSTITUTION
    created: int = 30         # days ago the draft was created
    settled: int = 2          # days ago the last step happened
    start_in: int | None = None  # earliest start, days from today (None: not given yet)
    window: int = 21          # days between earliest and latest start
    weeks: int | None = None
    finish_slack: int | None = None  # finish_by = latest start + duration + slack
    min_years: int | None = None
    education: str | None = None
    modality: str | None = None
    city: str = ""
    experts: int = 1
    priority: str = "normal"


@dataclass(frozen=True)
class MissionDemo:
    institutions: tuple[InstitutionSeed, ...]
    requests: tuple[RequestSeed, ...]

    @property
    def focal_institution(self) -> str:
        return next(s.name for s in self.institutions if s.focal)


def _institution(raw: dict) -> InstitutionSeed:
    contact = raw.pop("contact", None)
    return InstitutionSeed(**{**raw, "sectors": tuple(raw["sectors"])},
                           contact=(contact["name"], contact["title"], contact["email"])
                           if contact else None)


def _request(raw: dict, names: dict[str, str]) -> RequestSeed:
    tuples = {k: tuple(raw[k]) for k in ("required", "desired", "path") if k in raw}
    languages = tuple(tuple(pair) for pair in raw.get("languages", ()))
    return RequestSeed(**{**raw, **tuples, "languages": languages,
                          "institution": names[raw["institution"]]})


@cache
def mission_demo(slug: str) -> MissionDemo | None:
    """The mission's institutions and requests (data/<slug>/institutions.toml), or None."""
    path = DATA / slug / "institutions.toml"
    if not path.is_file():
        return None
    raw = _read(path)
    institutions = tuple(_institution(dict(i)) for i in raw["institution"])
    names = {i.key: i.name for i in institutions}
    return MissionDemo(institutions, tuple(_request(r, names) for r in raw.get("request", ())))


def missions_with_demo() -> list[str]:
    return sorted(p.parent.name for p in DATA.glob("*/institutions.toml"))


# --- trainings (data/<slug>/trainings.toml) --------------------------------------------------

@dataclass(frozen=True)
class TrainingSeed:
    key: str
    agency: str               # the partner agency's code in the mission file
    title: str
    kind: str
    area: str
    start: int                # days from today
    days: int = 1
    place: str = ""
    curriculum: str = ""
    target: str = ""
    facilitators: str = ""
    parent: str = ""          # the key of the training above (cascades)
    project: str = ""         # the funding project's code in the mission file
    counts: tuple[int, ...] = (0, 0, 0, 0)   # female, male, other, not recorded
    institutions: tuple[tuple[str, int, int, int, int], ...] = ()
    ages: tuple[tuple[str, int], ...] = ()             # age group, participants
    sessions: tuple[tuple[int, float, str], ...] = ()  # day from the start, hours, place
    mode: str = "counts"      # or "individual": the participants listed one by one
    # name, sex, age group, institution, role, consent
    participants: tuple[tuple[str, str, str, str, str, bool], ...] = ()
    path: tuple[str, ...] = ()
    reason: str = ""          # the reason of a return
    # Attendance: listed one by one, each participant's sessions (their indexes); counted,
    # how many attended each session.
    attended: tuple = ()
    # Tests: listed, each participant's [pre, post]; counted, [pre average, post average,
    # tested].
    scores: tuple = ()


@cache
def mission_trainings(slug: str) -> tuple[TrainingSeed, ...]:
    """The mission's demo trainings, parents before their cascades (none without a file)."""
    path = DATA / slug / "trainings.toml"
    if not path.is_file():
        return ()
    rows = ("institutions", "ages", "sessions", "participants")
    return tuple(TrainingSeed(**{**raw, "counts": tuple(raw.get("counts", (0, 0, 0, 0))),
                                 **{name: tuple(tuple(r) for r in raw.get(name, ()))
                                    for name in rows},
                                 "path": tuple(raw.get("path", ())),
                                 **{name: tuple(tuple(r) if isinstance(r, list) else r
                                                for r in raw.get(name, ()))
                                    for name in ("attended", "scores")}})
                 for raw in _read(path).get("training", ()))


# --- everyday records (notes, saved searches, invitation, token, sign-on, import) ------------

@dataclass(frozen=True)
class RecordsSeed:
    notes: tuple[str, ...]
    saved_searches: tuple[tuple[str, str], ...]   # (name, query string)
    invitation_email: str
    invitation_role: str
    api_token: str
    sso_name: str
    sso_issuer: str
    sso_client_id: str
    sso_domains: tuple[str, ...]
    sso_agency: str
    sso_subject: str
    import_file: str
    import_data: bytes
    duplicate_ref: str
    duplicate_email: str


@cache
def mission_records(slug: str) -> RecordsSeed | None:
    path = DATA / slug / "records.toml"
    if not path.is_file():
        return None
    raw = _read(path)
    sso, upload = raw["sso"], raw["import"]
    return RecordsSeed(
        notes=tuple(raw["notes"]),
        saved_searches=tuple((s["name"], s["query"]) for s in raw["saved_searches"]),
        invitation_email=raw["invitation"]["email"], invitation_role=raw["invitation"]["role"],
        api_token=raw["api_token"]["name"], sso_name=sso["name"], sso_issuer=sso["issuer"],
        sso_client_id=sso["client_id"], sso_domains=tuple(sso["domains"]),
        sso_agency=sso["agency"], sso_subject=sso["subject"], import_file=upload["file"],
        import_data=("\n".join(upload["rows"]) + "\n").encode(),
        duplicate_ref=raw["duplicate"]["reference"], duplicate_email=raw["duplicate"]["email"])
