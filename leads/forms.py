"""Forms of the HTML pages (the API has its serializers; both call the same services)."""

from django import forms
from django.contrib.auth import get_user_model

from core.people import display_name
from leads.filters import CompanyFilter, ContactFilter
from leads.models import LifecycleStage


class ContactPageFilter(ContactFilter):
    """ContactFilter with widgets for people: stage checkboxes, date pickers, owners by name."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.form.fields
        # "autosubmit" fields refresh the results as soon as they change (htmx, see the template).
        fields["stage"].widget = forms.CheckboxSelectMultiple(
            choices=fields["stage"].choices, attrs={"class": "autosubmit"}
        )
        fields["search"].widget = forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Name, email or company",
                "aria-label": "Search contacts",
            }
        )
        for name in ("created_after", "created_before"):
            fields[name].widget = forms.DateInput(attrs={"type": "date", "class": "autosubmit"})
            fields[name].help_text = ""
        fields["created_after"].label = "Created from"
        fields["created_before"].label = "Created before"
        if user.has_perm("leads.view_all_contacts"):
            fields["owner"].queryset = (
                get_user_model().objects.filter(is_active=True).order_by("username")
            )
            fields["owner"].label_from_instance = display_name
            fields["owner"].empty_label = "Anyone"
            fields["owner"].widget.attrs["class"] = "autosubmit"
        else:
            # Reps see only their own contacts: an owner filter would only confuse.
            del fields["owner"]


class CompanyPageFilter(CompanyFilter):
    """CompanyFilter with widgets for people."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.form.fields
        fields["search"].widget = forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Name or domain",
                "aria-label": "Search companies",
            }
        )
        fields["industry"].widget.attrs["placeholder"] = "e.g. Software"
        fields["country"].widget.attrs.update({"placeholder": "e.g. DE", "maxlength": 2})


class StageChangeForm(forms.Form):
    """Input of leads.services.stage_change from the contact page."""

    to_stage = forms.ChoiceField(label="New stage", choices=LifecycleStage.choices)
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Why does the stage change?"}),
    )
    override = forms.BooleanField(
        label="Override: skip stages on purpose",
        required=False,
        help_text="Needed for a forward move that skips stages, e.g. lead → customer.",
    )

    def __init__(self, *args, current_stage: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_stage"].choices = [("", "Choose a stage…")] + [
            (value, label) for value, label in LifecycleStage.choices if value != current_stage
        ]
