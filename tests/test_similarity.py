"""Skills matched by meaning (app/matching/similarity.py): the same concept under another
label, in another language or as a synonym is a full match; other words for it, a
stemmed form or a typo in a typed skill a partial one; a word shared with another trade
stays far below the right skill."""

from __future__ import annotations

from app.matching import similarity
from app.matching.similarity import (
    LINKED,
    PARTIAL,
    Concept,
    Evidence,
    TextWords,
    best_evidence,
    headline_parts,
    sentences,
    text_similarity,
)

HYDROLOGY = Concept("h", ("Hydrology", "Hidrologia", "Hydrologie", "علم المياه", "hidrogeologia"))
TEACHER_TRAINING = Concept("t", ("Teacher training", "Formação de professores",
                                 "Formation des enseignants", "تدريب المعلمين"))
WATER = Concept("w", ("Water management", "Gestão da água"))


def test_the_same_skill_id_is_a_full_match():
    assert best_evidence(HYDROLOGY, frozenset({"h"}), ()) == Evidence(1.0, "skill", "")


def test_a_synonym_is_the_same_concept():
    assert text_similarity(HYDROLOGY, "Hidrogeologia") == 1.0
    found = best_evidence(HYDROLOGY, frozenset({"s", "g"}), (
        ("s", ("Statistics", "Estatística")), ("g", ("Geology", "hidrogeologia"))))
    assert found == Evidence(1.0, "skill", "hidrogeologia")
    assert HYDROLOGY.held["g"] == (1.0, "hidrogeologia")  # remembered by skill


def test_a_label_in_another_language_is_the_same_concept():
    assert text_similarity(TEACHER_TRAINING, "FORMAÇÃO DE PROFESSORES") == 1.0
    assert text_similarity(TEACHER_TRAINING, "تدريب المعلمين") == 1.0
    assert text_similarity(HYDROLOGY, "hidrologia") == 1.0  # accents and case folded


def test_stemmed_words_match_partly():
    assert text_similarity(HYDROLOGY, "Hydrological modelling") == PARTIAL
    assert text_similarity(TEACHER_TRAINING, "Trained 300 primary teachers in Kassala") \
        == PARTIAL
    # Portuguese: another form of the same word
    assert text_similarity(HYDROLOGY, "Modelação hidrológica de bacias") == PARTIAL


def test_a_broader_text_matches_partly_and_the_grade_is_not_binary():
    found = text_similarity(Concept("wr", ("Water resources management",)),
                            "Water management")
    assert 0 < found < PARTIAL


def test_typos_are_forgiven_in_a_typed_skill_only():
    typed = Concept("free", ("Hydrolgy",), typed=True)
    assert text_similarity(typed, "Hydrology") == PARTIAL
    assert text_similarity(Concept("mission", ("Hydrolgy",)), "Hydrology") == 0.0


def test_a_word_shared_with_another_trade_scores_far_below_the_right_skill():
    right = text_similarity(TEACHER_TRAINING, "Teacher training")
    other_trade = text_similarity(TEACHER_TRAINING, "Police training on crowd control")
    assert right == 1.0
    assert other_trade < 0.25 * right
    water_trade = text_similarity(WATER, "Waste management for municipalities")
    assert water_trade < 0.25


def test_a_word_of_one_language_does_not_meet_another_language_s_stem():
    """"Saudi" and the Portuguese "saúde" stem alike in Portuguese; an English sentence is
    stemmed in English only, so where someone lives is not public health."""
    public_health = Concept("ph", ("Public health", "Saúde pública", "Santé publique"))
    assert text_similarity(public_health, "Based in Riyadh, Saudi Arabia") == 0.0
    assert text_similarity(public_health, "Especialista em saúde materna") > 0.0


def test_a_short_stem_shared_by_two_different_words_is_no_match():
    """French "traite" (trafficking) and "traitement" (treatment) both stem to "trait":
    human trafficking is not water treatment. Forms of the same word still meet."""
    water_treatment = Concept("wt", ("Water treatment", "Traitement de l'eau"))
    trafficking = Concept("ht", ("Human trafficking", "Traite des êtres humains"))
    assert text_similarity(water_treatment, "Lutte contre la traite des personnes") == 0.0
    assert text_similarity(trafficking, "Ingénieur en traitement de l'eau potable") == 0.0
    assert text_similarity(water_treatment, "Traitements de l'eau potable") == PARTIAL
    assert text_similarity(trafficking, "Enquêtes sur les traites humaines") > 0.0
    # a long stem is trusted across forms of different lengths
    assert text_similarity(HYDROLOGY, "Hydrological modelling") == PARTIAL


def test_a_skill_the_vocabulary_links_is_a_partial_match_of_its_own_strength():
    """Links of the vocabulary: holding a specialism of the wanted skill says more than
    holding the field it belongs to, or a related skill; the expert's skill is the
    evidence, and a text that says the skill itself still wins when stronger."""
    wanted = Concept("h", ("Hydrology",), linked=(
        ("flood", "narrower", "Flood forecasting"), ("water", "broader", "Water resources"),
        ("irr", "related", "Irrigation engineering")))
    skills = (("flood", ("Flood forecasting",)), ("water", ("Water resources",)),
              ("irr", ("Irrigation engineering",)))
    for held, kind, label in (("flood", "narrower", "Flood forecasting"),
                              ("water", "broader", "Water resources"),
                              ("irr", "related", "Irrigation engineering")):
        found = best_evidence(wanted, frozenset({held}), [s for s in skills if s[0] == held])
        assert found == Evidence(LINKED[kind], "skill", label)
    assert LINKED["narrower"] > LINKED["broader"] > LINKED["related"] > 0
    everything = best_evidence(wanted, frozenset({"water", "irr"}), skills[1:])
    assert everything.strength == LINKED["broader"]  # the strongest link counts
    said = best_evidence(wanted, frozenset({"irr"}), skills[2:],
                         experience=("Hydrology lecturer — University of Khartoum",))
    assert said.strength == PARTIAL > LINKED["related"] and said.source == "experience"
    assert best_evidence(wanted, frozenset({"other"}), (("other", ("Geology",)),)).strength \
        == 0.0  # a skill nobody linked


def test_nothing_shared_is_zero():
    assert text_similarity(HYDROLOGY, "Corporate governance") == 0.0
    assert text_similarity(Concept("x", ("Of the",)), "of the other") == 0.0  # common words


def test_the_strongest_evidence_wins_skills_before_work_before_summary():
    assert best_evidence(HYDROLOGY, frozenset(), (("", ("Statistics",)),),
                         ("Senior hydrologist — Ministry of Water",),
                         "I studied hydrology. Then rivers.") \
        == Evidence(PARTIAL, "experience", "Senior hydrologist — Ministry of Water")
    assert best_evidence(HYDROLOGY, frozenset(), (("", ("Statistics",)),), ("Teacher — School",),
                         "I studied hydrology. Then rivers.") \
        == Evidence(PARTIAL, "summary", "I studied hydrology")
    assert best_evidence(HYDROLOGY, frozenset(), (("m", ("Hydrological modelling",)),), (),
                         "I studied hydrology.") \
        == Evidence(PARTIAL, "skill", "Hydrological modelling")
    assert best_evidence(HYDROLOGY, frozenset(), (("", ("Statistics",)),), (), "Statistics.") \
        == Evidence(0.0, "", "")


def test_a_headline_is_one_more_place_a_skill_is_said_named_as_the_headline():
    """A headline's part says a skill as a job title would; of equal strengths the
    headline comes before the work history, and a skill held before both."""
    found = best_evidence(HYDROLOGY, frozenset(), (("", ("Statistics",)),),
                          ("Senior hydrologist — Ministry of Water",), "I studied hydrology.",
                          "Flood forecaster | hydrological modelling")
    assert found == Evidence(PARTIAL, "headline", "hydrological modelling")
    assert best_evidence(HYDROLOGY, frozenset(), (("m", ("Hydrological modelling",)),), (),
                         "", "Hydrologist") == Evidence(PARTIAL, "skill",
                                                        "Hydrological modelling")
    assert best_evidence(HYDROLOGY, frozenset(), (), (), "", "علم المياه | GIS") \
        == Evidence(1.0, "headline", "علم المياه")
    assert best_evidence(HYDROLOGY, frozenset(), (), (), "", "Court clerk") \
        == Evidence(0.0, "", "")


def test_a_headline_splits_into_a_title_and_its_topics():
    assert headline_parts("Hydrologist | groundwater and flood modelling · GIS") == (
        "Hydrologist", "groundwater and flood modelling", "GIS")
    assert headline_parts("Engineer - water supply; M&E / reporting") == (
        "Engineer", "water supply", "M&E", "reporting")
    # a title's own punctuation stays in it
    assert headline_parts("Water/sanitation engineer, Khartoum") == (
        "Water/sanitation engineer, Khartoum",)
    assert headline_parts("") == ()


def test_sentences_split_a_summary():
    assert sentences("Hydrologist. Ten years in Sudan; river basins\nmodelling") == (
        "Hydrologist", "Ten years in Sudan", "river basins", "modelling")


def test_text_words_give_the_sharpened_share_of_a_phrase_said_in_the_text():
    request = TextWords("Expert support in court interpreting for the National Committee")
    assert request.said("Court interpreter")[0] == 1.0   # "interpreting", stemmed
    assert request.said("Sworn court interpreter")[0] == (2 / 3) ** 1.5
    assert request.said("Court clerk")[0] == (1 / 2) ** 1.5
    assert request.said("Translator")[0] == 0.0
    # remembered for the next candidate with the same title
    assert request.seen["Court clerk"] == ((1 / 2) ** 1.5, ("court",))


def test_similarities_are_remembered_across_matches_within_a_bound(monkeypatch):
    # Each match makes its own concepts; one written the same way (labels, typed or not)
    # finds the similarities an earlier match computed, one typed does not.
    first = Concept("s1", ("Water engineering",))
    assert text_similarity(first, "Water supply engineer") > 0
    again = Concept("s1", ("Water engineering",), linked=(("s2", "related", "Hydrology"),))
    typed = Concept("s1", ("Water engineering",), typed=True)
    assert again.seen is first.seen and "Water supply engineer" in again.seen
    assert "Water supply engineer" not in typed.seen
    # Past the bound every remembered similarity is forgotten; the answers stay the same.
    monkeypatch.setattr(similarity, "SEEN_TEXTS", 3)
    monkeypatch.setattr(similarity, "_seen_texts", 0)
    texts = [f"Water project {n}" for n in range(10)]
    answers = [text_similarity(again, text) for text in texts]
    assert similarity._seen_texts <= 3
    assert Concept("s1", ("Water engineering",)).seen is not again.seen
    assert [text_similarity(Concept("s1", ("Water engineering",)), text)
            for text in texts] == answers
