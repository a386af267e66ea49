"""Scoring a candidate against a request: pure functions, no database, no engine.

Each criterion gives a value from 0 to 1 and the facts that explain it (its own facts
only); the score is the weighted mean of the criteria that apply (a request with no
desired skills, or an expert with no past evaluations, leaves that criterion out rather
than counting it as zero), shown as 0–100. Weights are mission settings (DEFAULT_WEIGHTS
until a mission admin changes them).

Hard requirements are not criteria: `missed()` says which ones a candidate misses and by
how much, and `near_miss()` whether that is a single one within the mission's margins
(NearMissMargins), so staff can still choose them knowingly."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial

from app.experts.models import LANGUAGE_LEVELS as LEVELS
from app.matching.similarity import Concept, Evidence, TextWords, best_evidence, headline_parts

CRITERIA = ("required_skills", "desired_skills", "occupation_fit", "sector", "languages",
            "availability", "experience", "modality_location", "evaluations")
DEFAULT_WEIGHTS: dict[str, int] = {
    "required_skills": 35, "desired_skills": 10, "occupation_fit": 60, "sector": 10,
    "languages": 15, "availability": 15, "experience": 10, "modality_location": 5,
    "evaluations": 10,
}
MAX_WEIGHT = 100
# Occupation fit: an expert whose text fits the request at most this share as well as the
# request's best candidate's gets none (see occupation_fit).
FIT_FLOOR = 0.6
# Occupation fit: the share of it that is the expert's job as they name it (job_fit), the
# rest the engine's relevance of all their text.
JOB_SHARE = 1 / 3


@dataclass(frozen=True)
class NearMissMargins:
    """How far from a hard requirement an expert may be and still be shown as a near miss
    (a mission setting)."""

    years: int = 1          # of experience below the minimum
    levels: int = 1         # of one required language below its minimum level
    days: int = 14          # between a free period and the work window

    LIMITS = {"years": 10, "levels": 3, "days": 90}

    @classmethod
    def from_settings(cls, raw: dict) -> NearMissMargins:
        values = {}
        for name, limit in cls.LIMITS.items():
            try:
                values[name] = max(0, min(limit, int(raw.get(name, getattr(cls, name)))))
            except (TypeError, ValueError, OverflowError):
                pass
        return cls(**values)

    def as_dict(self) -> dict[str, int]:
        return {"years": self.years, "levels": self.levels, "days": self.days}


@dataclass(frozen=True)
class RequestFacts:
    required_skills: tuple[Concept, ...]
    desired_skills: tuple[Concept, ...]
    sector: str | None
    languages: tuple[tuple[str, str], ...]   # (language, minimum level)
    window: tuple[date, date] | None         # earliest start .. latest start + duration
    duration_days: int
    min_years: int | None
    modality: str | None
    city: str = ""
    country: str = ""                        # the mission's country
    # what the request says the job is and needs: title, objectives, tasks and every
    # label of its skills (job_fit looks for the expert's job titles in it)
    text: str = ""
    # of that text, what names the job for certain: the labels of its skills
    named: str = ""
    # stem -> how much of it is the mission's boilerplate (similarity.boilerplate of its
    # requests): found only in the rest of the text, such a word names no job
    common: Mapping[str, float] = field(default_factory=dict, compare=False, repr=False)
    # its words, stemmed once for all the candidates
    words: TextWords = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "words", TextWords(self.text, self.named, self.common))


@dataclass(frozen=True, slots=True)  # one per expert of a match's pool: no __dict__ each
class CandidateFacts:
    skills: frozenset[str]                   # skill ids
    sectors: frozenset[str]
    languages: dict[str, str]                # language -> level
    periods: tuple[tuple[date, date], ...]   # free periods
    years: int | None
    modality: str | None
    city: str = ""
    country: str = ""
    evaluation: float | None = None          # mean of past evaluations, 0..1
    # what the expert wrote, where skills are looked for by meaning: every label of each
    # of their skills (skill id, labels), their job titles and studies, their summary,
    # their headline (their trade in one line: a job title of their own choosing)
    skill_labels: tuple[tuple[str, Sequence[str]], ...] = ()
    experience: tuple[str, ...] = ()
    summary: str = ""
    headline: str = ""
    # how well the profile's text fits the request's, 0..1 (the engine's relevance
    # normalised per request); None: not computed (the engine did not answer)
    text_fit: float | None = None


@dataclass(slots=True)
class Criterion:
    name: str
    value: float | None                      # 0..1; None: does not apply
    weight: int
    facts: dict = field(default_factory=dict)


class Score:
    """The total (0..100) and every criterion with its value, weight and facts. A match
    scores its whole pool to rank it (by the total and the required skills' value) and
    shows a part: the criteria of a score() are made when first read, from the skills'
    evidence found for the total."""

    __slots__ = ("total", "required", "_criteria", "_explained")

    def __init__(self, total: int, criteria: list[Criterion] | None = None, *,
                 required: float | None = None,
                 explained: Callable[[], list[Criterion]] | None = None) -> None:
        self.total = total
        self._criteria = criteria
        self._explained = explained
        # the required skills' value, for ranking (rank_key)
        self.required = required if criteria is None else next(
            (c.value for c in criteria if c.name == "required_skills"), None)

    @property
    def criteria(self) -> list[Criterion]:
        if self._criteria is None:
            assert self._explained is not None
            self._criteria, self._explained = self._explained(), None
        return self._criteria

    def criterion(self, name: str) -> Criterion:
        return next(c for c in self.criteria if c.name == name)


def skills_evidence(wanted: tuple[Concept, ...],
                    candidate: CandidateFacts) -> tuple[Evidence, ...]:
    """The expert's strongest evidence for each wanted skill (app/matching/similarity.py)."""
    return tuple([best_evidence(concept, candidate.skills, candidate.skill_labels,
                                candidate.experience, candidate.summary, candidate.headline)
                  for concept in wanted])


def skills_fit(wanted: tuple[Concept, ...], evidence: tuple[Evidence, ...],
               explained: bool = True) -> tuple[float | None, dict]:
    """Each wanted skill graded by its evidence (skills_evidence); the value is their mean.
    The facts only when `explained` (else none: {})."""
    if not wanted:
        return None, {"skills": []}
    total = 0.0
    for found in evidence:
        total += found.strength
    value = total / len(evidence)
    if not explained:
        return value, {}
    return value, {"skills": [{"skill": concept.id, "strength": round(found.strength, 3),
                               "source": found.source or None,
                               "evidence": found.text or None}
                              for concept, found in zip(wanted, evidence, strict=True)]}


def occupation_fit(relevance: float, best: float) -> float:
    """The engine's text relevance of an expert for a request, 0..1: 1 for the request's
    best candidate, 0 at FIT_FLOOR of the best's or less. Relative to the best, not to
    nothing: experts whose text shares only a word or two with the request (a trade using
    the same noun) still gather half the best's relevance from the words every candidate
    shares, and a plain share would leave them half the criterion."""
    if best <= 0:
        return 0.0
    return max(0.0, relevance / best - FIT_FLOOR) / (1 - FIT_FLOOR)


def job_fit(request_words: TextWords, experience: tuple[str, ...], headline: str = ""
            ) -> tuple[float, str, tuple[str, ...], str]:
    """How well the expert's own name for their job, a part of their headline, a job
    title or what they studied, is what the request asks for: the best share of it the
    request's text says (TextWords.said: words of many trades and the request's
    boilerplate count for little), that title ("" when none is), its words that count and
    where it is written ("headline" or "experience"; "" when none). Relevance over all
    their text also rewards a trade that works beside the requested one and uses its
    nouns (a property manager's "management"); the title says which trade it is, in the
    expert's own language, which the request's skill labels carry in every language. The
    headline comes first: it is the expert's own statement of their trade today, so of
    equal shares it is the one named."""
    best, named, source = 0.0, "", ""
    counted: tuple[str, ...] = ()
    # The headline's first part is the trade it states; what follows says what of it they
    # do (topics a neighbouring trade shares), which the text fit weighs with the rest.
    trade = headline_parts(headline)[:1] if headline else ()
    titles = [*(("headline", part) for part in trade),
              # documents.py: "title — employer"; the employer is not the job
              *(("experience", entry.partition(" — ")[0]) for entry in experience)]
    for where, title in titles:
        share, words = request_words.said(title)
        if share > best:
            best, named, counted, source = share, title, words, where
    return best, named, counted, source


def occupation(request: RequestFacts, candidate: CandidateFacts) -> tuple[float | None, dict]:
    """The engine's relevance (text_fit) mixed with job_fit, and the job title found with
    the words of it that count (the relevance alone for a request with no text). Left
    out, job_fit too, when the engine did not answer: every path scores it the same way
    or not at all."""
    if candidate.text_fit is None:
        return None, {"computed": False, "job_title": None, "job_title_share": None,
                      "job_title_words": None, "job_title_source": None}
    if not request.text:
        return candidate.text_fit, {"computed": True, "job_title": None,
                                    "job_title_share": None, "job_title_words": None,
                                    "job_title_source": None}
    share, title, words, source = job_fit(request.words, candidate.experience,
                                          candidate.headline)
    return ((1 - JOB_SHARE) * candidate.text_fit + JOB_SHARE * share,
            {"computed": True, "job_title": title or None, "job_title_share": round(share, 3),
             "job_title_words": list(words) if title else None,
             "job_title_source": source or None})


LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}


def _level(level: str | None) -> int:
    return LEVEL_RANK.get(level, -1) if level is not None else -1


def languages_fit(required, spoken: dict[str, str]) -> tuple[float | None, dict]:
    """Each required language: 1 at or above the minimum level, a part below it, 0 when the
    expert does not speak it."""
    if not required:
        return None, {"languages": []}
    values, detail = [], []
    for language, minimum in required:
        level = spoken.get(language)
        has, needs = _level(level), _level(minimum)
        if level is None:
            value = 0.0
        elif has >= needs:
            value = 1.0
        else:
            value = (has + 1) / (needs + 1)
        values.append(value)
        detail.append({"language": language, "minimum": minimum, "level": level,
                       "meets": value == 1.0})
    return sum(values) / len(values), {"languages": detail}


def overlap_days(periods, window: tuple[date, date]) -> int:
    start, end = window
    days = 0
    for free_from, free_to in sorted(periods):   # a day in two periods counts once
        first, last = max(start, free_from), min(end, free_to)
        if last >= first:
            days += (last - first).days + 1
            start = last + timedelta(days=1)
    return days


def availability_fit(periods, window, duration_days: int) -> tuple[float | None, dict]:
    """The share of the assignment's length the expert is free within the work window."""
    if window is None or duration_days <= 0:
        return None, {"overlap_days": None, "needed_days": None}
    days = overlap_days(periods, window)
    return min(1.0, days / duration_days), {"overlap_days": days, "needed_days": duration_days}


def experience_fit(years: int | None, minimum: int | None) -> tuple[float | None, dict]:
    if minimum is None or minimum <= 0:
        return None, {"years": years, "minimum": minimum}
    if years is None:
        return 0.0, {"years": None, "minimum": minimum}
    return min(1.0, years / minimum), {"years": years, "minimum": minimum}


# How well an expert's way of working suits the request's modality.
MODALITY_FIT = {
    ("on_site", "on_site"): 1.0, ("on_site", "hybrid"): 1.0, ("on_site", "remote"): 0.3,
    ("hybrid", "on_site"): 1.0, ("hybrid", "hybrid"): 1.0, ("hybrid", "remote"): 0.6,
    ("remote", "on_site"): 0.8, ("remote", "hybrid"): 1.0, ("remote", "remote"): 1.0,
}


def modality_location_fit(request: RequestFacts,
                          candidate: CandidateFacts) -> tuple[float | None, dict]:
    """Modality first; for work on site, living in the mission's country (or the city)
    helps a little: diaspora experts mostly live abroad, so it never weighs much."""
    if request.modality is None:
        return None, {"modality": candidate.modality, "local": None}
    modality = MODALITY_FIT.get((request.modality, candidate.modality or ""), 0.5)
    if request.modality == "remote":
        return modality, {"modality": candidate.modality, "local": None}
    same_city = bool(request.city) and candidate.city.strip().casefold() \
        == request.city.strip().casefold()
    same_country = bool(request.country) and candidate.country == request.country
    local = 1.0 if same_city else 0.8 if same_country else 0.6
    return 0.8 * modality + 0.2 * local, {"modality": candidate.modality,
                                          "local": same_city or same_country}


def score(request: RequestFacts, candidate: CandidateFacts,
          weights: dict[str, int] | None = None) -> Score:
    if weights is None or len(weights) < len(CRITERIA):  # a mission's are complete
        weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    evidence = (skills_evidence(request.required_skills, candidate),
                skills_evidence(request.desired_skills, candidate))
    found = _found(request, candidate, evidence, explained=False)
    weighted = weight_sum = 0.0
    for name, (value, _facts) in zip(CRITERIA, found, strict=True):
        weight = weights[name]
        if value is not None and weight > 0:
            weighted += value * weight
            weight_sum += weight
    return Score(round(100 * weighted / weight_sum) if weight_sum else 0, required=found[0][0],
                 explained=partial(_criteria, request, candidate, weights, evidence))


def _criteria(request: RequestFacts, candidate: CandidateFacts, weights: dict[str, int],
              evidence: tuple[tuple[Evidence, ...], tuple[Evidence, ...]]) -> list[Criterion]:
    return [Criterion(name, value, weights[name], facts)
            for name, (value, facts) in zip(CRITERIA, _found(request, candidate, evidence,
                                                              explained=True), strict=True)]


def _found(request: RequestFacts, candidate: CandidateFacts,
           evidence: tuple[tuple[Evidence, ...], tuple[Evidence, ...]], explained: bool
           ) -> tuple[tuple[float | None, dict], ...]:
    """Every criterion's value and facts, in CRITERIA's order: the total and the criteria
    shown are made of the same. The skills' facts only when `explained` (the others are
    made with their value)."""
    return (
        skills_fit(request.required_skills, evidence[0], explained),
        skills_fit(request.desired_skills, evidence[1], explained),
        occupation(request, candidate),
        ((1.0 if request.sector in candidate.sectors else 0.0), {"sector": request.sector})
        if request.sector else (None, {"sector": None}),
        languages_fit(request.languages, candidate.languages),
        availability_fit(candidate.periods, request.window, request.duration_days),
        experience_fit(candidate.years, request.min_years),
        modality_location_fit(request, candidate),
        (None if candidate.evaluation is None else max(0.0, min(1.0, candidate.evaluation)),
         {"evaluation": candidate.evaluation}),
    )


def rank_key(result_score: Score, relevance: float, number: int) -> tuple:
    """Best first: score, then required-skill coverage, then the engine's text relevance,
    then the older profile (lower number) so equal candidates keep a stable order."""
    required = result_score.required
    return (-result_score.total, -(required if required is not None else 0.0), -relevance,
            number)


def missed(request: RequestFacts, candidate: CandidateFacts,
           margins: NearMissMargins) -> list[dict]:
    """The hard requirements the candidate misses, each with its facts and whether the miss
    is within the margins ("near"). Verified status and consent are the engine's filters,
    and a confirmed assignment elsewhere is the service's: none of them is ever near."""
    misses = []
    if request.min_years and (candidate.years or 0) < request.min_years:
        short = request.min_years - (candidate.years or 0)
        misses.append({"requirement": "experience", "years": candidate.years,
                       "minimum": request.min_years,
                       "near": candidate.years is not None and short <= margins.years})
    for language, minimum in request.languages:
        level = candidate.languages.get(language)
        if _level(level) < _level(minimum):
            misses.append({"requirement": "language", "language": language, "level": level,
                           "minimum": minimum, "near": level is not None
                           and _level(minimum) - _level(level) <= margins.levels})
    if request.window and not any(start <= request.window[1] and end >= request.window[0]
                                  for start, end in candidate.periods):
        gap = min((max((request.window[0] - end).days, (start - request.window[1]).days)
                   for start, end in candidate.periods), default=None)
        misses.append({"requirement": "availability", "days_away": gap,
                       "near": gap is not None and gap <= margins.days})
    return misses


def near_miss(misses: list[dict]) -> bool:
    """Exactly one requirement missed, by no more than the margins."""
    return len(misses) == 1 and misses[0]["near"]


def duration_days(weeks: int | None) -> int:
    return int(timedelta(weeks=weeks).days) if weeks else 0


def clean_weights(raw: dict) -> dict[str, int]:
    """The mission's saved weights, every criterion present, each 0..MAX_WEIGHT."""
    weights = dict(DEFAULT_WEIGHTS)
    for name in CRITERIA:
        try:
            weights[name] = max(0, min(MAX_WEIGHT, int(raw.get(name, weights[name]))))
        except (TypeError, ValueError, OverflowError):
            pass
    return weights
