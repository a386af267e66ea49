"""Demo host institutions and assignment requests for `portal seed-demo` (and the first
`portal run`).

Per mission about ten institutions with their real names (English and Arabic in Sudan;
the official Portuguese name and an English one in Mozambique), mostly approved, one
application waiting and one suspended; and a dozen or more assignment requests over the
programme areas, in every state of their life cycle, with terms of reference in the
mission's working language, skills from the mission's vocabulary, languages, and dates
relative to today. Each request's history is written to the audit trail (creation and
every step up to its state, by the focal point or the programme officer), so its page
shows a believable timeline. The demo focal point (focal@<mission>.demo, created by
app.demo) is linked to the mission's water institution.

Idempotent: an institution is skipped when one of that name exists in the mission;
requests are written only when the mission has none of the demo's requests yet. Missions
without demo material (a new mission file) get nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.actor import Actor
from app.accounts.models import Membership, User
from app.assignment_requests.models import AssignmentRequest, RequestLanguage, RequestSkill
from app.assignment_requests.states import INSTITUTION, NEEDS_REASON, STAFF, next_state
from app.audit.services import record
from app.experts.models import Skill
from app.institutions.models import HostInstitution
from tenants.context import TenantContext, tenant_scope

# The demo accounts app.demo creates in each mission (MISSION_ACCOUNTS).
OFFICER = ("officer", "Programme Officer")
FOCAL_POINT = ("focal", "Institution Focal Point")


@dataclass(frozen=True)
class InstitutionSeed:
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
    start_in: int | None = 60  # earliest start, days from today (None: not given yet)
    window: int = 21          # days between earliest and latest start
    weeks: int | None = 6
    finish_slack: int | None = None  # finish_by = latest start + duration + slack
    min_years: int | None = 8
    education: str | None = "7"
    modality: str | None = "on_site"
    city: str = ""
    experts: int = 1
    priority: str = "normal"


# Relative time between steps, spread over each request's span (created .. settled).
STEP_WEIGHT = {"submit": 3, "request_changes": 4, "open": 6, "reject": 5,
               "start_shortlisting": 14, "reopen": 9, "fill": 12, "close": 60, "cancel": 10}

# --- Sudan: English terms of reference --------------------------------------------------------

MOIWR = "Ministry of Irrigation and Water Resources"
KSWC = "Khartoum State Water Corporation"
FMOH = "Federal Ministry of Health"
UOFK = "University of Khartoum"
NCCHT = "National Committee for Combating Human Trafficking (NCCHT)"
SAB = "Sudanese Association for the Blind"
SUNA = "Sudan News Agency (SUNA)"
ARC = "Agricultural Research Corporation"
SAAS = "Sudan Academy for Administrative Sciences"
KASSALA_AGRI = "Kassala State Ministry of Agriculture"

SUDAN_INSTITUTIONS = (
    InstitutionSeed(MOIWR, "وزارة الري والموارد المائية", "ministry",
                    ("water_management", "agriculture"), "Port Sudan", focal=True, since=430),
    InstitutionSeed(KSWC, "هيئة مياه ولاية الخرطوم", "public_agency", ("water_management",),
                    "Khartoum", since=410),
    InstitutionSeed(FMOH, "وزارة الصحة الاتحادية", "ministry", ("health",), "Port Sudan",
                    since=405),
    InstitutionSeed(UOFK, "جامعة الخرطوم", "university", ("education", "health", "agriculture"),
                    "Khartoum", address="Al-Gamaa Avenue, Khartoum",
                    website="https://uofk.edu", since=400),
    InstitutionSeed(NCCHT, "اللجنة الوطنية لمكافحة الاتجار بالبشر", "public_agency",
                    ("counter_trafficking",), "Port Sudan", since=395),
    InstitutionSeed(SAB, "الجمعية السودانية للمكفوفين", "ngo",
                    ("disability_inclusion", "education"), "Omdurman", since=380),
    InstitutionSeed(SUNA, "وكالة السودان للأنباء (سونا)", "public_agency",
                    ("media_development",), "Port Sudan", since=375),
    InstitutionSeed(ARC, "هيئة البحوث الزراعية", "public_agency", ("agriculture",),
                    "Wad Madani", since=360),
    InstitutionSeed(SAAS, "أكاديمية السودان للعلوم الإدارية", "public_agency",
                    ("corporate_governance", "project_management"), "Khartoum", since=350),
    InstitutionSeed(KASSALA_AGRI, "وزارة الزراعة بولاية كسلا", "ministry",
                    ("agriculture", "water_management"), "Kassala", status="suspended",
                    status_reason="The ministry's focal point has left; suspended until the "
                                  "ministry names a new one.", since=340, suspended=25),
    InstitutionSeed("Ahfad University for Women", "جامعة الأحفاد للبنات", "university",
                    ("education", "health"), "Omdurman", status="pending",
                    contact=("Dr. Nafisa Abdelrahman Osman", "Director of Community Outreach",
                             "nafisa.osman@ahfad.demo"), since=4),
)

SUDAN_REQUESTS = (
    RequestSeed(
        KSWC, "Train 20 engineers of the State Water Corporation in network leak detection",
        background="Large parts of Khartoum's drinking-water network were damaged during the "
                   "conflict, and the corporation estimates that more than 40 per cent of the "
                   "water it produces is lost before it reaches consumers. Its engineers have "
                   "little experience with acoustic leak detection and district metering.",
        objectives="Build the capacity of the corporation's network engineers to locate and "
                   "prioritise leaks, and to set up district metered areas to measure "
                   "non-revenue water.",
        tasks="- Assess current leak-detection practice and equipment\n"
              "- Deliver a three-week classroom and field training for 20 engineers\n"
              "- Coach the teams during field surveys in two pilot zones\n"
              "- Help draft standard operating procedures for leak repair",
        deliverables="Inception note; training material in English and Arabic; field survey "
                     "reports for the two pilot zones; final report with recommendations",
        expected_outputs="20 engineers trained; leaks mapped in two pilot zones; a "
                         "leak-detection procedure adopted by the corporation",
        sector="water_management", required=("water_treatment", "hydrology"),
        desired=("project_management",), languages=(("en", "B2"), ("ar", "B2")),
        path=("submit", "open"), created=40, settled=12, start_in=35, window=28, weeks=6,
        finish_slack=14, min_years=10, city="Khartoum", priority="high"),
    RequestSeed(
        MOIWR, "Seasonal flood forecasting for the Blue Nile and Atbara rivers",
        background="Floods along the Blue Nile and the Atbara destroy crops and homes almost "
                   "every rainy season. The ministry's forecasting unit relies on upstream "
                   "gauge readings and wants to move to model-based seasonal and short-term "
                   "forecasts.",
        objectives="Set up a hydrological forecasting model with the ministry's data and train "
                   "the forecasting unit to run it every season.",
        tasks="- Review the available gauge, rainfall and satellite data\n"
              "- Calibrate a rainfall-runoff and routing model for the two basins\n"
              "- Train eight hydrologists to run and update the model\n"
              "- Propose a bulletin format for early warnings to states and farmers",
        deliverables="Calibrated model with documentation; training report; template of the "
                     "flood bulletin",
        expected_outputs="8 hydrologists able to issue flood forecasts; first seasonal outlook "
                         "published before the rainy season",
        sector="water_management", required=("hydrology", "irrigation_engineering"),
        desired=("project_management",), languages=(("en", "C1"),),
        path=("submit", "open", "start_shortlisting"), created=75, settled=5, start_in=40,
        window=30, weeks=8, min_years=12, education="8", modality="hybrid",
        city="Port Sudan", priority="high"),
    RequestSeed(
        MOIWR, "Rehabilitation plan for irrigation canals in the Gezira Scheme",
        background="Silting and damaged control structures have reduced the area the Gezira "
                   "Scheme can irrigate. The ministry needs a prioritised plan to rehabilitate "
                   "minor canals with the resources available.",
        objectives="Produce a costed, prioritised rehabilitation plan for minor canals and "
                   "train ministry engineers in canal condition surveys.",
        tasks="- Survey a sample of minor canals with ministry engineers\n"
              "- Define condition criteria and a priority ranking\n"
              "- Estimate rehabilitation costs\n"
              "- Present the plan to the ministry and the scheme's management",
        deliverables="Survey method; rehabilitation plan with cost estimates; presentation",
        expected_outputs="A prioritised rehabilitation plan; ministry engineers trained in "
                         "canal condition surveys",
        sector="water_management", required=("irrigation_engineering", "project_management"),
        desired=("hydrology",), languages=(("en", "B2"), ("ar", "B1")),
        path=("submit", "request_changes"),
        reasons={"request_changes": "Please say how many engineers will be trained and "
                                    "whether the expert will be based in Wad Madani or Port "
                                    "Sudan. Four weeks also seems short for the field work "
                                    "described."},
        created=20, settled=3, start_in=70, window=30, weeks=4, min_years=10,
        city="Wad Madani"),
    RequestSeed(
        MOIWR, "Laboratory procedures for drinking-water quality control",
        background="The ministry's central laboratory tests samples from treatment plants in "
                   "several states but has no written procedures, and results from different "
                   "plants cannot be compared.",
        objectives="Introduce standard sampling and testing procedures for drinking water in "
                   "line with the WHO guidelines.",
        tasks="- Review current sampling and testing practice\n"
              "- Write standard operating procedures for the main parameters\n"
              "- Train laboratory staff and plant operators\n"
              "- Set up a simple quality-control register",
        deliverables="Standard operating procedures in English and Arabic; training report; "
                     "final report",
        expected_outputs="12 laboratory technicians trained; procedures in use in the central "
                         "laboratory",
        sector="water_management", required=("water_treatment", "public_health"),
        languages=(("en", "B2"), ("ar", "B2")),
        path=("submit", "open", "start_shortlisting", "fill", "close"),
        reasons={"close": "Final report received and accepted by the ministry."},
        created=250, settled=45, start_in=-160, window=14, weeks=6, city="Port Sudan"),
    RequestSeed(
        MOIWR, "Monitoring and evaluation framework for rural water supply projects",
        background="The ministry oversees more than 200 rural water yards and hand-pump "
                   "projects funded by different donors, each reported in a different format. "
                   "Management cannot see which projects are behind schedule or which water "
                   "points are out of order.",
        objectives="Design one monitoring and evaluation framework and a reporting routine for "
                   "all rural water supply projects.",
        tasks="- Review the reporting requirements of the main donors\n"
              "- Define indicators and a reporting calendar\n"
              "- Design simple data collection forms for the state offices\n"
              "- Train planning staff to compile a quarterly report",
        deliverables="M&E framework; data collection forms; first quarterly report prepared "
                     "with the planning unit",
        expected_outputs="One reporting framework used by all state offices; 10 planning staff "
                         "trained",
        sector="project_management", required=("project_management", "water_treatment"),
        languages=(("en", "C1"),), path=("submit",), created=9, settled=7, start_in=60,
        window=30, weeks=5, finish_slack=20, modality="hybrid", city="Port Sudan"),
    RequestSeed(
        FMOH, "Strengthen cholera surveillance and response in Red Sea and Kassala states",
        background="Cholera outbreaks have recurred since 2023, and the state health ministries "
                   "report cases late and incompletely. The federal ministry wants outbreak "
                   "data reported within 24 hours and rapid response teams trained in every "
                   "affected locality.",
        objectives="Improve the timeliness and completeness of cholera surveillance and the "
                   "readiness of rapid response teams.",
        tasks="- Assess surveillance and reporting in both states\n"
              "- Train surveillance officers and rapid response teams\n"
              "- Set up weekly data reviews with the state ministries\n"
              "- Advise on water, sanitation and hygiene measures with partners",
        deliverables="Assessment report; training curriculum; weekly surveillance dashboard "
                     "template; final report",
        expected_outputs="60 surveillance officers and response team members trained; cases "
                         "reported within 24 hours in both states",
        sector="health", required=("public_health", "project_management"),
        desired=("water_treatment",), languages=(("en", "B2"), ("ar", "C1")),
        path=("submit", "open"), created=18, settled=6, start_in=14, window=14, weeks=8,
        city="Port Sudan", experts=2, priority="urgent"),
    RequestSeed(
        FMOH, "Training of trainers for community midwives on maternal and newborn care",
        background="Many births in rural North Kordofan are assisted by community midwives who "
                   "have had little refresher training since they qualified.",
        objectives="Train a pool of trainers who can run refresher courses for community "
                   "midwives.",
        tasks="- Adapt the national maternal and newborn care curriculum\n"
              "- Train 25 trainers\n"
              "- Supervise the first cascade trainings",
        deliverables="Adapted curriculum; training report",
        expected_outputs="25 trainers certified; 150 community midwives reached in cascade "
                         "trainings",
        sector="health", required=("public_health", "teacher_training"),
        languages=(("ar", "C1"),), path=("submit", "reject"),
        reasons={"reject": "The request overlaps with a programme UNFPA already runs in the "
                           "same state. Please contact the mission so that we can align it "
                           "with that programme before you submit a new request."},
        created=50, settled=38, start_in=20, weeks=6, city="El Obeid"),
    RequestSeed(
        UOFK, "Review of the Faculty of Education's teacher-training curriculum",
        background="The Faculty of Education trains many of the country's secondary-school "
                   "teachers. Its curriculum was last revised long ago and does little to "
                   "prepare teachers for large classes, learners displaced by the conflict "
                   "and remote teaching.",
        objectives="Revise the bachelor's curriculum for secondary teachers with the faculty's "
                   "departments and introduce learner-centred teaching methods.",
        tasks="- Review the current curriculum and course outlines\n"
              "- Run workshops with the heads of department\n"
              "- Draft revised outlines for the core pedagogy courses\n"
              "- Train 30 lecturers in learner-centred methods",
        deliverables="Curriculum review report; revised course outlines; workshop and training "
                     "reports",
        expected_outputs="Revised curriculum submitted to the university senate; 30 lecturers "
                         "trained",
        sector="education", required=("curriculum_development", "teacher_training"),
        languages=(("en", "C1"), ("ar", "B2")),
        path=("submit", "request_changes", "submit", "open"),
        reasons={"request_changes": "Please add the objectives and the number of lecturers "
                                    "who will take part."},
        created=60, settled=10, start_in=45, window=45, weeks=10, finish_slack=30,
        min_years=10, education="8", modality="hybrid", city="Khartoum"),
    RequestSeed(
        SAAS, "Corporate governance training for board members of state-owned enterprises",
        background="Boards of state-owned enterprises often lack written charters, audit "
                   "committees and conflict-of-interest rules. The Academy has been asked to "
                   "prepare a governance programme for board members and company "
                   "secretaries.",
        objectives="Design and deliver a corporate governance course for board members and "
                   "company secretaries of state-owned enterprises.",
        tasks="- Assess governance practice in five state-owned enterprises\n"
              "- Design a five-day course based on the OECD Guidelines on Corporate Governance "
              "of State-Owned Enterprises\n"
              "- Deliver the course twice with the Academy's trainers\n"
              "- Draft a model board charter",
        deliverables="Assessment note; course material; model board charter; training report",
        expected_outputs="40 board members and company secretaries trained; model board "
                         "charter adopted by the Academy",
        sector="corporate_governance", required=("corporate_governance", "project_management"),
        languages=(("en", "C1"), ("ar", "B2")), path=("submit", "open"), created=30,
        settled=20, start_in=50, window=30, weeks=4, min_years=15, modality="hybrid",
        city="Khartoum"),
    RequestSeed(
        SAAS, "Project management training for 30 civil servants",
        background="Ministries are preparing reconstruction projects with little project "
                   "management practice: plans have no risk registers, budgets are not "
                   "tracked against progress and reporting is irregular.",
        objectives="Train civil servants of the planning units of five ministries in project "
                   "management, and Academy staff to run the course themselves.",
        tasks="- Adapt a project management course to public-sector projects\n"
              "- Deliver the course to 30 civil servants\n"
              "- Coach participants on their own project plans\n"
              "- Train four Academy trainers to deliver the course",
        deliverables="Course material in English and Arabic; participants' project plans; "
                     "training report",
        expected_outputs="30 civil servants trained; 4 Academy trainers able to deliver the "
                         "course",
        sector="project_management", required=("project_management", "teacher_training"),
        desired=("corporate_governance",), languages=(("en", "B2"), ("ar", "C1")),
        path=("submit", "open", "start_shortlisting", "fill"), created=80, settled=6,
        start_in=12, window=10, weeks=6, city="Khartoum"),
    RequestSeed(
        NCCHT, "Identifying and investigating trafficking cases: training for prosecutors and "
               "police in eastern Sudan",
        background="Eastern Sudan is a transit area for refugees and migrants moving towards "
                   "Libya and Egypt, and traffickers and smugglers use the same routes. Few "
                   "trafficking cases reach court, partly because victims are not identified "
                   "and investigations rely on confessions.",
        objectives="Improve the identification of victims and the investigation and "
                   "prosecution of trafficking cases under the Combating of Human Trafficking "
                   "Act.",
        tasks="- Review recent cases with the committee's secretariat\n"
              "- Train prosecutors and police investigators in victim identification and "
              "referral\n"
              "- Train investigators in financial and victim-centred investigation\n"
              "- Help draft a referral guide with service providers",
        deliverables="Training curriculum; referral guide; training and final reports",
        expected_outputs="40 prosecutors and police investigators trained; referral guide "
                         "agreed by the committee",
        sector="counter_trafficking", required=("victim_identification",
                                                "criminal_investigation"),
        desired=("teacher_training",), languages=(("ar", "C1"), ("en", "B2")),
        path=("submit", "open", "start_shortlisting", "reopen"),
        reasons={"reopen": "Both proposed candidates withdrew; matching starts again."},
        created=110, settled=8, start_in=28, window=21, weeks=4, min_years=10,
        city="Kassala", experts=2, priority="high"),
    RequestSeed(
        SAB, "Braille literacy and assistive technology training for teachers of visually "
             "impaired pupils",
        background="The Association runs classes for visually impaired children and adults in "
                   "Omdurman, but most of its teachers learned Arabic Braille informally and "
                   "none has been trained in screen readers.",
        objectives="Train teachers in Arabic Braille instruction and in assistive technology so "
                   "that visually impaired learners can read, write and use computers.",
        tasks="- Assess the teachers' Braille skills\n"
              "- Train 15 teachers in Arabic Braille instruction methods\n"
              "- Introduce screen readers and accessible smartphone use\n"
              "- Prepare a learning plan the Association can repeat every year",
        deliverables="Training plan; teaching material; training report with the teachers' "
                     "assessment results",
        expected_outputs="15 teachers trained; 60 visually impaired learners reached in the "
                         "following year",
        sector="disability_inclusion", required=("braille_instruction", "teacher_training"),
        desired=("curriculum_development",), languages=(("ar", "native"), ("en", "B1")),
        path=("submit",), created=6, settled=4, start_in=75, window=30, weeks=8,
        education="6", city="Omdurman"),
    RequestSeed(
        SUNA, "Newsroom training on conflict-sensitive reporting and fact-checking",
        background="SUNA's reporters cover the conflict and the humanitarian crisis under great "
                   "pressure, and false reports spread quickly on social media.",
        objectives="Train reporters and editors in conflict-sensitive reporting and in "
                   "verifying information and images.",
        tasks="- Run a two-week newsroom training\n"
              "- Set up a verification routine with the editors\n"
              "- Mentor reporters for four weeks",
        deliverables="Training material; verification checklist; final report",
        expected_outputs="25 reporters and editors trained; verification checklist used by the "
                         "news desk",
        sector="media_development", required=("journalism_training", "teacher_training"),
        languages=(("ar", "C1"), ("en", "B2")), path=("submit", "open", "cancel"),
        reasons={"cancel": "SUNA has received the same training from another partner; the "
                           "request is no longer needed."},
        created=140, settled=90, start_in=-40, weeks=6, modality="hybrid",
        city="Port Sudan"),
    RequestSeed(
        ARC, "Seed multiplication and certification for sorghum and groundnut",
        background="Farmers in Gezira and Sennar mostly sow seed saved from previous harvests, "
                   "and certified seed of improved varieties is scarce.",
        objectives="Help the corporation organise the multiplication and certification of "
                   "improved seed.",
        tasks="", deliverables="", expected_outputs="",
        sector="agriculture", required=("agronomy", "project_management"),
        languages=(("en", "B2"),), created=2, start_in=None, weeks=None, modality=None,
        city="Wad Madani"),
    RequestSeed(
        KASSALA_AGRI, "Extension training on climate-resilient sorghum farming in the Gash "
                      "Delta",
        background="Farmers in the Gash Delta face shorter rainy seasons and erratic floods. "
                   "Extension officers have had no training in drought-tolerant varieties or "
                   "water harvesting.",
        objectives="Train extension officers in climate-resilient practices they can "
                   "demonstrate to farmers.",
        tasks="- Train 25 extension officers\n"
              "- Set up demonstration plots with farmer groups\n"
              "- Prepare extension leaflets in Arabic",
        deliverables="Training report; leaflets; demonstration plot plan",
        expected_outputs="25 extension officers trained; 10 demonstration plots set up",
        sector="agriculture", required=("agronomy", "irrigation_engineering"),
        languages=(("ar", "C1"),), path=("submit", "open", "cancel"), cancelled_by=STAFF,
        reasons={"cancel": "The ministry's account is suspended until it names a new focal "
                           "point. The request can be submitted again then."},
        created=60, settled=24, start_in=30, weeks=6, city="Kassala"),
)

# --- Mozambique: Portuguese terms of reference ------------------------------------------------

ARA_SUL = "Administração Regional de Águas do Sul (ARA-Sul)"
MINEDH = "Ministério da Educação e Desenvolvimento Humano (MINEDH)"
UEM = "Universidade Eduardo Mondlane"
INS = "Instituto Nacional de Saúde (INS)"
ACAMO = "Associação dos Cegos e Amblíopes de Moçambique (ACAMO)"
GCCCOT = "Gabinete Central de Combate à Criminalidade Organizada e Transnacional (GCCCOT)"
FIPAG = "Fundo de Investimento e Património do Abastecimento de Água (FIPAG)"
IIAM = "Instituto de Investigação Agrária de Moçambique (IIAM)"
ICS = "Instituto de Comunicação Social (ICS)"
DPE_CD = "Direcção Provincial de Educação de Cabo Delgado"

MOZAMBIQUE_INSTITUTIONS = (
    InstitutionSeed(ARA_SUL, "Southern Regional Water Administration (ARA-Sul)",
                    "public_agency", ("water_management",), "Maputo", focal=True, since=430),
    InstitutionSeed(MINEDH, "Ministry of Education and Human Development", "ministry",
                    ("education",), "Maputo", since=420),
    InstitutionSeed(UEM, "Eduardo Mondlane University", "university",
                    ("education", "health", "agriculture"), "Maputo",
                    address="Av. Julius Nyerere, Maputo", website="https://www.uem.mz",
                    since=410),
    InstitutionSeed(INS, "National Institute of Health", "public_agency", ("health",),
                    "Marracuene", website="https://ins.gov.mz", since=400),
    InstitutionSeed(ACAMO, "Association of the Blind and Partially Sighted of Mozambique",
                    "ngo", ("education",), "Maputo", since=390),
    InstitutionSeed(GCCCOT, "Central Office for Combating Organised and Transnational Crime",
                    "public_agency", ("counter_trafficking", "child_protection"), "Maputo",
                    since=385),
    InstitutionSeed(FIPAG, "Water Supply Investment and Assets Fund", "public_agency",
                    ("water_management", "project_management"), "Maputo", since=370),
    InstitutionSeed(IIAM, "Agricultural Research Institute of Mozambique", "public_agency",
                    ("agriculture",), "Maputo", since=360),
    InstitutionSeed(ICS, "Social Communication Institute", "public_agency",
                    ("media_development",), "Maputo", since=350),
    InstitutionSeed(DPE_CD, "Cabo Delgado Provincial Directorate of Education", "public_agency",
                    ("education", "child_protection"), "Pemba", status="suspended",
                    status_reason="Suspensa até a direcção indicar um novo ponto focal: o "
                                  "anterior foi transferido.", since=340, suspended=30),
    InstitutionSeed("Universidade Lúrio", "Lúrio University", "university",
                    ("health", "agriculture"), "Nampula", status="pending",
                    contact=("Prof.ª Helena Mussa Cossa", "Directora do Gabinete de Cooperação",
                             "helena.cossa@unilurio.demo"), since=3),
)

MOZAMBIQUE_REQUESTS = (
    RequestSeed(
        ARA_SUL, "Formação de 15 técnicos em monitorização hidrológica da bacia do Limpopo",
        background="A ARA-Sul opera estações hidrométricas na bacia do Limpopo, várias delas "
                   "danificadas por cheias recentes. Os técnicos das estações precisam de "
                   "actualizar os métodos de medição de caudais e de validação de dados.",
        objectives="Reforçar a capacidade dos técnicos da ARA-Sul para medir caudais, validar "
                   "dados e manter as estações hidrométricas.",
        tasks="- Avaliar o estado das estações e os procedimentos actuais\n"
              "- Formar 15 técnicos em medição de caudais com molinete e ADCP\n"
              "- Introduzir rotinas de validação e arquivo de dados\n"
              "- Elaborar um plano de manutenção das estações",
        deliverables="Relatório de avaliação; material de formação em português; plano de "
                     "manutenção; relatório final",
        expected_outputs="15 técnicos formados; dados hidrométricos validados todos os meses",
        sector="water_management", required=("hydrology", "project_management"),
        desired=("water_treatment",), languages=(("pt", "C1"), ("en", "B1")),
        path=("submit", "open"), created=35, settled=9, start_in=30, window=21, weeks=6,
        finish_slack=21, min_years=10, city="Chókwè", priority="high"),
    RequestSeed(
        ARA_SUL, "Sistema de aviso prévio de cheias para a bacia do Incomáti",
        background="As cheias do Incomáti afectam quase todos os anos as zonas baixas de "
                   "Moamba, Manhiça e Magude. Os avisos dependem de leituras manuais e chegam "
                   "tarde às comunidades.",
        objectives="Desenhar um sistema de aviso prévio de cheias com níveis de alerta e "
                   "circuitos de comunicação com o INGD e os comités locais de gestão de risco.",
        tasks="- Rever os dados hidrológicos e os limiares de alerta\n"
              "- Propor um modelo de previsão simples para os técnicos da ARA-Sul\n"
              "- Definir com o INGD os circuitos de aviso às comunidades\n"
              "- Formar os técnicos do centro de operações",
        deliverables="Relatório técnico com limiares de alerta; manual de procedimentos; "
                     "relatório de formação",
        expected_outputs="Limiares de alerta aprovados; 10 técnicos formados; procedimentos de "
                         "aviso acordados com o INGD",
        sector="water_management", required=("hydrology", "project_management"),
        languages=(("pt", "C1"),), path=("submit",), created=8, settled=5, start_in=60,
        window=30, weeks=8, min_years=12, education="8", modality="hybrid", city="Maputo"),
    RequestSeed(
        ARA_SUL, "Controlo da qualidade da água na albufeira dos Pequenos Libombos",
        background="A albufeira dos Pequenos Libombos abastece Maputo e a Matola. A ARA-Sul quer "
                   "acompanhar melhor a qualidade da água bruta, sobretudo na época chuvosa.",
        objectives="Montar um programa de monitorização da qualidade da água da albufeira e "
                   "formar os técnicos do laboratório.",
        tasks="- Definir pontos e frequência de amostragem\n"
              "- Formar os técnicos em colheita e análise de amostras\n"
              "- Preparar um modelo de relatório trimestral",
        deliverables="Programa de monitorização; procedimentos de laboratório; relatório final",
        expected_outputs="8 técnicos formados; programa de monitorização em funcionamento",
        sector="water_management", required=("water_treatment", "hydrology"),
        languages=(("pt", "C1"),),
        path=("submit", "open", "start_shortlisting", "fill", "close"),
        reasons={"close": "Relatório final recebido e aprovado pela ARA-Sul."},
        created=230, settled=40, start_in=-150, window=14, weeks=6, city="Maputo"),
    RequestSeed(
        ARA_SUL, "Modelação das águas subterrâneas do aquífero da Grande Maputo",
        background="A Grande Maputo depende cada vez mais de furos, e os níveis do aquífero "
                   "estão a descer em algumas zonas. A ARA-Sul não tem um modelo que permita "
                   "avaliar quanto se pode extrair.",
        objectives="Iniciar um modelo de águas subterrâneas do aquífero e formar técnicos para "
                   "o actualizar.",
        tasks="- Reunir dados de furos e níveis piezométricos\n"
              "- Construir um modelo conceptual e um primeiro modelo numérico\n"
              "- Formar técnicos da ARA-Sul",
        deliverables="Modelo conceptual; relatório técnico",
        expected_outputs="Primeiro modelo do aquífero; técnicos formados",
        sector="water_management", required=("hydrology", "water_treatment"),
        languages=(("pt", "B2"), ("en", "B2")), path=("submit", "request_changes"),
        reasons={"request_changes": "Indique quantos técnicos serão formados e que dados o "
                                    "perito poderá usar. Quatro semanas parecem pouco para o "
                                    "trabalho de campo descrito."},
        created=22, settled=4, start_in=80, window=30, weeks=4, min_years=10, education="8",
        city="Maputo"),
    RequestSeed(
        FIPAG, "Redução de perdas de água na rede de abastecimento da Beira",
        background="Na Beira, uma parte importante da água produzida perde-se em fugas e "
                   "ligações ilegais. A rede foi reconstruída em parte depois do ciclone Idai, "
                   "mas o FIPAG ainda não tem zonas de medição para saber onde se perde a água.",
        objectives="Formar as equipas técnicas do FIPAG na Beira em detecção de fugas e em "
                   "gestão de perdas por zonas de medição.",
        tasks="- Avaliar as perdas e as práticas actuais\n"
              "- Formar 20 técnicos em detecção de fugas\n"
              "- Criar duas zonas de medição piloto\n"
              "- Propor um plano de redução de perdas",
        deliverables="Relatório de diagnóstico; material de formação; plano de redução de "
                     "perdas",
        expected_outputs="20 técnicos formados; duas zonas de medição a funcionar; plano de "
                         "redução de perdas aprovado",
        sector="water_management", required=("water_treatment", "project_management"),
        desired=("hydrology",), languages=(("pt", "C1"), ("en", "B2")),
        path=("submit", "open"), created=45, settled=15, start_in=40, window=30, weeks=8,
        min_years=10, city="Beira", experts=2),
    RequestSeed(
        MINEDH, "Revisão curricular do ensino bilingue no ensino primário",
        background="O ensino bilingue, em línguas moçambicanas e em português, está a chegar a "
                   "mais escolas primárias. Os programas e os materiais das primeiras classes "
                   "precisam de ser revistos à luz da experiência das escolas piloto.",
        objectives="Apoiar o MINEDH na revisão dos programas do ensino bilingue da 1.ª à 3.ª "
                   "classe e na formação de formadores.",
        tasks="- Analisar os resultados das escolas piloto\n"
              "- Rever os programas com as equipas curriculares do INDE e do MINEDH\n"
              "- Preparar um módulo de formação de professores\n"
              "- Formar 30 formadores provinciais",
        deliverables="Relatório de análise; programas revistos; módulo de formação; relatório "
                     "de formação",
        expected_outputs="Programas revistos entregues ao MINEDH; 30 formadores provinciais "
                         "formados",
        sector="education", required=("curriculum_development", "teacher_training"),
        languages=(("pt", "C1"),), path=("submit", "request_changes", "submit", "open"),
        reasons={"request_changes": "Indique as províncias abrangidas e o número de "
                                    "formadores previstos."},
        created=70, settled=14, start_in=50, window=40, weeks=10, finish_slack=30,
        min_years=10, education="8", modality="hybrid", city="Maputo"),
    RequestSeed(
        UEM, "Módulo de epidemiologia de campo para o mestrado em saúde pública",
        background="A Faculdade de Medicina quer reforçar a componente prática do mestrado em "
                   "saúde pública, em que os estudantes têm pouca experiência de investigação "
                   "de surtos.",
        objectives="Desenhar e leccionar um módulo de epidemiologia de campo com estudos de "
                   "caso moçambicanos.",
        tasks="- Desenhar o módulo com os docentes da faculdade\n"
              "- Leccionar o módulo à turma do primeiro ano\n"
              "- Orientar os estudantes numa investigação de surto simulada\n"
              "- Preparar docentes para leccionar o módulo nos anos seguintes",
        deliverables="Programa do módulo; estudos de caso; relatório final",
        expected_outputs="Módulo integrado no mestrado; 25 estudantes e 5 docentes formados",
        sector="health", required=("public_health", "curriculum_development"),
        desired=("project_management",), languages=(("pt", "C1"), ("en", "B2")),
        path=("submit", "open", "start_shortlisting"), created=65, settled=4, start_in=35,
        window=30, weeks=12, min_years=12, education="8", modality="hybrid", city="Maputo"),
    RequestSeed(
        INS, "Vigilância epidemiológica da cólera em Nampula e Cabo Delgado",
        background="Os surtos de cólera repetem-se nas províncias de Nampula e Cabo Delgado, "
                   "onde muitas famílias deslocadas têm pouco acesso a água potável. As "
                   "notificações chegam ao INS com atraso e incompletas.",
        objectives="Melhorar a rapidez e a qualidade da notificação de casos e preparar equipas "
                   "de resposta rápida nos distritos afectados.",
        tasks="- Avaliar o circuito de notificação nos distritos mais afectados\n"
              "- Formar técnicos de vigilância e equipas de resposta rápida\n"
              "- Introduzir a análise semanal de dados com as direcções provinciais\n"
              "- Apoiar a coordenação com os parceiros de água e saneamento",
        deliverables="Relatório de avaliação; currículo de formação; modelo de boletim semanal; "
                     "relatório final",
        expected_outputs="50 técnicos formados; casos notificados em 24 horas nos distritos "
                         "apoiados",
        sector="health", required=("public_health", "project_management"),
        desired=("water_treatment",), languages=(("pt", "C1"), ("en", "B1")),
        path=("submit", "open"), created=15, settled=5, start_in=10, window=10, weeks=8,
        city="Nampula", experts=2, priority="urgent"),
    RequestSeed(
        ACAMO, "Formação de 20 professores em braille e em orientação e mobilidade",
        background="A ACAMO apoia crianças e adultos cegos e amblíopes em todas as províncias, "
                   "mas há poucos professores capazes de ensinar braille e orientação e "
                   "mobilidade nas escolas inclusivas.",
        objectives="Formar professores de escolas inclusivas no ensino do braille e em "
                   "orientação e mobilidade, e preparar a ACAMO para repetir a formação.",
        tasks="- Avaliar as necessidades das escolas inclusivas\n"
              "- Formar 20 professores em braille e em orientação e mobilidade\n"
              "- Introduzir leitores de ecrã e outras tecnologias de apoio\n"
              "- Elaborar um guia para os formadores da ACAMO",
        deliverables="Plano de formação; material didáctico; guia do formador; relatório final",
        expected_outputs="20 professores formados; 80 alunos cegos e amblíopes apoiados no ano "
                         "seguinte",
        sector="education", required=("teacher_training", "curriculum_development"),
        languages=(("pt", "C1"),), path=("submit",), created=7, settled=5, start_in=70,
        window=30, weeks=8, education="6", city="Maputo"),
    RequestSeed(
        GCCCOT, "Investigação e acusação em casos de tráfico de pessoas",
        background="Moçambique é país de origem, trânsito e destino de tráfico de pessoas, "
                   "sobretudo para a África do Sul. Poucos casos chegam a julgamento, muitas "
                   "vezes por falta de prova além do depoimento da vítima.",
        objectives="Reforçar a capacidade de procuradores e investigadores para investigar e "
                   "acusar casos de tráfico de pessoas ao abrigo da Lei n.º 6/2008.",
        tasks="- Analisar processos recentes com o Gabinete\n"
              "- Formar procuradores e investigadores em técnicas de investigação e recolha "
              "de prova\n"
              "- Preparar um guia prático de acusação\n"
              "- Promover a cooperação com a África do Sul em casos transfronteiriços",
        deliverables="Guia prático; material de formação; relatório final",
        expected_outputs="35 procuradores e investigadores formados; guia prático adoptado "
                         "pelo Gabinete",
        sector="counter_trafficking", required=("prosecution", "victim_identification"),
        desired=("child_safeguarding",), languages=(("pt", "C1"), ("en", "B2")),
        path=("submit", "open", "start_shortlisting", "fill"), created=90, settled=7,
        start_in=15, window=10, weeks=4, min_years=10, city="Maputo"),
    RequestSeed(
        GCCCOT, "Protecção de crianças vítimas de tráfico na fronteira de Ressano Garcia",
        background="Crianças não acompanhadas atravessam a fronteira de Ressano Garcia todos "
                   "os dias. Os agentes de migração e da polícia nem sempre as identificam "
                   "como possíveis vítimas nem sabem a quem as encaminhar.",
        objectives="Formar agentes de fronteira e técnicos da acção social na identificação e "
                   "no encaminhamento de crianças vítimas de tráfico.",
        tasks="- Mapear os serviços de acolhimento e encaminhamento\n"
              "- Formar agentes de migração, polícia e técnicos da acção social\n"
              "- Elaborar com os serviços um procedimento de encaminhamento",
        deliverables="Mapa de serviços; procedimento de encaminhamento; relatório de formação",
        expected_outputs="40 agentes e técnicos formados; procedimento de encaminhamento "
                         "assinado pelos serviços",
        sector="child_protection", required=("child_safeguarding", "victim_identification"),
        desired=("prosecution",), languages=(("pt", "C1"), ("en", "B2")),
        path=("submit", "open"), created=25, settled=12, start_in=30, window=30, weeks=6,
        city="Ressano Garcia"),
    RequestSeed(
        IIAM, "Melhoramento de variedades de milho tolerantes à seca",
        background="As secas no sul do país reduzem as colheitas de milho de ano para ano. O "
                   "IIAM tem um programa de melhoramento em Chókwè com poucos investigadores "
                   "seniores.",
        objectives="Reforçar o programa de melhoramento de milho tolerante à seca.",
        tasks="- Orientar os ensaios de campo\n"
              "- Formar investigadores em desenho experimental\n"
              "- Apoiar a libertação de novas variedades",
        deliverables="Plano de ensaios; relatórios semestrais",
        expected_outputs="Duas variedades candidatas avaliadas",
        sector="agriculture", required=("agronomy", "project_management"),
        languages=(("pt", "B2"), ("en", "C1")), path=("submit", "reject"),
        reasons={"reject": "O pedido é para um investigador residente durante 12 meses; o "
                           "programa apoia missões de até seis meses. Pode submeter um novo "
                           "pedido com uma duração mais curta."},
        created=55, settled=41, start_in=40, weeks=52, min_years=12, education="8",
        city="Chókwè"),
    RequestSeed(
        ICS, "Produção de programas de rádio comunitária em línguas locais",
        background="O ICS apoia dezenas de rádios comunitárias, muitas com voluntários sem "
                   "formação em produção de programas.",
        objectives="Formar produtores de rádios comunitárias em formatos de programas "
                   "educativos em línguas locais.",
        tasks="", deliverables="", expected_outputs="",
        sector="media_development", required=("radio_production", "teacher_training"),
        languages=(("pt", "C1"), ("ts", "B2")), created=3, start_in=None, weeks=None,
        modality=None, city="Maputo"),
    RequestSeed(
        DPE_CD, "Formação de professores para escolas que acolhem crianças deslocadas",
        background="Muitas escolas de Pemba e Metuge recebem crianças deslocadas pelo conflito "
                   "em Cabo Delgado, em turmas sobrelotadas e com alunos que perderam anos de "
                   "escola.",
        objectives="Formar professores em apoio psicossocial, ensino em turmas grandes e "
                   "recuperação de aprendizagens.",
        tasks="- Formar 40 professores\n"
              "- Acompanhar as aulas em seis escolas\n"
              "- Preparar materiais de recuperação de aprendizagens",
        deliverables="Material de formação; relatório final",
        expected_outputs="40 professores formados em seis escolas",
        sector="education", required=("teacher_training", "child_safeguarding"),
        languages=(("pt", "C1"),), path=("submit", "open", "cancel"), cancelled_by=STAFF,
        reasons={"cancel": "A direcção provincial está suspensa até indicar um novo ponto "
                           "focal. O pedido pode ser submetido de novo depois."},
        created=100, settled=29, start_in=20, weeks=6, city="Pemba"),
)

DEMO = {"sudan": (SUDAN_INSTITUTIONS, SUDAN_REQUESTS),
        "mozambique": (MOZAMBIQUE_INSTITUTIONS, MOZAMBIQUE_REQUESTS)}


# --- writing ---------------------------------------------------------------------------------

def _at(day: date, slot: int) -> datetime:
    """A working-hours moment (07:00-15:00 UTC, 09:00-17:00 in both missions) on the day."""
    return datetime.combine(day, time(7, 0), tzinfo=UTC) + timedelta(minutes=slot % 480)


def step_days(seed: RequestSeed) -> list[int]:
    """Days after creation of each step of the path: spread over the request's span by
    STEP_WEIGHT, one day apart at least, the last one `settled` days ago."""
    span = seed.created - seed.settled
    weights = [STEP_WEIGHT[action] for action in seed.path]
    total, cumulative, days = sum(weights), 0, []
    for weight in weights:
        cumulative += weight
        day = round(cumulative / total * span)
        days.append(max(day, days[-1] + 1 if days else 1))
    if days and days[-1] > seed.created - 1:
        raise ValueError(f"{seed.title!r}: too many steps for {span} days")
    return days


def _dates(seed: RequestSeed, today: date) -> dict:
    if seed.start_in is None:
        return dict(earliest_start=None, latest_start=None, finish_by=None)
    earliest = today + timedelta(days=seed.start_in)
    latest = earliest + timedelta(days=seed.window)
    finish_by = None
    if seed.finish_slack is not None and seed.weeks:
        finish_by = latest + timedelta(weeks=seed.weeks, days=seed.finish_slack)
    return dict(earliest_start=earliest, latest_start=latest, finish_by=finish_by)


async def _actor(db: AsyncSession, tenant: TenantContext, account: tuple[str, str]) -> Actor:
    email = f"{account[0]}@{tenant.slug}.demo"
    user = await db.scalar(select(User).where(User.email == email))
    return Actor(user_id=user.id if user else None, email=email,
                 name=user.name if user else account[1])


async def _seed_institutions(db: AsyncSession, tenant: TenantContext, seeds, officer: Actor,
                             today: date) -> int:
    existing = set(await db.scalars(select(HostInstitution.name).where(
        HostInstitution.tenant_id == tenant.id)))
    created = 0
    for k, seed in enumerate(seeds):
        if seed.name in existing:
            continue
        since = _at(today - timedelta(days=seed.since), 60 + 37 * k)
        contact_name, contact_title, contact_email = seed.contact or ("", "", "")
        institution = HostInstitution(
            tenant_id=tenant.id, name=seed.name, other_name=seed.other_name, kind=seed.kind,
            sectors=list(seed.sectors), city=seed.city, address=seed.address,
            website=seed.website, status=seed.status, status_reason=seed.status_reason,
            contact_name=contact_name, contact_title=contact_title,
            contact_email=contact_email, created_at=since,
            approved_at=since if seed.status in {"approved", "suspended"} else None)
        db.add(institution)
        await db.flush()
        if seed.status == "pending":  # through the public form: nobody signed in
            event = record(db, tenant.id, Actor(), "host_institution.applied",
                           "host_institution", institution.id, after={"name": seed.name})
        else:
            event = record(db, tenant.id, officer, "host_institution.created",
                           "host_institution", institution.id,
                           after={"name": seed.name, "status": "approved"})
        event.created_at = since
        if seed.status == "suspended":
            event = record(db, tenant.id, officer, "host_institution.suspend",
                           "host_institution", institution.id, before={"status": "approved"},
                           after={"status": "suspended", "reason": seed.status_reason})
            event.created_at = _at(today - timedelta(days=seed.suspended), 200 + 37 * k)
        created += 1
    return created


async def _link_focal_point(db: AsyncSession, tenant: TenantContext,
                            institution_id: uuid.UUID) -> None:
    """The demo focal point's membership (made by app.demo) names the institution."""
    membership = await db.scalar(
        select(Membership).join(User, User.id == Membership.user_id).where(
            Membership.tenant_id == tenant.id,
            User.email == f"{FOCAL_POINT[0]}@{tenant.slug}.demo",
            Membership.role == "institution_focal_point",
            Membership.host_institution_id.is_(None)))
    if membership is not None:
        membership.host_institution_id = institution_id


async def _seed_requests(db: AsyncSession, tenant: TenantContext, seeds, institutions,
                         focal_institution: str, officer: Actor, focal: Actor,
                         today: date) -> int:
    titles = [seed.title for seed in seeds]
    if await db.scalar(select(func.count()).select_from(AssignmentRequest).where(
            AssignmentRequest.tenant_id == tenant.id, AssignmentRequest.title.in_(titles))):
        return 0
    # The same lock as a new request's numbering: numbers follow any request already there.
    await db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                     {"key": f"request-number:{tenant.id}"})
    number = await db.scalar(select(func.max(AssignmentRequest.number)).where(
        AssignmentRequest.tenant_id == tenant.id)) or 0
    codes = {code for seed in seeds for code in (*seed.required, *seed.desired)}
    skills = dict((await db.execute(select(Skill.code, Skill.id).where(
        Skill.tenant_id == tenant.id, Skill.code.in_(codes)))).all())
    created = 0
    # Numbers in the order the requests were created, oldest first.
    for seed in sorted(seeds, key=lambda s: -s.created):
        institution = institutions.get(seed.institution)
        if institution is None:
            continue
        number += 1
        # The institution's steps: its focal point, or staff on its behalf.
        own = focal if seed.institution == focal_institution and focal.user_id else officer
        own_role = INSTITUTION if own is focal else STAFF
        created_at = _at(today - timedelta(days=seed.created), 53 * number)
        request = AssignmentRequest(
            id=uuid.uuid4(), tenant_id=tenant.id, institution_id=institution.id, number=number,
            status="draft", title=seed.title, background=seed.background,
            objectives=seed.objectives, tasks=seed.tasks, deliverables=seed.deliverables,
            expected_outputs=seed.expected_outputs, sector=seed.sector,
            min_years_experience=seed.min_years, education_level=seed.education,
            modality=seed.modality, city=seed.city, duration_weeks=seed.weeks,
            experts_wanted=seed.experts, priority=seed.priority, created_by_id=own.user_id,
            created_at=created_at, updated_at=created_at, **_dates(seed, today))
        db.add(request)
        await db.flush()
        record(db, tenant.id, own, "assignment_request.created", "assignment_request",
               request.id, after={"number": number, "institution": institution.name,
                                  "title": seed.title}).created_at = created_at
        for k, (action, day) in enumerate(zip(seed.path, step_days(seed), strict=True), 1):
            by_institution = action == "submit" or (action == "cancel"
                                                    and seed.cancelled_by == INSTITUTION)
            actor, who = (own, own_role) if by_institution else (officer, STAFF)
            target = next_state(request.status, action, who)
            if target is None:
                raise ValueError(f"{seed.title!r}: {action} not allowed from {request.status}")
            at = _at(created_at.date() + timedelta(days=day), 53 * number + 97 * k)
            reason = seed.reasons.get(action, "")
            record(db, tenant.id, actor, f"assignment_request.{action}", "assignment_request",
                   request.id, before={"status": request.status},
                   after={"status": target, "reason": reason or None}).created_at = at
            request.status, request.updated_at = target, at
            request.status_reason = reason if action in NEEDS_REASON else ""
            if action == "submit":
                request.submitted_at = at
            if target == "open" and request.opened_at is None:
                request.opened_at = at
        wanted = [(code, True) for code in seed.required] + \
                 [(code, False) for code in seed.desired if code not in seed.required]
        db.add_all(RequestSkill(tenant_id=tenant.id, request_id=request.id,
                                skill_id=skills[code], required=required)
                   for code, required in wanted if code in skills)
        db.add_all(RequestLanguage(tenant_id=tenant.id, request_id=request.id,
                                   language=language, min_level=level)
                   for language, level in seed.languages)
        created += 1
    return created


async def seed_demo_institutions(session_factory: async_sessionmaker[AsyncSession],
                                 tenant: TenantContext) -> tuple[int, int]:
    """Add the mission's missing demo institutions and, once, its demo requests; link the
    demo focal point to the water institution. Returns (institutions, requests) created."""
    if tenant.slug not in DEMO:
        return 0, 0
    institution_seeds, request_seeds = DEMO[tenant.slug]
    focal_institution = next(s.name for s in institution_seeds if s.focal)
    today = date.today()
    with tenant_scope(tenant):
        async with session_factory() as db:
            officer = await _actor(db, tenant, OFFICER)
            focal = await _actor(db, tenant, FOCAL_POINT)
            new_institutions = await _seed_institutions(db, tenant, institution_seeds,
                                                        officer, today)
            institutions = {i.name: i for i in await db.scalars(select(HostInstitution).where(
                HostInstitution.tenant_id == tenant.id))}
            if focal_institution in institutions:
                await _link_focal_point(db, tenant, institutions[focal_institution].id)
            new_requests = await _seed_requests(db, tenant, request_seeds, institutions,
                                                focal_institution, officer, focal, today)
            await db.commit()
    return new_institutions, new_requests
