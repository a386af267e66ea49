"""How close an expert's skills and words come to a skill a request asks for: a grade from
0 to 1, never a bare yes or no. Pure functions, no database, no engine.

- 1: the expert holds the same concept: the same vocabulary skill, or a skill written
  exactly like one of the wanted skill's labels (any language) or synonyms, case, accents
  and Arabic spelling variants folded.
- up to PARTIAL: the expert's skill, job title or a sentence of their summary says it in
  other words: the share of the wanted label's words found in the text after stemming (in
  English, Portuguese, French or Arabic), common words of many trades ("training",
  "management") counting for less, and, for skills someone typed as free tags, words within
  a typo or two.
- LINKED: the expert holds a skill the vocabulary links to the wanted one: narrower (a
  specialism of it), broader (the field it belongs to) or related.
- 0: nothing shared.

A text that shares only one generic word with the wanted skill stays far below the skill
itself: the share is raised to a power above 1, so half the words found is much less than
half a match."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, wraps
from typing import Any, TypeVar

import snowballstemmer

from search_index.text import STOPWORDS, fold, typo_budget, within_typos, words

# A skill said in other words is never quite the skill itself.
PARTIAL = 0.85
# A skill of the expert's that the vocabulary links to the wanted one, by how it stands to
# it: a specialism of the wanted skill says most, the field it belongs to less.
LINKED = {"narrower": 0.7, "broader": 0.5, "related": 0.4}
# Half of a label's weight found gives 0.5 ** 1.5 = 0.35 of PARTIAL.
SHARPNESS = 1.5
# Words that many trades share: found alone, they say little about which trade.
GENERIC_WEIGHT = 0.3
# A job title needs this much weight to be said whole: one word that names a trade, or two
# common ones together ("Project manager"); "Management" alone is at most half said.
TITLE_WEIGHT = 2 * GENERIC_WEIGHT
# boilerplate(): requests added to a mission's count that say no word.
BOILERPLATE_DOUBT = 2
GENERIC = frozenset(fold(word) for word in """
training train trainer management manager managing development developing support services
service planning plan design systems system public assessment programme program project
projects officer specialist expert consultant advisor adviser work worker general skills
formacao formação gestao gestão desenvolvimento apoio servicos serviços planeamento
planejamento sistema sistemas projecto projeto técnico tecnico especialista
formation gestion développement developpement appui soutien services planification
système systeme projet expert conseiller
تدريب إدارة ادارة تطوير دعم خدمات تخطيط نظام مشروع خبير
""".split())
LATIN_STEMMERS = tuple(snowballstemmer.stemmer(language)
                       for language in ("english", "portuguese", "french"))
# Words only one of those languages uses (same order). A text that shows the words of one
# language only is stemmed in that language alone: stemmed in all three, the English
# "Saudi" met the Portuguese "saúde" (both "saud") and a sentence saying where someone
# lives passed for public health.
LANGUAGE_WORDS = tuple(frozenset(fold(word) for word in group.split()) for group in (
    "the and of with for in is on at from by into",
    "o os um uma em no na do da dos das para com ao aos pelo pela",
    "le les un une et du des pour avec dans sur au aux par"))
ARABIC_STEMMER = snowballstemmer.stemmer("arabic")
# A short stem is where unrelated words meet: the French "traite" (trafficking) and
# "traitement" (treatment) both stem to "trait". Two Latin words that share a stem shorter
# than SHORT_STEM letters count as the same word only when their lengths differ by at
# most SHORT_STEM_GAP (a plural, a feminine: "traite", "traites"; a trade and its work:
# "manager", "management", as "officer" and "office" already did). Arabic is left out:
# its stemmer strips the article and prepositions written onto a word.
SHORT_STEM = 6
SHORT_STEM_GAP = 3
# How many texts a concept remembers its similarity to.
MEMORY = 20_000
# The similarities of the texts compared, remembered across matches per wanted skill as
# written (labels, typed or not): a request is matched again and again (pages, filters,
# shortlisting) and its skills meet the same labels and job titles in every pool. At most
# SEEN_TEXTS in all, forgotten together when full (each about 150 bytes with its text:
# some 8 MB, kept small: a web process's budget is 250 MB, see the word caches' bounds
# below), beyond those of the skills of the match at hand (MEMORY each).
SEEN_TEXTS = 50_000
# The word caches' bounds below, by what one match reads: a pool of 200 experts, each with
# a few job titles, studies and summary sentences, and the mission's 300 latest requests,
# some 2,000 texts with unique rosters, and a few dozen wanted labels. A text's words take
# about 2.6 KB (its stems in three languages, its words, their lengths; measured on the
# demo's bilingual achievements), a word's stems 0.5 KB, a label's words 2 KB: at 65,536
# texts, 65,536 words and 16,384 labels the caches could reach ~230 MB of a web process's
# 250 MB budget once enough different requests were matched. These bounds keep a few
# matches' worth, ~40 MB at most.
TEXTS_KEPT = 8_192
WORDS_KEPT = 16_384
LABELS_KEPT = 4_096
_seen: dict[tuple[tuple[str, ...], bool], dict[str, float]] = {}
_seen_texts = 0
SENTENCE = re.compile(r"[.;:!?\n؛؟]+")
# A headline's parts: "Hydrologist | groundwater and flood modelling · GIS" names a trade,
# then what of it the expert does. Not a comma, which a title may hold ("Engineer, water").
HEADLINE_PART = re.compile(r"\s*(?:[|·•;؛]|\s[-–—/]\s)\s*")
Result = TypeVar("Result")


def remembered(size: int) -> Callable[[Callable[..., Result]], Callable[..., Result]]:
    """A word cache that lives as long as the process, unlike functools.lru_cache kept out
    of the garbage collector's way: a plain dict, emptied when full, whose entries hold
    only strings, numbers and tuples of them. The collector stops tracking such tuples
    (and a dict of them), where each lru_cache entry is a list of its own: tens of
    thousands of them were scanned by every full collection during a match (most of its
    p95)."""
    def decorate(compute: Callable[..., Result]) -> Callable[..., Result]:
        memory: dict[Any, Result] = {}

        @wraps(compute)
        def cached(*args: Any) -> Result:
            key = args if len(args) > 1 else args[0]
            found = memory.get(key)
            if found is None:
                if len(memory) >= size:
                    memory.clear()
                found = memory[key] = compute(*args)
            return found

        cached.cache_clear = memory.clear  # type: ignore[attr-defined]
        return cached
    return decorate


@dataclass(frozen=True)
class Concept:
    """A skill as similarity sees it: its id, every way it is written (names in every
    language, synonyms), and whether a person typed it (a free tag: typos forgiven)."""

    id: str
    labels: tuple[str, ...]
    typed: bool = False
    # the vocabulary's links: (another skill's id, "narrower", "broader" or "related": how
    # that skill stands to this one, its name to show as the evidence)
    linked: tuple[tuple[str, str, str], ...] = ()
    # text -> similarity, filled as texts are compared: a match compares the same skill
    # labels and titles across hundreds of experts; shared by the concepts written the
    # same way (see SEEN_TEXTS)
    seen: dict[str, float] = field(default_factory=dict, compare=False, hash=False,
                                   repr=False)
    # the expert's skill id -> its best label for this concept (strength, label)
    held: dict[str, tuple[float, str]] = field(default_factory=dict, compare=False,
                                               hash=False, repr=False)
    # its labels folded, and every stem of every label (a text sharing none is 0 at
    # once): kept on the concept, looked up for every text compared
    folded: frozenset[str] = field(init=False, compare=False, hash=False, repr=False)
    label_stems: frozenset[str] = field(init=False, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "seen", _seen.setdefault((self.labels, self.typed),
                                                          self.seen))
        object.__setattr__(self, "folded", frozenset(" ".join(words(label))
                                                     for label in self.labels))
        object.__setattr__(self, "label_stems", frozenset(
            s for label in self.labels for _w, found, _short, _weight in _label_words(label)
            for s in found))


@dataclass(frozen=True, slots=True)
class Evidence:
    """What of the expert's matched a wanted skill, and how strongly."""

    strength: float        # 0..1
    source: str            # "skill", "headline", "experience" (job titles, studies) or
    #                        "summary"
    text: str              # the expert's skill label or sentence; "" for the same skill id


# The expert holds the wanted skill itself: so do most of a match's pool (the engine found
# them by it), and a frozen dataclass costs more to make than to share.
SAME_SKILL = Evidence(1.0, "skill", "")


def stems(word: str, language: int | None = None) -> frozenset[str]:
    """A folded word's stems, one per language it may be in, or in `language` alone (an
    index of LATIN_STEMMERS), tagged so two languages' stemmers never meet by chance."""
    if any("\u0600" <= c <= "\u06ff" for c in word):
        return frozenset({"ar:" + ARABIC_STEMMER.stemWord(word)})
    if language is not None:
        return frozenset({f"{language}:{LATIN_STEMMERS[language].stemWord(word)}"})
    return frozenset(f"{i}:{stemmer.stemWord(word)}" for i, stemmer in enumerate(LATIN_STEMMERS))


def text_language(folded_words: Sequence[str]) -> int | None:
    """The one Latin language whose own little words the text uses, else None."""
    present = {i for i, own in enumerate(LANGUAGE_WORDS) if not own.isdisjoint(folded_words)}
    return present.pop() if len(present) == 1 else None


@lru_cache(maxsize=1)
def _generic_stems() -> frozenset[str]:
    return frozenset(s for word in GENERIC for s in stems(word))


# A word of a wanted label: folded, its stems, those of them short enough to need the
# lengths checked, its weight.
LabelWord = tuple[str, frozenset[str], frozenset[str], float]


@remembered(LABELS_KEPT)
def _label_words(label: str) -> tuple[LabelWord, ...]:
    """The words of a wanted label that carry meaning."""
    return tuple((w, found, frozenset(s for s in found if _short(s)),
                  GENERIC_WEIGHT if found & _generic_stems() else 1.0)
                 for w in words(label, drop_stopwords=True) for found in (stems(w),))


def _short(stem: str) -> bool:
    return not stem.startswith("ar:") and len(stem) - stem.index(":") - 1 < SHORT_STEM


@remembered(WORDS_KEPT)
def _word_stems(word: str, language: int | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A word's stems and, of them, the short ones (tuples: see remembered)."""
    found = stems(word, language)
    return tuple(found), tuple(s for s in found if _short(s))


@remembered(TEXTS_KEPT)
def _text_words(text: str) -> tuple[tuple[str, ...], dict[str, tuple[int, ...]],
                                    tuple[str, ...], str]:
    """A text's stems (all languages together, each once), the lengths of the words
    behind each of its short stems, its folded words that carry meaning, and the whole
    text folded (to compare with a label). Tuples, not sets: see remembered."""
    every = words(text)
    found = tuple(w for w in every if w not in STOPWORDS)
    language = text_language(every)
    pairs = [_word_stems(w, language) for w in found]
    lengths: dict[str, list[int]] = {}
    for w, (_all, short) in zip(found, pairs, strict=True):
        for stem in short:
            lengths.setdefault(stem, []).append(len(w))
    return tuple(frozenset().union(*(all_ for all_, _short in pairs))), \
        {stem: tuple(sizes) for stem, sizes in lengths.items()}, found, " ".join(every)


def _said(word: str, word_stems: frozenset[str], short_stems: frozenset[str],
          text_stems: frozenset[str], lengths: dict[str, tuple[int, ...]]) -> frozenset[str]:
    """The stems through which a text has a label's word in some form (none: it does not):
    a shared stem, a short one only between words of nearly the same length."""
    shared = word_stems & text_stems
    if shared and (not shared <= short_stems or any(
            abs(len(word) - length) <= SHORT_STEM_GAP
            for stem in shared for length in lengths[stem])):
        return shared
    return frozenset()


def _fit(wanted: tuple[LabelWord, ...], text_stems: frozenset[str],
         lengths: dict[str, tuple[int, ...]], text_words: tuple[str, ...], typed: bool) -> float:
    """The share of the label's weight found in the text: a word counts when the text
    has it in any form (a shared stem; a short one only between words of nearly the same
    length), or, for a typed skill, within its typo budget."""
    if not wanted:
        return 0.0
    found = total = 0.0
    for word, word_stems, short_stems, weight in wanted:
        total += weight
        if _said(word, word_stems, short_stems, text_stems, lengths):
            found += weight
        elif typed and typo_budget(word) and any(
                within_typos(other, word, typo_budget(word), prefix=False)
                for other in text_words):
            found += weight
    return (found / total) ** SHARPNESS


def text_similarity(wanted: Concept, text: str) -> float:
    """A wanted skill against one text of the expert's (a skill label, a job title, a
    sentence): 1 when the text is one of the skill's labels, else up to PARTIAL."""
    found = wanted.seen.get(text)
    if found is None:
        text_stems, lengths, text_words, folded = _text_words(text)
        if folded in wanted.folded:
            found = 1.0
        elif not wanted.typed and wanted.label_stems.isdisjoint(text_stems):
            found = 0.0
        else:
            as_set = frozenset(text_stems)
            found = PARTIAL * max((_fit(_label_words(label), as_set, lengths,
                                        text_words, wanted.typed) for label in wanted.labels),
                                  default=0.0)
        _remember(wanted.seen, text, found)
    return found


def _remember(seen: dict[str, float], text: str, similarity: float) -> None:
    global _seen_texts
    if _seen_texts >= SEEN_TEXTS:
        _seen.clear()  # the concepts of the match at hand keep theirs
        _seen_texts = 0
    if len(seen) < MEMORY:
        seen[text] = similarity
        _seen_texts += 1


class TextWords:
    """A text that many short phrases are looked for in (a request's, where the job
    titles of its candidates are): its words stemmed once, and each phrase's share
    remembered, as a concept remembers the texts it met (a match scores hundreds of
    experts, many of them with the same titles).

    `named`: the part of the text that names what is asked for for certain (a request's
    skill labels, the vocabulary's words); `common`: stem -> how much of it is
    boilerplate, 0..1 (see boilerplate()). A word found only elsewhere in the text
    counts for what it is not boilerplate."""

    __slots__ = ("stems", "lengths", "words", "named", "common", "seen")

    def __init__(self, text: str, named: str = "",
                 common: Mapping[str, float] | None = None) -> None:
        found, self.lengths, self.words, _folded = _text_words(text)
        self.stems = frozenset(found)
        self.named = frozenset(_text_words(named)[0]) if named else frozenset()
        self.common: Mapping[str, float] = common or {}
        self.seen: dict[str, tuple[float, tuple[str, ...]]] = {}

    def said(self, phrase: str) -> tuple[float, tuple[str, ...]]:
        """How much of a short phrase (a job title) the text says, 0..1, and the phrase's
        words that count for it. Each word weighs what it tells of a trade: a word of many
        trades (GENERIC: "officer", "management") less, and a phrase needs the weight of
        TITLE_WEIGHT to be said whole, so a title of common words alone ("Management")
        never is. A word found counts for its weight, less the share of it that is
        boilerplate when the text says it only outside `named` (a request's "train 20
        staff" does not name a staff interpreter). The share is raised to SHARPNESS as
        a skill's label is."""
        found = self.seen.get(phrase)
        if found is None:
            said = total = 0.0
            counted = []
            for word, word_stems, short_stems, weight in _label_words(phrase):
                total += weight
                shared = _said(word, word_stems, short_stems, self.stems, self.lengths)
                if not shared:
                    continue
                credit = 1.0 if not shared.isdisjoint(self.named) \
                    else 1.0 - max(self.common.get(stem, 0.0) for stem in shared)
                said += weight * credit
                if credit >= 0.5:  # shown as a word the request says, not as boilerplate
                    counted.append(word)
            found = ((said / max(total, TITLE_WEIGHT)) ** SHARPNESS if said else 0.0,
                     tuple(counted))
            if len(self.seen) < MEMORY:
                self.seen[phrase] = found
        return found


@remembered(16)
def boilerplate(texts: tuple[str, ...]) -> dict[str, float]:
    """Stem -> how much of it is boilerplate in these texts (a mission's requests),
    0..1: words that more than half of the texts written in its language say ("staff",
    "train", "report"), from nothing at half of them to everything when all do; a
    trade's words, said by a few requests, are none. Two texts' worth of doubt in each
    count, so that a mission with a handful of requests does not call a word
    boilerplate because two of them say it. Remembered: every match of a mission reads
    the same requests, and their words fall out of the text cache as a large roster's
    pass through it."""
    counts: dict[str, int] = {}
    written: dict[str, int] = {}   # language tag ("0", "ar", see stems) -> texts in it
    for text in texts:
        # numbers ("20 staff") tell neither a language nor a trade
        found = [stem for stem in _text_words(text)[0] if not stem.partition(":")[2].isdigit()]
        for stem in found:
            counts[stem] = counts.get(stem, 0) + 1
        for language in {stem.partition(":")[0] for stem in found}:
            written[language] = written.get(language, 0) + 1
    common = {}
    for stem, count in counts.items():
        said = count / (written[stem.partition(":")[0]] + BOILERPLATE_DOUBT)
        if said > 0.5:
            common[stem] = 2 * said - 1
    return common


@remembered(4096)
def sentences(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in SENTENCE.split(text or "") if part.strip())


@remembered(4096)
def headline_parts(headline: str) -> tuple[str, ...]:
    """A headline's parts (HEADLINE_PART), each a title or a topic of its own."""
    return tuple(part for part in HEADLINE_PART.split(headline or "") if part)


def best_evidence(wanted: Concept, skill_ids: frozenset[str],
                  skills: Sequence[tuple[str, Sequence[str]]],
                  experience: Sequence[str] = (), summary: str = "",
                  headline: str = "") -> Evidence:
    """The strongest of the expert's texts for a wanted skill: the same skill id, else
    the best of a skill the vocabulary links to it, their skills' labels ((skill id,
    labels) pairs; an id of "" when not known), their headline's parts, job titles and
    studies, and summary sentences (in that order; the first of equals wins, so a skill
    comes before a sentence)."""
    if wanted.id in skill_ids:
        return SAME_SKILL
    best, where = 0.0, ("", "")
    for skill_id, kind, name in wanted.linked:
        if skill_id in skill_ids and LINKED[kind] > best:
            best, where = LINKED[kind], ("skill", name)
    seen, held = wanted.seen, wanted.held
    for skill_id, labels in skills:
        found = held.get(skill_id) if skill_id else None
        if found is None:
            found = (0.0, "")
            for label in labels:
                strength = seen.get(label)
                if strength is None:
                    strength = text_similarity(wanted, label)
                if strength > found[0]:
                    found = (strength, label)
            if skill_id and len(held) < MEMORY:
                held[skill_id] = found
        if found[0] > best:
            best, where = found[0], ("skill", found[1])
            if best == 1.0:
                return Evidence(best, *where)
    for source, texts in (("headline", headline_parts(headline) if headline else ()),
                          ("experience", experience),
                          ("summary", sentences(summary) if summary else ())):
        for text in texts:
            strength = seen.get(text)
            if strength is None:
                strength = text_similarity(wanted, text)
            if strength > best:
                best, where = strength, (source, text)
                if strength == 1.0:
                    return Evidence(best, *where)
    return Evidence(best, *where)
