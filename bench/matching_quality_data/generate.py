"""Builds the matching quality data set from the hand-written seeds (occupations.py) with a
fixed seed: experts with CV-like headlines, job titles, work history and summaries,
assignment requests written like terms of reference, and the graded relevance of every
expert to every request. Pure Python, no network, no database: the same data on every
machine (tests/test_matching_quality_data.py checks the checksum).

Dates are offsets in days from a base date the benchmark picks when it loads the set (so
that every window lies in the future): eligibility, and so every label, depends only on
the offsets.

    .venv/bin/python -m bench.matching_quality_data.generate   # prints counts and checksum
"""

from __future__ import annotations

import hashlib
import json
import random

from bench.matching_quality_data.occupations import FAMILIES, SKILLS

SEED = 16
EXPERTS_PER_OCCUPATION = 48
# The checksum of build()'s output: labels are frozen; a change to the seeds or the
# generator that moves it is a new data set, and figures before and after do not compare.
CHECKSUM = "58e285e753678ac25424843931a4a6a020d03ca8502240c70f291dc477e8742b"

LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2", "native")  # app.experts.models.LANGUAGE_LEVELS
LANGUAGES = ("en", "ar", "pt", "fr")

FIRST_NAMES = ("Amira", "Mohamed", "Fatima", "Osman", "Huda", "Khalid", "Sara", "Yousif",
               "Mariam", "Ahmed", "Nafisa", "Abdelrahman", "Samira", "Hassan", "Rania", "Tariq",
               "Ana", "João", "Maria", "Pedro", "Inês", "Carlos", "Lúcia", "Tomás", "Aline",
               "Fernando", "Grace", "Daniel", "Leila", "Omar", "Nadia", "Ibrahim")
LAST_NAMES = ("Osman", "Elamin", "Abdalla", "Mahmoud", "Ibrahim", "Hamid", "Babiker", "Idris",
              "Suleiman", "Elhassan", "Mustafa", "Yagoub", "Siddig", "Nour", "Fadul", "Taha",
              "Mucavele", "Sitoe", "Machava", "Cossa", "Nhantumbo", "Chissano", "Macuácua",
              "Tembe", "Silva", "Santos", "Pereira", "Mondlane")
CITIES = (("NL", "Utrecht"), ("GB", "London"), ("DE", "Berlin"), ("SA", "Riyadh"),
          ("AE", "Dubai"), ("QA", "Doha"), ("PT", "Lisbon"), ("FR", "Lyon"), ("US", "Boston"),
          ("SD", "Khartoum"), ("CA", "Toronto"), ("NL", "Rotterdam"))
EMPLOYERS = {
    "water_management": ("Vitens", "State Water Corporation", "Thames Water", "Deltares",
                         "Saudi Water Authority", "Águas de Portugal"),
    "counter_trafficking": ("Ministry of Justice", "District Court of The Hague", "Europol",
                            "Crown Prosecution Service", "UNODC", "Metropolitan Police"),
    "health": ("Ministry of Health", "University Medical Centre Utrecht", "NHS Trust",
               "Médecins Sans Frontières", "WHO country office", "King Faisal Hospital"),
    "education": ("Ministry of Education", "University of Khartoum", "British Council",
                  "UNICEF education section", "Open University", "Edutech BV"),
    "disability_inclusion": ("Royal Dutch Visio", "Ministry of Social Affairs",
                             "Light for the World", "Al Noor Institute for the Blind",
                             "Humanity & Inclusion", "City driving school"),
    "agriculture": ("Agricultural Research Corporation", "FAO", "Wageningen University",
                    "ICRISAT", "Ministry of Animal Resources", "AgriMachinery Ltd"),
    "corporate_governance": ("KPMG", "Supreme Audit Institution", "Capital Markets Authority",
                             "Deloitte", "Ministry of Finance", "Hilton events"),
    "project_management": ("GIZ", "Enabel", "UNDP", "Ministry of Planning",
                           "Cushman & Wakefield", "World Bank project unit"),
    "media_development": ("BBC Media Action", "Radio Dabanga", "Free Press Unlimited",
                          "Al Jazeera", "Sudan TV", "Internews"),
}
INSTITUTIONS = {
    "water_management": ("Ministry of Water Resources", "وزارة الموارد المائية",
                         "Ministério dos Recursos Hídricos"),
    "counter_trafficking": ("National Committee to Combat Human Trafficking",
                            "اللجنة الوطنية لمكافحة الاتجار بالبشر",
                            "Comissão Nacional contra o Tráfico de Pessoas"),
    "health": ("Federal Ministry of Health", "وزارة الصحة الاتحادية", "Ministério da Saúde"),
    "education": ("Ministry of General Education", "وزارة التربية والتعليم",
                  "Ministério da Educação"),
    "disability_inclusion": ("National Council for Persons with Disabilities",
                             "المجلس القومي للأشخاص ذوي الإعاقة",
                             "Conselho Nacional das Pessoas com Deficiência"),
    "agriculture": ("Ministry of Agriculture and Forestry", "وزارة الزراعة والغابات",
                    "Ministério da Agricultura"),
    "corporate_governance": ("Ministry of Finance", "وزارة المالية", "Ministério das Finanças"),
    "project_management": ("Ministry of Investment", "وزارة الاستثمار",
                           "Ministério do Investimento"),
    "media_development": ("Sudan National Broadcasting Corporation",
                          "الهيئة القومية للإذاعة والتلفزيون",
                          "Corporação Nacional de Radiodifusão"),
}
# Words too common to make a request "distractor-heavy" by sharing them.
STOPWORDS = frozenset("a an and the of in for to on with at by from as expert experts "
                      "support technical assistance staff capacity strengthen".split())


def occupations() -> dict[str, dict]:
    """Every occupation by code, with its family, sector and the codes of its related
    occupations (grade 1) and of the distractor sharing its words."""
    found = {}
    for family in FAMILIES:
        members = family["occupations"]
        by_role = {o["role"]: o["code"] for o in members}
        for occupation in members:
            related = {"target": [by_role["related"]], "related": [by_role["target"]]}
            found[occupation["code"]] = {**occupation, "family": family["code"],
                                         "sector": family["sector"],
                                         "related": related.get(occupation["role"], []),
                                         "distractor": by_role["distractor"],
                                         "target": by_role["target"]}
    return found


def skill_label(code: str, language: str) -> str:
    return SKILLS[code][LANGUAGES.index(language)]


def _levels(rng: random.Random) -> list[list[str]]:
    spoken = []
    arabic = rng.random()
    if arabic < 0.8:
        spoken.append(["ar", "native"])
    elif arabic < 0.93:
        spoken.append(["ar", rng.choice(("B2", "C1"))])
    spoken.append(["en", rng.choices(("B1", "B2", "C1", "C2", "native"), (2, 4, 5, 3, 1))[0]])
    if rng.random() < 0.18:
        spoken.append(["pt", rng.choice(("B1", "B2", "C1", "native"))])
    if rng.random() < 0.18:
        spoken.append(["fr", rng.choice(("A2", "B1", "B2", "C1"))])
    return spoken


def _expert(rng: random.Random, number: int, occupation: dict, all_occupations: dict) -> dict:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    language = rng.choices(LANGUAGES, (75, 10, 10, 5))[0]
    years = rng.choices(range(1, 31), [3 if 4 <= y <= 18 else 1 for y in range(1, 31)])[0]
    own = list(occupation["skills"])
    # Rosters are sparse: many list one skill; some a neighbouring trade's too; a
    # distractor often lists a skill of the trade it works beside.
    skills = rng.sample(own, k=min(len(own), rng.choice((1, 1, 2, 3))))
    if occupation["related"] and rng.random() < 0.2:
        neighbour = all_occupations[occupation["related"][0]]
        skills.append(rng.choice(neighbour["skills"]))
    if occupation["role"] == "distractor" and rng.random() < 0.4:
        skills.append(rng.choice(all_occupations[occupation["target"]]["skills"]))
    skills = list(dict.fromkeys(skills))
    title = rng.choice(occupation["titles"])
    topics = occupation["topics"]
    label = occupation["labels"][LANGUAGES.index(language)]
    first_skills = [skill_label(s, language) for s in skills[:2]]
    if language == "en":
        # Half of the CVs name their topics, the others only say what they did.
        if rng.random() < 0.5:
            headline = f"{title} | {topics[0]} and {topics[1]}"
            summary = (f"{occupation['labels'][0]} with {years} years of experience in "
                       f"{topics[0]} and {topics[1]}. ")
        else:
            headline = title
            summary = f"{occupation['labels'][0]} with {years} years of experience. "
        summary += " ".join(rng.sample(occupation["tasks"], 2))
        if occupation["role"] == "distractor" and rng.random() < 0.6:
            # Another trade in the same workplace: the target's words, not its job.
            target = all_occupations[occupation["target"]]
            summary += (f" Worked beside the {rng.choice(target['topics'])} teams of the "
                        f"{rng.choice(EMPLOYERS[occupation['sector']])}.")
    elif language == "ar":
        headline = f"{label} | {' و'.join(first_skills)}"
        summary = f"{label} بخبرة {years} سنة في {' و'.join(first_skills)}."
    elif language == "pt":
        headline = f"{label} | {' e '.join(first_skills)}"
        summary = f"{label} com {years} anos de experiência em {' e '.join(first_skills)}."
    else:
        headline = f"{label} | {' et '.join(first_skills)}"
        summary = f"{label} avec {years} ans d'expérience en {' et '.join(first_skills)}."
    employers = EMPLOYERS[occupation["sector"]]
    current_start = rng.randint(1, max(1, min(years, 8)))
    work = [{"title": title, "employer": rng.choice(employers),
             "country": rng.choice(CITIES)[0], "started_years_ago": current_start,
             "ended_years_ago": None, "description": rng.choice(occupation["tasks"])}]
    if years > current_start + 1:
        earlier = occupation
        if occupation["related"] and rng.random() < 0.15:  # came from the neighbouring trade
            earlier = all_occupations[occupation["related"][0]]
        work.append({"title": rng.choice(earlier["titles"]), "employer": rng.choice(employers),
                     "country": rng.choice(CITIES)[0], "started_years_ago": years,
                     "ended_years_ago": current_start,
                     "description": rng.choice(earlier["tasks"])})
    level = "5" if occupation["role"] == "distractor" and rng.random() < 0.6 \
        else rng.choice(("6", "7", "7", "8"))
    country, city = rng.choice(CITIES)
    periods = []
    for _ in range(rng.choice((1, 1, 2))):
        start = rng.randint(-60, 330)
        periods.append([start, start + rng.randint(20, 200)])
    return {
        "ref": f"MQ-E{number:04d}", "occupation": occupation["code"],
        "full_name": f"{first} {last}", "email": f"mq{number:04d}@experts.example.org",
        "text_language": language, "headline": headline, "summary": summary,
        "years": years, "languages": _levels(rng),
        "status": "submitted" if rng.random() < 0.06 else "verified",
        "consents": ["future_contact"] if rng.random() < 0.05 else ["matching"],
        "skills": [SKILLS[s][0] for s in skills], "skill_codes": skills,
        "sectors": [occupation["sector"]], "work": work,
        "education": [{"level": level, "field": occupation["field"],
                       "institution": rng.choice(("University of Khartoum", "Sudan University "
                                                  "of Science and Technology",
                                                  "Eduardo Mondlane University",
                                                  "Delft University of Technology",
                                                  "University of Leeds", "Cairo University")),
                       "year_years_ago": years + rng.randint(0, 4)}],
        "availability": sorted(periods),
        "modality": rng.choice(("on_site", "hybrid", "remote", "hybrid")),
        "residence_country": country, "residence_city": city,
    }


def _typo(rng: random.Random, text: str) -> str:
    """One or two long words misspelt: two letters swapped, or one dropped."""
    words = text.split(" ")
    long_words = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    for i in rng.sample(long_words, k=min(len(long_words), rng.choice((1, 2)))):
        word = words[i]
        at = rng.randint(1, len(word) - 3)
        words[i] = word[:at] + word[at + 1] + word[at] + word[at + 2:] if rng.random() < 0.5 \
            else word[:at] + word[at + 1:]
    return " ".join(words)


def _request(rng: random.Random, number: int, occupation: dict, language: str,
             typos: bool) -> dict:
    sector = occupation["sector"]
    institution = INSTITUTIONS[sector]
    own = list(occupation["skills"])
    required = rng.sample(own, k=min(len(own), rng.choice((1, 2, 2))))
    desired = [s for s in own if s not in required][:rng.choice((0, 1))]
    topic, other = rng.sample(occupation["topics"], 2)
    names = [skill_label(s, language) for s in required]
    label = occupation["labels"][LANGUAGES.index(language)]
    if language == "en":
        title = rng.choice((f"Expert support in {topic} for the {institution[0]}",
                            f"{occupation['labels'][0]} to strengthen {other}",
                            f"Technical assistance: {topic}"))
        objectives = (f"Strengthen the capacity of the {institution[0]} in {topic} and {other}, "
                      f"so that its staff apply {names[0].lower()} in their daily work.")
        tasks = (f"Review the current practice in {topic}; train 20 staff of the "
                 f"{institution[0]} in {' and '.join(n.lower() for n in names)}; coach them "
                 f"on {other} for the length of the assignment; write a final report with "
                 "recommendations.")
        background = ("The institution asked for a diaspora expert after a needs assessment "
                      "found gaps in " + topic + ".")
    elif language == "ar":
        title = f"{label}: دعم فني في {names[0]}"
        objectives = f"تعزيز قدرات {institution[1]} في مجال {' و'.join(names)}."
        tasks = (f"مراجعة الممارسات الحالية؛ تدريب 20 موظفاً على {names[0]}؛ "
                 "إعداد تقرير نهائي بالتوصيات.")
        background = f"طلبت المؤسسة خبيراً من المغتربين في مجال {names[0]}."
    else:
        title = f"{label}: assistência técnica em {names[0]}"
        objectives = f"Reforçar as capacidades do {institution[2]} em {' e '.join(names)}."
        tasks = (f"Rever as práticas atuais; formar 20 funcionários em {names[0]}; "
                 "elaborar um relatório final com recomendações.")
        background = f"A instituição pediu um perito da diáspora em {names[0]}."
    if typos:
        title, objectives = _typo(rng, title), _typo(rng, objectives)
    languages = {"en": rng.choice(([["en", "B2"]], [["en", "C1"]], [["ar", "C1"]], [])),
                 "ar": [["ar", "C1"]],
                 "pt": rng.choice(([["pt", "B1"]], [["en", "B2"]], []))}[language]
    earliest = rng.randint(0, 150)
    return {
        "ref": f"MQ-R{number:02d}", "occupation": occupation["code"], "language": language,
        "typos": typos, "title": title, "objectives": objectives, "tasks": tasks,
        "background": background, "sector": sector, "institution": institution[0],
        "required_skills": names, "required_codes": required,
        "desired_skills": [skill_label(s, language) for s in desired],
        "languages": languages, "min_years": rng.choice((None, 3, 5, 8, 10)),
        "modality": rng.choice(("on_site", "hybrid", "remote")), "city": "Khartoum",
        "duration_weeks": rng.randint(2, 12), "earliest": earliest,
        "latest": earliest + rng.randint(0, 45),
    }


def eligible(request: dict, expert: dict) -> bool:
    """The hard requirements (issue #16), from the data alone: verified, consenting to
    matching, every required language at its level, free on at least one day of the work
    window (earliest start to latest start plus the duration), at least the minimum
    years."""
    if expert["status"] != "verified" or "matching" not in expert["consents"]:
        return False
    spoken = dict(expert["languages"])
    for language, minimum in request["languages"]:
        if language not in spoken or LEVELS.index(spoken[language]) < LEVELS.index(minimum):
            return False
    start, end = request["earliest"], request["latest"] + 7 * request["duration_weeks"]
    if not any(a <= end and b >= start for a, b in expert["availability"]):
        return False
    return not request["min_years"] or expert["years"] >= request["min_years"]


def grade(request: dict, expert: dict, all_occupations: dict) -> int:
    """2: the requested occupation and eligible; 1: a related occupation and eligible."""
    if not eligible(request, expert):
        return 0
    if expert["occupation"] == request["occupation"]:
        return 2
    return 1 if expert["occupation"] in all_occupations[request["occupation"]]["related"] else 0


def _words(text: str) -> set[str]:
    return {w.strip(".,:;()").lower() for w in text.split()} - STOPWORDS - {""}


def distractor_heavy(request: dict, all_occupations: dict) -> bool:
    """The request's own words include a word of its distractor occupation's labels or
    job titles (another trade that uses the same noun)."""
    distractor = all_occupations[all_occupations[request["occupation"]]["distractor"]]
    theirs = set().union(*(_words(t) for t in (*distractor["labels"], *distractor["titles"])))
    return bool(_words(f"{request['title']} {request['objectives']}") & theirs)


def build() -> dict:
    rng = random.Random(SEED)
    found = occupations()
    experts = []
    for occupation in found.values():
        for _ in range(EXPERTS_PER_OCCUPATION):
            experts.append(_expert(rng, len(experts) + 1, occupation, found))
    rng.shuffle(experts)  # the registry's order says nothing of the occupation
    requested = []
    for family in FAMILIES:
        for occupation in family["occupations"]:
            if occupation["role"] != "distractor":
                requested += [occupation["code"]] * 2
    requested += [f["occupations"][0]["code"] for f in FAMILIES[:4]]
    requests = []
    for index, code in enumerate(requested):
        language = {2: "ar", 7: "ar", 4: "pt", 9: "pt"}.get(index % 10, "en")
        typos = language == "en" and index % 4 == 1
        for _attempt in range(100):  # terms that at least three experts of the trade meet
            request = _request(rng, index + 1, found[code], language, typos)
            if sum(grade(request, e, found) == 2 for e in experts) >= 3:
                break
        else:
            raise RuntimeError(f"no request for {code} in {language} finds 3 eligible experts")
        request["half"] = "tuning" if index % 2 == 0 else "held_out"
        request["distractor_heavy"] = distractor_heavy(request, found)
        requests.append(request)
    labels = {r["ref"]: {e["ref"]: g for e in experts if (g := grade(r, e, found))}
              for r in requests}
    skills = [{"code": code, "names": dict(zip(LANGUAGES, values[:4], strict=True)),
               "synonyms": list(values[4])} for code, values in SKILLS.items()]
    return {"seed": SEED, "skills": skills, "experts": experts, "requests": requests,
            "labels": labels}


def checksum(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False)
                          .encode()).hexdigest()


if __name__ == "__main__":
    data = build()
    found = occupations()
    print(f"{len(data['experts'])} experts over {len(found)} occupations "
          f"({sum(o['role'] == 'distractor' for o in found.values())} distractors), "
          f"{len(data['requests'])} requests, {len(data['skills'])} skills; "
          f"checksum {checksum(data)}")
