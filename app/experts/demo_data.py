"""Reference material for demo and benchmark experts: names, where each diaspora lives,
its universities and employers, and what people in each sector do and write about
themselves. Plain data, read by app.experts.demo."""

from __future__ import annotations

from dataclasses import dataclass

# (Latin transliteration, Arabic script): experts in the Arabic interface type the latter.
SUDANESE_MALE = [
    ("Mohamed", "محمد"), ("Ahmed", "أحمد"), ("Osman", "عثمان"), ("Abdelrahman", "عبد الرحمن"),
    ("Omer", "عمر"), ("Hassan", "حسن"), ("Hussein", "حسين"), ("Ibrahim", "إبراهيم"),
    ("Khalid", "خالد"), ("Tarig", "طارق"), ("Elfatih", "الفاتح"), ("Mustafa", "مصطفى"),
    ("Yasir", "ياسر"), ("Hatim", "حاتم"), ("Mohanad", "مهند"), ("Babiker", "بابكر"),
    ("Abdalla", "عبد الله"), ("Elsadig", "الصادق"), ("Hamza", "حمزة"), ("Musab", "مصعب"),
    ("Ayman", "أيمن"), ("Nasreldin", "نصر الدين"), ("Kamal", "كمال"), ("Salah", "صلاح"),
    ("Awad", "عوض"), ("Gaafar", "جعفر"), ("Magdi", "مجدي"), ("Hisham", "هشام"),
    ("Mujtaba", "مجتبى"), ("Anwar", "أنور"), ("Elwaleed", "الوليد"), ("Mazin", "مازن"),
]
SUDANESE_FEMALE = [
    ("Fatima", "فاطمة"), ("Amna", "آمنة"), ("Mariam", "مريم"), ("Hiba", "هبة"), ("Sara", "سارة"),
    ("Rania", "رانيا"), ("Nahla", "نهلة"), ("Samah", "سماح"), ("Huda", "هدى"),
    ("Ilham", "إلهام"), ("Tasneem", "تسنيم"), ("Reem", "ريم"), ("Nafisa", "نفيسة"),
    ("Asma", "أسماء"), ("Duaa", "دعاء"), ("Safa", "صفاء"), ("Marwa", "مروة"), ("Widad", "وداد"),
    ("Zainab", "زينب"), ("Khadija", "خديجة"), ("Hanan", "حنان"), ("Alawia", "علوية"),
    ("Rasha", "رشا"), ("Amani", "أماني"), ("Suad", "سعاد"), ("Nada", "ندى"), ("Eman", "إيمان"),
    ("Sumaya", "سمية"), ("Lubna", "لبنى"), ("Azza", "عزة"), ("Mawahib", "مواهب"),
    ("Nisreen", "نسرين"),
]
# Sudanese names are given name + father's name + grandfather's or family name.
SUDANESE_FAMILY = [
    ("Elmahdi", "المهدي"), ("Abdelrahim", "عبد الرحيم"), ("Elhassan", "الحسن"),
    ("Mirghani", "الميرغني"), ("Elamin", "الأمين"), ("Suliman", "سليمان"), ("Idris", "إدريس"),
    ("Eltayeb", "الطيب"), ("Hamid", "حامد"), ("Abbas", "عباس"), ("Elnour", "النور"),
    ("Yousif", "يوسف"), ("Adam", "آدم"), ("Ismail", "إسماعيل"), ("Salih", "صالح"),
    ("Khalafalla", "خلف الله"), ("Abdelgadir", "عبد القادر"), ("Elsheikh", "الشيخ"),
    ("Musa", "موسى"), ("Hamad", "حمد"), ("Elkhatim", "الخاتم"), ("Badawi", "بدوي"),
    ("Gasim", "قاسم"), ("Taha", "طه"), ("Bashir", "بشير"), ("Elzubair", "الزبير"),
    ("Mukhtar", "مختار"), ("Fadlalla", "فضل الله"), ("Abuzaid", "أبو زيد"), ("Omer", "عمر"),
]

MOZAMBICAN_MALE = [
    "João", "José", "António", "Manuel", "Carlos", "Alberto", "Armando", "Fernando", "Paulo",
    "Eduardo", "Jorge", "Celso", "Hélder", "Nelson", "Ernesto", "Albino", "Américo", "Domingos",
    "Lourenço", "Tomás", "Agostinho", "Inácio", "Abílio", "Benedito", "Custódio", "Jaime",
    "Luís", "Sérgio", "Dércio", "Edson", "Félix", "Momade",
]
MOZAMBICAN_FEMALE = [
    "Maria", "Ana", "Graça", "Luísa", "Teresa", "Isabel", "Celeste", "Esperança", "Alice",
    "Lurdes", "Fátima", "Rosa", "Beatriz", "Joana", "Helena", "Sónia", "Cátia", "Nádia",
    "Neusa", "Yolanda", "Olga", "Clara", "Deolinda", "Felismina", "Amélia", "Otília", "Inês",
    "Marta", "Sheila", "Argentina", "Anabela", "Zaida",
]
MOZAMBICAN_FAMILY = [
    "Macuácua", "Sitoe", "Cossa", "Mabunda", "Nhantumbo", "Tembe", "Langa", "Matsinhe",
    "Muianga", "Chambal", "Massingue", "Bila", "Cumbe", "Manhiça", "Mucavele", "Nhaca",
    "Mahumane", "Uamusse", "Sambo", "Zandamela", "Chaúque", "Guambe", "Machava", "Tivane",
    "Cuna", "Maússe", "Chirindza", "Muchanga", "da Silva", "dos Santos", "Fernandes",
    "Abdula", "Issufo", "Muthemba", "Mondlane", "Nhassengo", "Mazive", "Maposse",
]

CITIES = {
    "NL": ["Amsterdam", "Rotterdam", "The Hague", "Utrecht", "Eindhoven", "Leiden", "Delft"],
    "GB": ["London", "Birmingham", "Manchester", "Leeds", "Cardiff", "Glasgow", "Sheffield"],
    "DE": ["Berlin", "Munich", "Frankfurt am Main", "Cologne", "Hamburg", "Bonn", "Stuttgart"],
    "SA": ["Riyadh", "Jeddah", "Dammam", "Mecca", "Al Khobar"],
    "AE": ["Dubai", "Abu Dhabi", "Sharjah", "Al Ain"],
    "QA": ["Doha", "Al Wakrah", "Al Rayyan"],
    "US": ["Washington, DC", "New York", "Houston", "Minneapolis", "Arlington", "San Diego",
           "Des Moines"],
    "CA": ["Toronto", "Ottawa", "Calgary", "Montreal", "Edmonton", "Winnipeg"],
    "EG": ["Cairo", "Alexandria", "Giza"],
    "PT": ["Lisboa", "Porto", "Coimbra", "Braga", "Setúbal", "Almada"],
    "ZA": ["Johannesburg", "Pretoria", "Cape Town", "Durban", "Nelspruit"],
    "BR": ["São Paulo", "Rio de Janeiro", "Brasília", "Belo Horizonte", "Salvador"],
    "FR": ["Paris", "Lyon", "Marseille", "Toulouse", "Montpellier"],
    "SD": ["Khartoum", "Omdurman", "Port Sudan", "Wad Medani"],
    "MZ": ["Maputo", "Matola", "Beira", "Nampula"],
}
# '#' is a random digit; formats as people write them, accepted by the profile form.
PHONES = {
    "NL": "+31 6 #### ####", "GB": "+44 7### ######", "DE": "+49 15# #######",
    "SA": "+966 5# ### ####", "AE": "+971 5# ### ####", "QA": "+974 #### ####",
    "US": "+1 ### ### ####", "CA": "+1 ### ### ####", "EG": "+20 1## ### ####",
    "PT": "+351 9## ### ###", "ZA": "+27 ## ### ####", "BR": "+55 ## 9#### ####",
    "FR": "+33 6 ## ## ## ##", "SD": "+249 9## ### ###", "MZ": "+258 8# ### ####",
}
# The language people speak where they live, added to a profile beside the mother tongue.
RESIDENCE_LANGUAGE = {"NL": "nl", "DE": "de", "FR": "fr", "PT": "pt", "BR": "pt", "SA": "ar",
                      "AE": "ar", "QA": "ar", "EG": "ar", "GB": "en", "US": "en", "CA": "en",
                      "ZA": "en"}
# Where the text an expert types is in Portuguese (else English).
PORTUGUESE_COUNTRIES = frozenset({"MZ", "PT", "BR"})

UNIVERSITIES = {
    "SD": ["University of Khartoum", "Sudan University of Science and Technology",
           "University of Gezira", "Omdurman Islamic University", "Al Neelain University",
           "Omdurman Ahlia University", "Ahfad University for Women"],
    "MZ": ["Universidade Eduardo Mondlane", "Universidade Pedagógica de Maputo",
           "Universidade Católica de Moçambique", "Universidade Lúrio", "Universidade Zambeze",
           "Instituto Superior de Ciências e Tecnologia de Moçambique"],
    "NL": ["Delft University of Technology", "IHE Delft Institute for Water Education",
           "Wageningen University & Research", "Erasmus University Rotterdam",
           "Utrecht University", "University of Amsterdam"],
    "GB": ["University of Leeds", "London School of Hygiene & Tropical Medicine",
           "University of Manchester", "SOAS University of London", "University of Birmingham",
           "Cranfield University"],
    "DE": ["Technical University of Munich", "University of Bonn",
           "Humboldt University of Berlin", "RWTH Aachen University", "University of Hohenheim"],
    "SA": ["King Saud University", "King Abdulaziz University",
           "King Fahd University of Petroleum and Minerals"],
    "AE": ["United Arab Emirates University", "American University of Sharjah",
           "Khalifa University"],
    "QA": ["Qatar University", "Hamad Bin Khalifa University"],
    "US": ["Johns Hopkins University", "University of Minnesota", "Texas A&M University",
           "George Washington University", "Columbia University"],
    "CA": ["University of Toronto", "McGill University", "University of Ottawa",
           "University of Alberta"],
    "EG": ["Cairo University", "Alexandria University", "The American University in Cairo"],
    "PT": ["Universidade de Lisboa", "Universidade do Porto", "Universidade de Coimbra",
           "Universidade Nova de Lisboa", "ISCTE – Instituto Universitário de Lisboa"],
    "ZA": ["University of the Witwatersrand", "University of Cape Town",
           "University of Pretoria", "University of KwaZulu-Natal", "Stellenbosch University"],
    "BR": ["Universidade de São Paulo", "Universidade Federal do Rio de Janeiro",
           "Universidade de Brasília", "Universidade Federal de Minas Gerais"],
    "FR": ["Sorbonne Université", "Université Paris-Saclay", "Sciences Po",
           "Institut Agro Montpellier"],
}


@dataclass(frozen=True)
class Diaspora:
    """Who a mission's experts are: names, nationality, where they live, what they speak."""

    nationality: str
    male: list[tuple[str, str]]  # (Latin, Arabic script or "")
    female: list[tuple[str, str]]
    family: list[tuple[str, str]]
    residence: list[tuple[str, int]]  # (country, weight)
    native: str
    others: list[tuple[str, float]]  # extra languages and the share of experts speaking them
    arabic_script_share: float  # share of names typed in Arabic script
    three_part_names: bool  # given + father's + family (Sudan) or given (+ middle) + family


DIASPORAS = {
    "sudan": Diaspora(
        nationality="SD", male=SUDANESE_MALE, female=SUDANESE_FEMALE, family=SUDANESE_FAMILY,
        residence=[("SA", 20), ("GB", 14), ("AE", 12), ("US", 12), ("EG", 12), ("NL", 8),
                   ("QA", 8), ("CA", 8), ("DE", 6)],
        native="ar", others=[("fr", 0.08), ("sw", 0.03), ("it", 0.02)],
        arabic_script_share=0.25, three_part_names=True),
    "mozambique": Diaspora(
        nationality="MZ", male=[(n, "") for n in MOZAMBICAN_MALE],
        female=[(n, "") for n in MOZAMBICAN_FEMALE], family=[(n, "") for n in MOZAMBICAN_FAMILY],
        residence=[("PT", 30), ("ZA", 30), ("BR", 12), ("GB", 10), ("DE", 10), ("FR", 8)],
        native="pt", others=[("ts", 0.25), ("sw", 0.08), ("fr", 0.08), ("ny", 0.05)],
        arabic_script_share=0.0, three_part_names=False),
}


@dataclass(frozen=True)
class SectorText:
    """What people of a sector studied, were called and wrote: (English, Portuguese) pairs."""

    fields: list[tuple[str, str]]
    titles: list[tuple[str, str]]
    home_employers: dict[str, list[str]]  # nationality -> employers back home
    employers_abroad: list[tuple[str, str]]  # (employer, country)
    achievements: list[tuple[str, str]]


INTERNATIONAL = ["UNICEF", "World Health Organization", "UNDP", "FAO", "World Bank", "UNESCO",
                 "UNHCR", "UNODC", "Save the Children", "Oxfam", "Norwegian Refugee Council"]

SECTORS = {
    "water_management": SectorText(
        fields=[("Civil Engineering", "Engenharia Civil"),
                ("Water Resources Engineering", "Engenharia de Recursos Hídricos"),
                ("Hydrology", "Hidrologia"),
                ("Environmental Engineering", "Engenharia do Ambiente"),
                ("Water Supply and Sanitation", "Abastecimento de Água e Saneamento")],
        titles=[("Hydraulic Engineer", "Engenheiro Hidráulico"),
                ("Water Resources Specialist", "Especialista em Recursos Hídricos"),
                ("WASH Programme Manager", "Gestor de Programa de Água e Saneamento"),
                ("Water Treatment Plant Manager", "Gestor de Estação de Tratamento de Água"),
                ("Hydrologist", "Hidrólogo")],
        home_employers={"SD": ["Ministry of Irrigation and Water Resources",
                               "Khartoum State Water Corporation",
                               "Hydraulics Research Centre, Wad Medani",
                               "Dams Implementation Unit"],
                        "MZ": ["Administração Regional de Águas do Sul (ARA-Sul)",
                               "Águas da Região de Maputo", "FIPAG",
                               "Direcção Nacional de Abastecimento de Água e Saneamento"]},
        employers_abroad=[("Royal HaskoningDHV", "NL"), ("Deltares", "NL"), ("Vitens", "NL"),
                          ("Thames Water", "GB"), ("Mott MacDonald", "GB"), ("GIZ", "DE"),
                          ("Saudi Water Authority", "SA"),
                          ("Dubai Electricity and Water Authority", "AE"),
                          ("Kahramaa", "QA"), ("Águas de Portugal", "PT"), ("Rand Water", "ZA"),
                          ("SABESP", "BR"), ("Veolia", "FR"), ("AECOM", "US"),
                          ("Stantec", "CA"), ("Holding Company for Water and Wastewater", "EG")],
        achievements=[("Designed rural water supply schemes serving more than 40,000 people.",
                       "Projectou sistemas rurais de abastecimento de água para mais de "
                       "40 000 pessoas."),
                      ("Trained plant operators in water treatment and quality monitoring.",
                       "Formou operadores em tratamento de água e controlo de qualidade."),
                      ("Led flood-risk studies for river basins.",
                       "Dirigiu estudos de risco de cheias em bacias hidrográficas.")]),
    "education": SectorText(
        fields=[("Education", "Ciências da Educação"),
                ("Curriculum Studies", "Desenvolvimento Curricular"),
                ("Mathematics Education", "Ensino da Matemática"),
                ("Educational Leadership", "Gestão Escolar"), ("Linguistics", "Linguística")],
        titles=[("Lecturer", "Docente universitário"),
                ("Curriculum Specialist", "Especialista em Currículo"),
                ("Education Adviser", "Assessor de Educação"),
                ("Head Teacher", "Director de Escola"),
                ("Teacher Trainer", "Formador de Professores")],
        home_employers={"SD": ["University of Khartoum", "Ministry of Education, Khartoum State",
                               "National Centre for Curriculum and Educational Research",
                               "Comboni College of Science and Technology"],
                        "MZ": ["Universidade Eduardo Mondlane",
                               "Ministério da Educação e Desenvolvimento Humano",
                               "Instituto Nacional de Desenvolvimento da Educação",
                               "Escola Secundária Josina Machel"]},
        employers_abroad=[("Pearson", "GB"), ("British Council", "GB"),
                          ("Ministry of Education", "SA"), ("Qatar Foundation", "QA"),
                          ("Abu Dhabi Department of Education and Knowledge", "AE"),
                          ("Agrupamento de Escolas de Almada", "PT"),
                          ("Gauteng Department of Education", "ZA"),
                          ("Toronto District School Board", "CA"), ("ROC Midden Nederland", "NL"),
                          ("Goethe-Institut", "DE"), ("Fairfax County Public Schools", "US")],
        achievements=[("Wrote the national lower-secondary science curriculum.",
                       "Elaborou o currículo nacional de ciências do ensino secundário."),
                      ("Ran training-of-trainers programmes for 300 teachers.",
                       "Coordenou programas de formação de formadores para 300 professores."),
                      ("Introduced learner-centred assessment in teacher colleges.",
                       "Introduziu a avaliação centrada no aluno nos institutos de formação.")]),
    "health": SectorText(
        fields=[("Medicine", "Medicina"), ("Public Health", "Saúde Pública"),
                ("Epidemiology", "Epidemiologia"), ("Nursing", "Enfermagem"),
                ("Health Economics", "Economia da Saúde")],
        titles=[("Public Health Specialist", "Especialista em Saúde Pública"),
                ("Epidemiologist", "Epidemiologista"), ("Medical Officer", "Médico"),
                ("Health Programme Coordinator", "Coordenador de Programas de Saúde"),
                ("Nurse Educator", "Enfermeiro Formador")],
        home_employers={"SD": ["Federal Ministry of Health", "Soba University Hospital",
                               "Ibn Sina Hospital, Khartoum", "National Public Health Laboratory"],
                        "MZ": ["Hospital Central de Maputo", "Instituto Nacional de Saúde",
                               "Ministério da Saúde", "Hospital Central da Beira"]},
        employers_abroad=[("National Health Service", "GB"), ("Charité", "DE"),
                          ("Ministry of Health", "SA"), ("Hamad Medical Corporation", "QA"),
                          ("Cleveland Clinic Abu Dhabi", "AE"),
                          ("Centers for Disease Control and Prevention", "US"),
                          ("Serviço Nacional de Saúde", "PT"),
                          ("Chris Hani Baragwanath Hospital", "ZA"), ("Fiocruz", "BR"),
                          ("Institut Pasteur", "FR"), ("Erasmus MC", "NL"),
                          ("Public Health Agency of Canada", "CA")],
        achievements=[("Coordinated cholera outbreak response in three states.",
                       "Coordenou a resposta a surtos de cólera em três províncias."),
                      ("Set up disease surveillance and reporting for district hospitals.",
                       "Montou a vigilância epidemiológica dos hospitais distritais."),
                      ("Trained community health workers in maternal and child health.",
                       "Formou agentes comunitários em saúde materno-infantil.")]),
    "agriculture": SectorText(
        fields=[("Agronomy", "Agronomia"), ("Agricultural Economics", "Economia Agrária"),
                ("Soil Science", "Ciência do Solo"), ("Plant Protection", "Protecção de Plantas"),
                ("Animal Production", "Produção Animal")],
        titles=[("Agronomist", "Agrónomo"),
                ("Agricultural Extension Specialist", "Especialista em Extensão Agrária"),
                ("Food Security Analyst", "Analista de Segurança Alimentar"),
                ("Irrigation Agronomist", "Agrónomo de Regadio"),
                ("Value Chain Adviser", "Assessor de Cadeias de Valor")],
        home_employers={"SD": ["Agricultural Research Corporation", "Gezira Scheme Board",
                               "Kenana Sugar Company", "Ministry of Agriculture and Forests"],
                        "MZ": ["Instituto de Investigação Agrária de Moçambique",
                               "Ministério da Agricultura e Desenvolvimento Rural",
                               "Açucareira de Xinavane", "Regadio do Chókwè"]},
        employers_abroad=[("Wageningen Environmental Research", "NL"), ("Syngenta", "GB"),
                          ("Almarai", "SA"), ("Al Dahra", "AE"), ("Hassad Food", "QA"),
                          ("Bayer Crop Science", "DE"), ("Embrapa", "BR"),
                          ("Agricultural Research Council", "ZA"),
                          ("Instituto Nacional de Investigação Agrária e Veterinária", "PT"),
                          ("CIRAD", "FR"), ("Cargill", "US"),
                          ("Agriculture and Agri-Food Canada", "CA")],
        achievements=[("Introduced drought-tolerant sorghum varieties with farmer groups.",
                       "Introduziu variedades de mapira tolerantes à seca com grupos de "
                       "camponeses."),
                      ("Designed extension programmes reaching 5,000 smallholders.",
                       "Desenhou programas de extensão para 5 000 pequenos produtores."),
                      ("Ran post-harvest loss reduction trials.",
                       "Conduziu ensaios de redução de perdas pós-colheita.")]),
    "corporate_governance": SectorText(
        fields=[("Business Administration", "Gestão de Empresas"), ("Accounting", "Contabilidade"),
                ("Law", "Direito"), ("Finance", "Finanças")],
        titles=[("Governance Adviser", "Assessor de Governação"),
                ("Compliance Manager", "Gestor de Conformidade"),
                ("Company Secretary", "Secretário da Sociedade"),
                ("Internal Audit Lead", "Responsável de Auditoria Interna")],
        home_employers={"SD": ["Bank of Khartoum", "Sudatel", "DAL Group",
                               "Khartoum Stock Exchange"],
                        "MZ": ["Banco de Moçambique", "Bolsa de Valores de Moçambique",
                               "Millennium bim", "Electricidade de Moçambique"]},
        employers_abroad=[("KPMG", "GB"), ("Deloitte", "NL"), ("PwC", "DE"),
                          ("Saudi Aramco", "SA"), ("Emirates NBD", "AE"), ("QatarEnergy", "QA"),
                          ("EY", "US"), ("Royal Bank of Canada", "CA"),
                          ("Commercial International Bank", "EG")],
        achievements=[("Wrote board charters and codes of conduct for state-owned enterprises.",
                       "Redigiu regimentos de conselhos de administração de empresas públicas."),
                      ("Built internal audit functions from scratch.",
                       "Criou funções de auditoria interna de raiz."),
                      ("Trained boards on risk oversight.",
                       "Formou conselhos de administração em supervisão de riscos.")]),
    "project_management": SectorText(
        fields=[("Project Management", "Gestão de Projectos"), ("Economics", "Economia"),
                ("Development Studies", "Estudos de Desenvolvimento"),
                ("Industrial Engineering", "Engenharia Industrial")],
        titles=[("Project Manager", "Gestor de Projectos"),
                ("Programme Coordinator", "Coordenador de Programa"),
                ("Monitoring and Evaluation Specialist", "Especialista em Monitoria e Avaliação"),
                ("PMO Lead", "Responsável do Gabinete de Projectos")],
        home_employers={"SD": ["Sudanese Red Crescent Society",
                               "Ministry of Finance and Economic Planning", "CTC Group",
                               "Zain Sudan"],
                        "MZ": ["Fundo de Desenvolvimento Distrital", "Mozal",
                               "Vodacom Moçambique", "Cruz Vermelha de Moçambique"]},
        employers_abroad=[("Arcadis", "NL"), ("Crown Agents", "GB"), ("GIZ", "DE"),
                          ("NEOM", "SA"), ("Emaar", "AE"), ("Ashghal", "QA"),
                          ("Chemonics", "US"), ("CANADEM", "CA"), ("Teixeira Duarte", "PT"),
                          ("Standard Bank", "ZA"), ("Vale", "BR"), ("Expertise France", "FR")],
        achievements=[("Managed donor-funded programmes worth USD 12 million.",
                       "Geriu programas financiados por doadores no valor de 12 milhões de USD."),
                      ("Set up results frameworks and M&E systems.",
                       "Montou quadros de resultados e sistemas de monitoria e avaliação."),
                      ("PMP-certified; coaches project teams in planning and risk management.",
                       "Certificado PMP; orienta equipas em planeamento e gestão de riscos.")]),
    "counter_trafficking": SectorText(
        fields=[("Law", "Direito"), ("Criminology", "Criminologia"),
                ("International Human Rights Law", "Direito Internacional dos Direitos Humanos"),
                ("Social Work", "Serviço Social")],
        titles=[("Criminal Investigator", "Investigador Criminal"),
                ("Public Prosecutor", "Procurador"),
                ("Anti-Trafficking Programme Officer", "Oficial de Programa Antitráfico"),
                ("Protection Officer", "Oficial de Protecção"),
                ("Migration Law Adviser", "Assessor Jurídico em Migrações")],
        home_employers={"SD": ["Sudan Police Force, Criminal Investigation Department",
                               "Ministry of Justice",
                               "National Committee to Combat Human Trafficking",
                               "Attorney General's Chambers"],
                        "MZ": ["Procuradoria-Geral da República",
                               "Polícia da República de Moçambique", "SERNIC",
                               "Tribunal Judicial da Cidade de Maputo"]},
        employers_abroad=[("Dutch National Police", "NL"), ("National Crime Agency", "GB"),
                          ("Federal Criminal Police Office (BKA)", "DE"),
                          ("Public Prosecution", "SA"), ("Dubai Police", "AE"),
                          ("Polícia Judiciária", "PT"), ("National Prosecuting Authority", "ZA"),
                          ("Ministério Público Federal", "BR"), ("La Strada International", "NL"),
                          ("Polaris Project", "US"), ("Royal Canadian Mounted Police", "CA")],
        achievements=[("Investigated cross-border trafficking and smuggling networks.",
                       "Investigou redes transfronteiriças de tráfico e contrabando."),
                      ("Trained prosecutors and judges on victim-centred approaches.",
                       "Formou procuradores e juízes em abordagens centradas na vítima."),
                      ("Drafted standard operating procedures for victim referral.",
                       "Elaborou procedimentos operacionais de referência de vítimas.")]),
    "disability_inclusion": SectorText(
        fields=[("Special Needs Education", "Educação Especial"),
                ("Rehabilitation Sciences", "Ciências da Reabilitação"),
                ("Psychology", "Psicologia")],
        titles=[("Braille Instructor", "Instrutor de Braille"),
                ("Special Education Teacher", "Professor de Educação Especial"),
                ("Orientation and Mobility Trainer", "Formador de Orientação e Mobilidade"),
                ("Assistive Technology Specialist", "Especialista em Tecnologias de Apoio")],
        home_employers={"SD": ["Al-Nour Institute for the Blind",
                               "Sudanese National Association of the Blind",
                               "Ministry of Social Development"],
                        "MZ": ["Associação dos Cegos e Amblíopes de Moçambique",
                               "Escola Especial n.º 1 de Maputo"]},
        employers_abroad=[("Royal Dutch Visio", "NL"),
                          ("Royal National Institute of Blind People", "GB"),
                          ("Deutscher Blinden- und Sehbehindertenverband", "DE"),
                          ("Prince Salman Center for Disability Research", "SA"),
                          ("Perkins School for the Blind", "US"), ("CNIB Foundation", "CA"),
                          ("Light for the World", "DE")],
        achievements=[("Taught Braille literacy and screen-reader use to adults.",
                       "Ensinou braille e leitores de ecrã a adultos."),
                      ("Set up an assistive technology lab for visually impaired students.",
                       "Criou um laboratório de tecnologias de apoio para estudantes cegos."),
                      ("Trained mainstream teachers in inclusive classrooms.",
                       "Formou professores do ensino regular para turmas inclusivas.")]),
    "media_development": SectorText(
        fields=[("Journalism", "Jornalismo"), ("Mass Communication", "Ciências da Comunicação"),
                ("Media Studies", "Estudos dos Media")],
        titles=[("Journalist", "Jornalista"), ("Editor", "Editor"),
                ("Media Trainer", "Formador de Jornalistas"),
                ("Radio Producer", "Produtor de Rádio")],
        home_employers={"SD": ["Sudan National Broadcasting Corporation",
                               "Sudan News Agency (SUNA)",
                               "Al-Tayar newspaper"],
                        "MZ": ["Rádio Moçambique", "Televisão de Moçambique", "Jornal Notícias",
                               "Instituto de Comunicação Social"]},
        employers_abroad=[("Radio Dabanga", "NL"), ("BBC World Service", "GB"),
                          ("Deutsche Welle", "DE"), ("Al Jazeera", "QA"),
                          ("Sky News Arabia", "AE"), ("Asharq Al-Awsat", "SA"),
                          ("RTP África", "PT"), ("SABC", "ZA"), ("Voice of America", "US"),
                          ("Radio France Internationale", "FR"), ("Globo", "BR")],
        achievements=[("Trained community radio teams in fact-checking and "
                       "conflict-sensitive reporting.",
                       "Formou equipas de rádios comunitárias em verificação de factos."),
                      ("Produced a weekly current-affairs programme.",
                       "Produziu um programa semanal de actualidade."),
                      ("Ran newsroom management workshops for editors.",
                       "Dinamizou oficinas de gestão de redacções para editores.")]),
    "child_protection": SectorText(
        fields=[("Social Work", "Serviço Social"), ("Psychology", "Psicologia"),
                ("Law", "Direito"), ("Sociology", "Sociologia")],
        titles=[("Child Protection Officer", "Oficial de Protecção da Criança"),
                ("Social Worker", "Assistente Social"),
                ("Case Management Specialist", "Especialista em Gestão de Casos"),
                ("Psychosocial Support Coordinator", "Coordenador de Apoio Psicossocial")],
        home_employers={"SD": ["Ministry of Social Development", "Child Welfare Council"],
                        "MZ": ["Ministério do Género, Criança e Acção Social",
                               "Save the Children Moçambique", "Linha Fala Criança",
                               "Direcção Provincial de Género, Criança e Acção Social de Nampula"]},
        employers_abroad=[("Santa Casa da Misericórdia de Lisboa", "PT"),
                          ("Childline South Africa", "ZA"), ("Barnardo's", "GB"),
                          ("SOS Children's Villages", "DE"), ("Terre des hommes", "FR"),
                          ("Conselho Tutelar de São Paulo", "BR")],
        achievements=[("Managed case management for unaccompanied and separated children.",
                       "Geriu a gestão de casos de crianças não acompanhadas e separadas."),
                      ("Trained police and social workers on child-friendly procedures.",
                       "Formou polícias e assistentes sociais em procedimentos amigos da criança."),
                      ("Set up community child protection committees.",
                       "Criou comités comunitários de protecção da criança.")]),
}
# A mission sector this file does not know (a new mission) still gets plausible text.
GENERIC_SECTOR = SectorText(
    fields=[("Development Studies", "Estudos de Desenvolvimento"),
            ("Public Administration", "Administração Pública")],
    titles=[("Technical Adviser", "Assessor Técnico"), ("Consultant", "Consultor")],
    home_employers={}, employers_abroad=[],
    achievements=[("Advised public institutions on capacity development.",
                   "Assessorou instituições públicas em desenvolvimento de capacidades.")])

INACTIVE_REASONS = [
    "Not available for assignments until further notice (expert's request).",
    "Contact details no longer valid; reactivate once the expert confirms them.",
    "On long-term contract abroad for the next two years.",
]
