"""Forms of sales' decision on the MQL page (feedback.decision_panel renders them there).

Forms only parse input; the rules (who may act, open or not, active reason) are in
feedback.services and handoff.services, whose DomainError is shown next to the field it names.
"""

from django import forms

from feedback.models import Disposition, RejectReason


class AcceptForm(forms.Form):
    note = forms.CharField(
        required=False, label="Note (optional)", widget=forms.Textarea(attrs={"rows": 2})
    )


class RejectForm(forms.Form):
    reason = forms.ModelChoiceField(
        queryset=RejectReason.objects.filter(is_active=True),
        empty_label="Choose a reason…",
        error_messages={"required": "Choose a reason from the list."},
    )
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    disposition = forms.ChoiceField(
        choices=Disposition.choices, initial=Disposition.NURTURE, widget=forms.RadioSelect
    )
