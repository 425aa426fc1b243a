"""The score panel of the contact page: current score, why, and its history for the chart."""

from dataclasses import dataclass

from core.hooks import Column, Panel
from leads.models import Contact
from scoring.describe import ExplainedRule, score_explained
from scoring.models import ContactScore, ScoreHistory
from scoring.selectors import contact_score_for_user, current_scores_of

HISTORY_POINTS = 200  # the latest changes shown in the chart


@dataclass(frozen=True)
class ScorePanel:
    score: ContactScore | None
    explained: list[ExplainedRule]
    thresholds: dict  # fit_min, engagement_min, total_min of the version that scored
    history: list[dict]  # [{"at": iso, "total", "fit", "engagement"}], oldest first

    @property
    def fit_rules(self) -> list[ExplainedRule]:
        return [r for r in self.explained if r.kind == "fit"]

    @property
    def engagement_rules(self) -> list[ExplainedRule]:
        return [r for r in self.explained if r.kind == "engagement"]

    @property
    def blocking(self) -> ExplainedRule | None:
        return next((r for r in self.explained if r.kind == "disqualifier"), None)


def score_panel(*, user, contact: Contact) -> ScorePanel:
    """The panel for a contact the user may see (404 otherwise, like the page itself)."""
    _, score = contact_score_for_user(user=user, contact_id=contact.pk)
    if score is None:
        return ScorePanel(score=None, explained=[], thresholds={}, history=[])
    definition = score.model_version.definition
    rows = (
        ScoreHistory.objects.filter(contact=contact, model_id=score.model_id)
        .order_by("-recorded_at", "-id")
        .values_list("recorded_at", "total", "fit", "engagement")[:HISTORY_POINTS]
    )
    history = [
        {"at": at.isoformat(), "total": total, "fit": fit, "engagement": engagement}
        for at, total, fit, engagement in reversed(rows)
    ]
    return ScorePanel(
        score=score,
        explained=score_explained(score),
        thresholds={k: definition.get(k) for k in ("fit_min", "engagement_min", "total_min")},
        history=history,
    )


def score_panel_for_page(*, user, contact: Contact) -> Panel | None:
    """The contact page's score panel (leads.hooks.contact_page_panels), for roles that read
    scoring models; the chart's scripts only when there is a history to draw."""
    if not user.has_perm("scoring.view_scoringmodel"):
        return None
    panel = score_panel(user=user, contact=contact)
    scripts = ("vendor/chartjs/chart.umd.min.js", "js/score-chart.js") if panel.history else ()
    return Panel(template="scoring/partials/score_panel.html", context=panel, scripts=scripts)


def score_column(*, user) -> Column | None:
    """The contacts page's score column (leads.hooks.contact_list_columns): grade and total of
    each shown contact's current score, for roles that read scoring models."""
    if not user.has_perm("scoring.view_scoringmodel"):
        return None
    return Column(
        label="Score", values=current_scores_of, template="scoring/partials/score_cell.html"
    )
