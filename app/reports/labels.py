"""The reports' words, in the reader's language: sections, tables, columns and notes. The
coded values reuse the labels of the domains they come from."""

from __future__ import annotations

from app.assignment_requests import labels as request_labels
from app.assignments import labels as assignment_labels
from app.experts import labels as expert_labels
from app.i18n import gettext as _
from app.trainings import labels as training_labels
from app.web.reference import country_name, language_label

sexes = training_labels.sexes


def genders() -> dict[str, str]:
    return dict(expert_labels.genders())


def section(key: str) -> str:
    return {"registry": _("Expert registry"), "demand": _("Demand"),
            "assignments": _("Assignments"), "trainings": _("Trainings"),
            "supply": _("Supply against demand"), "outputs": _("People trained"),
            "other_agencies": _("The mission's other partner agencies"),
            "missions": _("Missions")}[key]


def table(key: str) -> str:
    return {
        "experts_by_status": _("Experts by status"),
        "experts_by_sector": _("Experts by sector"),
        "experts_by_country": _("Experts by country of residence"),
        "experts_by_sex": _("Experts by sex"),
        "experts_by_language": _("Experts by language"),
        "registrations_by_month": _("New registrations per month"),
        "requests_by_state": _("Requests by state"),
        "requests_by_sector": _("Requests by sector"),
        "time_to_fill": _("Fill rate and time to fill"),
        "assignments_by_status": _("Assignments by status"),
        "assignments_by_sector": _("Assignments by sector"),
        "completed_by_quarter": _("Assignments completed per quarter"),
        "trainings_by_quarter": _("Activities and participants per quarter"),
        "participants_by_sex": _("Participants by sex"),
        "trainings_by_target_group": _("Activities and participants by target group"),
        "trainings_by_area": _("Participants by thematic area"),
        "trainings_by_agency": _("Participants by partner agency"),
        "cascade_reach": _("Cascade reach of trainings of trainers"),
        "gain_by_area": _("Average pre/post-test gain by thematic area"),
        "supply_by_sector": _("Open requests and available experts by sector"),
        "supply_by_skill": _("Open requests and available experts by required skill"),
        "mission_totals": _("Every mission's figures"),
        "people_trained": _("People trained, each counted once"),
    }[key]


def note(key: str) -> str:
    return {
        "several_sectors": _("An expert working in several sectors counts in each of them."),
        "several_languages": _("An expert speaking several languages counts in each of them."),
        "time_to_fill": _("Requests opened to experts. Filled: an expert was selected and the "
                          "assignment was not cancelled. Days are medians from opening to the "
                          "shortlist shared with the institution and to the first selection."),
        "evaluation": _("The mean of the host institutions' accepted evaluations, from 1 to 5."),
        "cascade": _("Sessions held below each training of trainers, at any depth, and the "
                     "participants they reached."),
        "gain": _("Persons who took both the pre-test and the post-test (0 to 100): each "
                  "participant listed by name once, and a counted activity's averages "
                  "weighted by how many it tested. The gain is the post-test less the "
                  "pre-test."),
        "supply": _("Available: verified, consenting to matching, on no current assignment and "
                    "not away today. The gap is how many more experts the open requests want "
                    "than the mission can propose now."),
        "skills": _("Skills the open requests require. An expert counts for each skill they "
                    "hold."),
        "mission_totals": _("Experts registered, assignments completed and activities held in "
                            "the period; requests open now; people trained by activities and "
                            "assignments, each counted once. Each mission's trail records "
                            "that HQ read its figures."),
        "counted_once": _("An assignment's outputs count only when no activity held is linked "
                          "to it; otherwise the activity's participants count, once. "
                          "Assignments count in the period they ended. Assignments have no "
                          "partner agency nor thematic area and activities no sector: a "
                          "filter on one leaves the other out."),
    }[key]


def profile_statuses() -> dict[str, str]:
    return {"draft": _("Draft"), "submitted": _("Submitted"), "verified": _("Verified"),
            "inactive": _("Inactive"), "withdrawn": _("Withdrawn"), "rejected": _("Rejected")}


def request_statuses() -> dict[str, str]:
    return dict(request_labels.statuses())


def assignment_statuses() -> dict[str, str]:
    return dict(assignment_labels.statuses())


def country(code: str, locale: str) -> str:
    return country_name(code, locale) or _("Not stated")


def language(code: str, locale: str) -> str:
    return language_label(code, locale)


def own_agency(name: str) -> str:
    return _("%(agency)s: our activities") % {"agency": name}


def total() -> str:
    return _("Total")


def not_stated() -> str:
    return _("Not stated")


def no_sector() -> str:
    return _("No sector")


def all_sectors() -> str:
    return _("All sectors")


# Column headings.
def status_head() -> str:
    return _("Status")


def sector_head() -> str:
    return _("Sector")


def country_head() -> str:
    return _("Country of residence")


def sex_head() -> str:
    return _("Sex")


def language_head() -> str:
    return _("Language")


def month_head() -> str:
    return _("Month")


def quarter_head() -> str:
    return _("Quarter")


def target_group_head() -> str:
    return _("Target group")


def area_head() -> str:
    return _("Thematic area")


def agency_head() -> str:
    return _("Partner agency")


def tot_head() -> str:
    return _("Training of trainers")


def skill_head() -> str:
    return _("Skill")


def experts() -> str:
    return _("Experts")


def registrations() -> str:
    return _("Registrations")


def requests() -> str:
    return _("Requests")


def opened() -> str:
    return _("Opened")


def filled() -> str:
    return _("Filled")


def fill_rate() -> str:
    return _("Fill rate")


def days_to_shortlist() -> str:
    return _("Median days to shortlist")


def days_to_selection() -> str:
    return _("Median days to selection")


def assignments() -> str:
    return _("Assignments")


def completed() -> str:
    return _("Completed")


def average_evaluation() -> str:
    return _("Average evaluation")


def activities() -> str:
    return _("Activities")


def participants() -> str:
    return _("Participants")


def cascade_sessions() -> str:
    return _("Cascade sessions")


def trained_directly() -> str:
    return _("Trained directly")


def reached_through_cascades() -> str:
    return _("Reached through cascades")


def open_requests() -> str:
    return _("Open requests")


def experts_wanted() -> str:
    return _("Experts wanted")


def experts_ready() -> str:
    return _("Available experts")


def gap() -> str:
    return _("Gap")


def mission_head() -> str:
    return _("Mission")


def verified_experts() -> str:
    return _("Verified experts")


def completed_assignments() -> str:
    return _("Assignments completed")


def female_participants() -> str:
    return _("Female participants")


def tested() -> str:
    return _("Persons tested")


def average_pre() -> str:
    return _("Average pre-test score")


def average_post() -> str:
    return _("Average post-test score")


def average_gain() -> str:
    return _("Average gain (points)")


def all_areas() -> str:
    return _("All thematic areas")


def women_trained() -> str:
    return _("Women trained")


def people_trained() -> str:
    return _("People trained")


def record_head() -> str:
    return _("Recorded on")


def trained_records() -> dict[str, str]:
    return {"activities": _("Activities of partner agencies"),
            "assignments": _("Assignments without a linked activity")}
