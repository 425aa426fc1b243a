"""Sales' decision on the MQL page (a panel of handoff.hooks.mql_page_panels): the accept and
reject forms while the MQL is open and the user may decide it, the decision once it is made."""

from dataclasses import dataclass

from django import forms as django_forms

from core.hooks import Panel
from feedback.forms import AcceptForm, RejectForm
from feedback.models import Decision
from handoff.models import Mql, MqlStatus
from handoff.services import mql_can_act


@dataclass(frozen=True)
class DecisionPanel:
    mql: Mql
    decision: Decision | None = None
    accept_form: django_forms.Form | None = None
    reject_form: django_forms.Form | None = None


def decision_panel_for_page(*, user, mql: Mql, forms: dict) -> Panel | None:
    """The decision once made; while the MQL is open, the forms for roles that decide MQLs and
    users who may act on this one (bound, with their errors, after a refused decision)."""
    template = "feedback/partials/decision_panel.html"
    if mql.status != MqlStatus.OPEN:
        decision = getattr(mql, "decision", None)  # none when closed outside the queue
        return Panel(template, DecisionPanel(mql, decision=decision)) if decision else None
    if not (user.has_perm("handoff.change_mql") and mql_can_act(user=user, mql=mql)):
        return None
    return Panel(
        template,
        DecisionPanel(
            mql,
            accept_form=forms.get("accept") or AcceptForm(),
            reject_form=forms.get("reject") or RejectForm(),
        ),
    )
