"""What the JSON API answers, as typed models (the OpenAPI schema at /api/v1/schema is built
from them), and the functions that fill them. `portal match --json` prints the same
`Matches` through the same function, so the command line and the API cannot drift apart.

Consent rule: an expert is in the API only while they consent to matching (the rule of the
search index, app.search.documents.expert_documents: not withdrawn, not erased); their name
only when they also consent to sharing their profile with host institutions. Contact
details (email, phone), birth year, gender, city and free text (summary, work history)
are never in the API.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import msgspec

from app.matching.services import Matches as FoundMatches
from app.matching.services import candidate_facts


class Struct(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


# --- errors --------------------------------------------------------------------------------

class ErrorDetail(Struct):
    """One invalid parameter."""

    key: str
    source: str            # query, path, header
    message: str


class Error(Struct):
    status: int
    message: str
    details: list[ErrorDetail] | None = None


class ErrorBody(Struct):
    """Every error of the API: {"error": {"status": 404, "message": "..."}}."""

    error: Error


# --- experts -------------------------------------------------------------------------------

class Skill(Struct):
    id: uuid.UUID
    code: str
    name: str              # in the language asked for (?lang=), else English, else the code


class Language(Struct):
    language: str          # ISO 639-1
    level: str             # CEFR A1..C2, or native


class Period(Struct):
    starts_on: date
    ends_on: date


class Expert(Struct):
    """An expert's profile as integrators see it (see the consent rule above)."""

    id: uuid.UUID
    number: int
    status: str
    name: str | None       # null unless the expert consents to sharing their profile
    shares_profile: bool
    sectors: list[str]
    skills: list[Skill]
    languages: list[Language]
    country: str | None    # of residence, ISO 3166
    years_experience: int | None
    education_level: int | None  # highest ISCED level
    modality: str | None   # on_site, remote, hybrid
    min_weeks: int | None
    max_weeks: int | None
    availability: list[Period]   # free periods (available windows minus unavailable ones)


class ExpertList(Struct):
    items: list[Expert]
    total: int
    limit: int
    offset: int


# --- assignment requests -------------------------------------------------------------------

class Institution(Struct):
    id: uuid.UUID
    name: str


class RequestLanguage(Struct):
    language: str
    min_level: str


class AssignmentRequest(Struct):
    id: uuid.UUID
    number: int
    title: str
    status: str
    institution: Institution
    sector: str | None
    required_skills: list[Skill]
    desired_skills: list[Skill]
    languages: list[RequestLanguage]
    modality: str | None
    city: str
    duration_weeks: int | None
    earliest_start: date | None
    latest_start: date | None
    finish_by: date | None
    experts_wanted: int
    priority: str
    submitted_at: datetime | None
    opened_at: datetime | None


class RequestList(Struct):
    items: list[AssignmentRequest]
    total: int
    limit: int
    offset: int


# --- activities (trainings of partner agencies) ---------------------------------------------

class Agency(Struct):
    id: uuid.UUID
    name: str
    short_name: str


class FundingProject(Struct):
    code: str
    name: str
    donor: str


class BySex(Struct):
    female: int
    male: int
    other: int
    not_recorded: int
    total: int


class InstitutionCount(Struct):
    institution: str
    participants: BySex


class AgeCount(Struct):
    age_group: str
    participants: int


class Sessions(Struct):
    count: int
    hours: float


class Activity(Struct):
    """Aggregate figures only: never a participant's name or contact."""
    id: uuid.UUID
    title: str
    kind: str
    thematic_area: str
    thematic_other: str
    curriculum: str
    target_group: str
    status: str
    agency: Agency
    parent_id: uuid.UUID | None
    funding_project: FundingProject | None
    start_date: date
    end_date: date
    place: str
    sessions: Sessions
    participants_listed_one_by_one: bool
    participants: BySex
    by_institution: list[InstitutionCount]
    by_age_group: list[AgeCount]


class ActivityList(Struct):
    items: list[Activity]
    total: int
    limit: int
    offset: int


def by_sex(row) -> BySex:
    return BySex(female=row.female, male=row.male, other=row.other,
                 not_recorded=row.not_recorded, total=row.total)


def activity_out(training, agency, project, sessions: tuple[int, Any], institutions,
                 ages: list[tuple[str, int]]) -> Activity:
    count, hours = sessions
    return Activity(
        id=training.id, title=training.title, kind=training.kind,
        thematic_area=training.thematic_area, thematic_other=training.thematic_other,
        curriculum=training.curriculum, target_group=training.target_group,
        status=training.status,
        agency=Agency(id=agency.id, name=agency.name, short_name=agency.short_name),
        parent_id=training.parent_id,
        funding_project=FundingProject(code=project.code, name=project.name,
                                       donor=project.donor) if project else None,
        start_date=training.start_date, end_date=training.end_date, place=training.place,
        sessions=Sessions(count=count, hours=float(hours or 0)),
        participants_listed_one_by_one=training.participant_mode == "individual",
        participants=by_sex(training),
        by_institution=[InstitutionCount(institution=r.institution, participants=by_sex(r))
                        for r in institutions],
        by_age_group=[AgeCount(age_group=a, participants=n) for a, n in ages])


# --- matches -------------------------------------------------------------------------------

class LanguageFit(Struct):
    language: str
    minimum: str
    level: str | None      # null: the expert does not speak it
    meets: bool


class SkillFit(Struct):
    """One skill the request asks for, and what of the expert's matched it."""

    skill: str             # the request's skill, in the asked language
    strength: float        # 0..1; 1: the expert holds the same concept (any label, language
    #                        or synonym of the vocabulary); below: said in other words
    source: str | None     # skill, headline, experience (job titles, studies) or summary;
    #                        null: nothing
    # the expert's skill as written when it matched under another label, or the name of
    # their skill the vocabulary links to it (broader, narrower, related); null for the
    # same skill, for nothing, and for headlines, job titles and summaries (free text
    # stays private)
    evidence: str | None


# Each criterion of a candidate's score carries its value (0..1; null: the criterion does
# not apply to this request and is left out of the score), its weight, and its own facts.
class SkillsCriterion(Struct):
    value: float | None
    weight: int
    skills: list[SkillFit]


class OccupationFitCriterion(Struct):
    """How well the profile's headline, titles, work history and summary fit the request's
    title, objectives and tasks, against the request's best candidate (the search
    engine's text relevance, two thirds), and how much of the expert's headline, one of
    their job titles or studies the request names (a third); not computed when
    PostgreSQL answered for the engine."""

    value: float | None
    weight: int
    computed: bool
    # the share, 0..1, of the words of the expert's job title or studies that the request
    # names best (the title itself is work history, free text: not quoted); null when not
    # computed
    job_title_share: float | None
    # where that title is written: headline (a part of the expert's headline) or
    # experience (a job title or field of study); null when none is named
    job_title_source: str | None


class SectorCriterion(Struct):
    value: float | None
    weight: int
    sector: str | None     # the request's sector


class LanguagesCriterion(Struct):
    value: float | None
    weight: int
    languages: list[LanguageFit]


class AvailabilityCriterion(Struct):
    value: float | None
    weight: int
    overlap_days: int | None   # free days in the work window
    needed_days: int | None


class ExperienceCriterion(Struct):
    value: float | None
    weight: int
    years: int | None
    minimum: int | None


class ModalityLocationCriterion(Struct):
    value: float | None
    weight: int
    modality: str | None
    local: bool | None


class EvaluationsCriterion(Struct):
    value: float | None
    weight: int
    evaluation: float | None   # mean of the expert's past evaluations, 0..1


class Criteria(Struct):
    required_skills: SkillsCriterion
    desired_skills: SkillsCriterion
    occupation_fit: OccupationFitCriterion
    sector: SectorCriterion
    languages: LanguagesCriterion
    availability: AvailabilityCriterion
    experience: ExperienceCriterion
    modality_location: ModalityLocationCriterion
    evaluations: EvaluationsCriterion


CRITERION_TYPES: dict[str, type[Struct]] = {
    "required_skills": SkillsCriterion, "desired_skills": SkillsCriterion,
    "occupation_fit": OccupationFitCriterion, "sector": SectorCriterion,
    "languages": LanguagesCriterion, "availability": AvailabilityCriterion,
    "experience": ExperienceCriterion, "modality_location": ModalityLocationCriterion,
    "evaluations": EvaluationsCriterion,
}


class Explanation(Struct):
    score: int
    criteria: Criteria


class ExperienceMiss(Struct, tag_field="requirement", tag="experience"):
    years: int | None
    minimum: int


class LanguageMiss(Struct, tag_field="requirement", tag="language"):
    language: str
    level: str | None
    minimum: str


class AvailabilityMiss(Struct, tag_field="requirement", tag="availability"):
    days_away: int | None  # days between the nearest free period and the work window


class Candidate(Struct):
    rank: int
    profile_id: uuid.UUID
    number: int
    name: str | None       # null unless the expert consents to sharing their profile
    shares_profile: bool
    score: int             # 0..100
    country: str | None
    years_experience: int | None
    modality: str | None
    explanation: Explanation
    # a near miss: the one hard requirement they miss, by a small margin; [] in the ranking
    misses: list[ExperienceMiss | LanguageMiss | AvailabilityMiss]


class RequestRef(Struct):
    id: uuid.UUID
    number: int
    title: str
    status: str


class Matches(Struct):
    """The ranked candidates for a request, exactly as the staff's matching workspace ranks
    and explains them (without its filters)."""

    request: RequestRef
    locale: str
    total: int             # experts passing the hard requirements
    total_estimated: bool  # true: more than the engine's pool came back, total is estimated
    from_engine: bool      # false: the search engine was down and PostgreSQL answered
    candidates: list[Candidate]
    near_misses: list[Candidate]  # missing exactly one requirement by a small margin


# --- assignments ---------------------------------------------------------------------------

class AssignmentExpert(Struct):
    id: uuid.UUID
    number: int
    name: str | None       # null unless the expert consents to sharing their profile
    shares_profile: bool


class Milestone(Struct):
    kind: str              # milestone, deliverable
    title: str
    due_date: date | None
    status: str            # pending, done, dropped
    overdue: bool          # pending past its due date (the mission's day)
    evidence: bool         # at least one evidence file was handed in


class Outputs(Struct):
    """People trained by sex, and the other counted outputs."""

    trained_female: int
    trained_male: int
    trained_other: int
    trained_not_recorded: int
    sessions_held: int
    documents_produced: int
    institutions_supported: int


class EvaluationScores(Struct):
    """The host institution's evaluation once accepted by the mission, 1 to 5 each."""

    relevance: int
    quality: int
    timeliness: int
    knowledge_transfer: int
    would_host_again: int


class Assignment(Struct):
    """One expert on one request. The expert is named (by number, and by name with their
    consent) only while they consent to matching; otherwise null, the record staying for
    the programme's figures. No free text (reports, comments, reasons) is published."""

    id: uuid.UUID
    request: RequestRef
    institution: Institution
    sector: str | None
    expert: AssignmentExpert | None
    slot: int
    status: str            # planned, contracted, in_progress, completed, evaluated, cancelled
    modality: str          # on_site, remote, hybrid
    duty_station: str
    planned_start: date | None
    planned_end: date | None
    actual_start: date | None
    actual_end: date | None
    closed_without_evaluation: bool
    overdue_milestones: int
    milestones: list[Milestone]
    outputs: Outputs
    evaluation: EvaluationScores | None


class AssignmentList(Struct):
    items: list[Assignment]
    total: int
    limit: int
    offset: int


# --- filling them --------------------------------------------------------------------------

# --- reports -------------------------------------------------------------------------------

class ReportRow(Struct):
    label: str
    values: list[str]      # as the portal shows them: "40%", "4.0", "–" for none


class ReportTable(Struct):
    key: str
    title: str
    head: str              # what the rows are (the first column's heading)
    columns: list[str]
    kinds: list[str]       # per column: count, rate, mean or days
    rows: list[ReportRow]  # the last one is the total when the table has one
    note: str = ""


class ReportSection(Struct):
    key: str
    title: str
    tables: list[ReportTable]


class Report(Struct):
    """A report of the portal with the same figures as its page and its exports."""

    report: str
    sections: list[ReportSection]


def report_out(name: str, sections, total_label: str) -> Report:
    return Report(report=name, sections=[ReportSection(
        key=section.key, title=section.title, tables=[ReportTable(
            key=table.key, title=table.title, head=table.head,
            columns=[c.label for c in table.columns], kinds=[c.kind for c in table.columns],
            rows=[ReportRow(label=label, values=values)
                  for label, values in table.cells(total_label)], note=table.note)
            for table in section.tables]) for section in sections])


def skill_out(skill, locale: str) -> Skill:
    return Skill(id=skill.id, code=skill.code, name=skill.display_name(locale))


def shares_profile(document: dict) -> bool:
    return document.get("shares_profile") == "yes"


def expert_out(document: dict, skills: dict[str, Any], locale: str) -> Expert:
    """From the expert's search document (which applies the consent rule) and the skills
    of the mission by id."""
    shared = shares_profile(document)
    levels = candidate_facts(document).languages
    return Expert(
        id=uuid.UUID(document["id"]), number=document["number"], status=document["status"],
        name=document.get("name") or None if shared else None, shares_profile=shared,
        sectors=list(document.get("sectors") or []),
        skills=sorted((skill_out(skills[s], locale) for s in document.get("skill_ids") or []
                       if s in skills), key=lambda s: s.code),
        languages=[Language(language=lang, level=level)
                   for lang, level in sorted(levels.items())],
        country=document.get("country"), years_experience=document.get("years"),
        education_level=document.get("education"), modality=document.get("modality"),
        min_weeks=document.get("min_weeks"), max_weeks=document.get("max_weeks"),
        availability=[Period(starts_on=date.fromisoformat(a), ends_on=date.fromisoformat(b))
                      for a, b in document.get("availability") or []])


def request_out(request, institution, skills: list[tuple[Any, bool]], languages,
                locale: str) -> AssignmentRequest:
    """skills: (skill, required) pairs; languages: RequestLanguage rows."""
    ordered = sorted(skills, key=lambda pair: pair[0].code)
    return AssignmentRequest(
        id=request.id, number=request.number, title=request.title, status=request.status,
        institution=Institution(id=request.institution_id,
                                name=institution.name if institution else ""),
        sector=request.sector,
        required_skills=[skill_out(s, locale) for s, required in ordered if required],
        desired_skills=[skill_out(s, locale) for s, required in ordered if not required],
        languages=[RequestLanguage(language=lang.language, min_level=lang.min_level)
                   for lang in sorted(languages, key=lambda lang: lang.language)],
        modality=request.modality, city=request.city or "",
        duration_weeks=request.duration_weeks, earliest_start=request.earliest_start,
        latest_start=request.latest_start, finish_by=request.finish_by,
        experts_wanted=request.experts_wanted, priority=request.priority,
        submitted_at=request.submitted_at, opened_at=request.opened_at)


def assignment_out(assignment, request, institution, document: dict | None, milestones,
                   overdue: int, evaluation) -> Assignment:
    """document: the expert's search document when they are listed, else None; milestones:
    (milestone, overdue, has evidence) triples; evaluation: the accepted one or None."""
    expert = None
    if document is not None:
        shared = shares_profile(document)
        expert = AssignmentExpert(id=uuid.UUID(document["id"]), number=document["number"],
                                  name=document.get("name") or None if shared else None,
                                  shares_profile=shared)
    return Assignment(
        id=assignment.id,
        request=RequestRef(id=request.id, number=request.number, title=request.title,
                           status=request.status),
        institution=Institution(id=institution.id, name=institution.name),
        sector=request.sector, expert=expert, slot=assignment.slot, status=assignment.status,
        modality=assignment.modality, duty_station=assignment.duty_station,
        planned_start=assignment.planned_start, planned_end=assignment.planned_end,
        actual_start=assignment.actual_start, actual_end=assignment.actual_end,
        closed_without_evaluation=assignment.closed_without_evaluation,
        overdue_milestones=overdue,
        milestones=[Milestone(kind=m.kind, title=m.title, due_date=m.due_date, status=m.status,
                              overdue=late, evidence=evidence)
                    for m, late, evidence in milestones],
        outputs=Outputs(**{name: getattr(assignment, name) for name in (
            "trained_female", "trained_male", "trained_other", "trained_not_recorded",
            "sessions_held", "documents_produced", "institutions_supported")}),
        evaluation=None if evaluation is None else EvaluationScores(
            relevance=evaluation.relevance, quality=evaluation.quality,
            timeliness=evaluation.timeliness, knowledge_transfer=evaluation.knowledge_transfer,
            would_host_again=evaluation.would_host_again))


MISS_TYPES: dict[str, Any] = {
    "experience": ExperienceMiss, "language": LanguageMiss, "availability": AvailabilityMiss}


def criterion_out(name: str, facts: dict) -> Any:
    """One criterion of an explanation (app.matching.services.explain) with its own facts;
    an expert's free text (job titles, summary) is not quoted."""
    facts = dict(facts)
    facts.pop("job_title", None)
    facts.pop("job_title_words", None)
    if "skills" in facts:
        facts["skills"] = [SkillFit(**{**found, "evidence": found["evidence"]
                                       if found["source"] == "skill" else None})
                           for found in facts["skills"]]
    if "languages" in facts:
        facts["languages"] = [LanguageFit(**lang) for lang in facts["languages"]]
    return CRITERION_TYPES[name](**facts)


def _candidate_out(rank: int, candidate, skill_names: dict[str, str]) -> Candidate:
    explained = candidate.explanation(skill_names)
    shared = candidate.shares_profile
    return Candidate(
        rank=rank, profile_id=candidate.profile_id, number=candidate.number,
        name=candidate.name or None if shared else None, shares_profile=shared,
        score=candidate.score.total, country=candidate.document.get("country"),
        years_experience=candidate.document.get("years"),
        modality=candidate.document.get("modality"),
        explanation=Explanation(score=explained["score"], criteria=Criteria(**{
            name: criterion_out(name, facts)
            for name, facts in explained["criteria"].items()})),
        misses=[MISS_TYPES[miss["requirement"]](**{
            k: v for k, v in miss.items() if k not in ("requirement", "near")})
            for miss in candidate.misses])


def matches_out(request, found: FoundMatches, locale: str) -> Matches:
    """The workspace's candidates and near misses (app.matching.services.find_candidates),
    in its order, with its scores and explanations (Candidate.explanation); the text
    snippets it highlights quote the profile's free text and are left out, like the free
    text itself."""
    return Matches(request=RequestRef(id=request.id, number=request.number,
                                      title=request.title, status=request.status),
                   locale=locale, total=found.total, total_estimated=found.total_estimated,
                   from_engine=found.from_engine,
                   candidates=[_candidate_out(rank, c, found.skill_names)
                               for rank, c in enumerate(found.candidates, start=1)],
                   near_misses=[_candidate_out(rank, c, found.skill_names)
                                for rank, c in enumerate(found.near_misses, start=1)])


def to_json(value: msgspec.Struct) -> bytes:
    return msgspec.json.encode(value)


def matches_text(matches: Matches) -> list[str]:
    """`portal match` without --json: the ranked list with each candidate's main reasons."""
    request = matches.request
    lines = [f"Request #{request.number} ({request.status}): {request.title}"]
    if not matches.from_engine:
        lines.append("The search engine did not answer: candidates come from PostgreSQL "
                     "(simpler retrieval, same scoring without the occupation fit).")
    if matches.candidates:
        about = "about " if matches.total_estimated else ""
        lines.append(f"{about}{matches.total} expert(s) pass the requirements; "
                     f"{len(matches.candidates)} shown.")
    else:
        lines.append("No eligible experts: nobody meets every requirement of this request.")
    lines += _candidate_lines(matches.candidates)
    if matches.near_misses:
        lines.append("Near misses (exactly one requirement missed by a little):")
        lines += _candidate_lines(matches.near_misses)
    return lines


def _candidate_lines(candidates: list[Candidate]) -> list[str]:
    lines = []
    for c in candidates:
        name = c.name or "(name not shared)"
        lines.append(f"{c.rank:>3}. score {c.score:>3}  expert #{c.number}  {name}")
        for miss in c.misses:
            if isinstance(miss, ExperienceMiss):
                lines.append(f"       misses: {miss.years} years of experience for "
                             f"{miss.minimum} asked")
            elif isinstance(miss, LanguageMiss):
                lines.append(f"       misses: {miss.language} {miss.level}, "
                             f"{miss.minimum} asked")
            else:
                lines.append(f"       misses: free {miss.days_away} day(s) outside the work "
                             "window, not within it")
        criteria = c.explanation.criteria
        if criteria.required_skills.value is not None:
            lines.append("       required skills: " + ", ".join(
                f"{fit.skill} {round(fit.strength * 100)}%"
                for fit in criteria.required_skills.skills))
        occupation = criteria.occupation_fit
        if occupation.value is not None:
            share = occupation.job_title_share
            named = "headline" if occupation.job_title_source == "headline" \
                else "job title or studies"
            lines.append(f"       occupation fit: {round(occupation.value * 100)}%" + (
                f" ({named} named in the request: {round(share * 100)}%)" if share else ""))
        if criteria.languages.languages:
            lines.append("       languages: " + ", ".join(
                f"{fit.language} {fit.level or 'not spoken'} (at least {fit.minimum})"
                for fit in criteria.languages.languages))
        if criteria.availability.value is not None:
            lines.append(f"       availability: free {criteria.availability.overlap_days} "
                         f"day(s) in the work window, {criteria.availability.needed_days} "
                         "needed")
    return lines
