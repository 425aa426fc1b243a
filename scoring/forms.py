"""Forms of the scoring pages. They parse what a person typed; scoring.services validates it.

Every service raises DomainError naming the input (`value`, `segment[2].operator`,
`fit_rules[0].points` …); `add_domain_error` puts the message next to the matching form field.
"""

from django import forms

from core.exceptions import DomainError
from leads.models import EventType
from scoring.catalogue import (
    ATTRIBUTE_PREFIX,
    FIELDS,
    LIST_VALUE_OPS,
    NO_VALUE_OPS,
    TEXT_OPS,
    Operator,
    field_def,
)
from scoring.models import EngagementMode

ATTRIBUTE_CHOICE = "attribute"
FIELD_LABELS = {
    "job_title": "Job title",
    "seniority": "Seniority",
    "department": "Department",
    "country": "Country",
    "source": "Source",
    "campaign": "Campaign",
    "email": "Email",
    "company.industry": "Company industry",
    "company.employee_count": "Company employees",
    "company.annual_revenue": "Company annual revenue",
    "company.country": "Company country",
    "company.tags": "Company tags",
    "company.domain": "Company domain",
}
FIELD_CHOICES = [("", "Choose a field…")]
FIELD_CHOICES += [(name, FIELD_LABELS.get(name, name)) for name in FIELDS]
FIELD_CHOICES += [(ATTRIBUTE_CHOICE, "Custom attribute…")]
VALUE_HELP = {
    "any": "Lists: comma-separated. Between: from, to. Empty for “is empty”.",
    "list": "Separate values with commas.",
    "between": "Two numbers separated by a comma, e.g. 100, 500.",
    "none": "This operator takes no value.",
}


def field_label(name: str) -> str:
    if name.startswith(ATTRIBUTE_PREFIX):
        return f"attribute {name[len(ATTRIBUTE_PREFIX) :]}"
    return FIELD_LABELS.get(name, name)


def value_text(value) -> str:
    """A stored rule value as a person types it: lists comma-separated, 500.0 as 500."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_value(operator: str, text: str):
    """The typed value in the shape the services expect for `operator`."""
    text = (text or "").strip()
    if operator in NO_VALUE_OPS:
        return text or None
    if operator == Operator.BETWEEN:
        return [part.strip() for part in text.split(",")] if text else None
    if operator in LIST_VALUE_OPS:
        return text  # the catalogue splits on commas and new lines
    return text


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's DomainError next to the field it names (or above the form)."""
    name = (exc.field or "").rsplit(".", 1)[-1]
    form.add_error(name if name in form.fields else None, exc.message)


class ScoringModelForm(forms.Form):
    """Name, description and the settings of a model (its segment has its own form)."""

    name = forms.CharField(max_length=100)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    is_active = forms.BooleanField(
        required=False, label="Active", help_text="Inactive models score nobody."
    )
    priority = forms.IntegerField(
        initial=0, help_text="When a contact matches several segments, the highest priority wins."
    )
    lookback_days = forms.IntegerField(
        label="Lookback (days)", initial=365, help_text="Older events count for nothing."
    )
    fit_min = forms.IntegerField(label="Fit at least", initial=50)
    engagement_min = forms.IntegerField(label="Engagement at least", initial=20)
    total_min = forms.IntegerField(
        label="Or total at least",
        required=False,
        help_text="Optional: MQL on the total alone.",
    )
    grade_a_min = forms.IntegerField(label="Grade A from fit", initial=80)
    grade_b_min = forms.IntegerField(label="Grade B from fit", initial=50)
    grade_c_min = forms.IntegerField(label="Grade C from fit", initial=20)

    SETTINGS = ("lookback_days", "fit_min", "engagement_min", "total_min")
    BANDS = ("grade_a_min", "grade_b_min", "grade_c_min")

    @classmethod
    def for_model(cls, model, data=None):
        initial = {name: getattr(model, name) for name in cls.base_fields}
        return cls(data, initial=initial)


class ConditionForm(forms.Form):
    """A field, an operator and a value: one fit rule, disqualifier or segment condition."""

    field = forms.ChoiceField(choices=FIELD_CHOICES, label="Field")
    attribute = forms.CharField(
        required=False, max_length=64, label="Attribute name", help_text="e.g. plan"
    )
    operator = forms.ChoiceField(choices=Operator.choices, label="Operator")
    value = forms.CharField(required=False, max_length=20_000, label="Value")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].widget.attrs["class"] = "refresh"
        # Any operator is accepted (the service explains a misfit next to the field); the menu
        # offers only those fitting the chosen field.
        self.fields["operator"].widget.choices = self.operator_choices()
        operator = self.current("operator")
        self.fields["value"].help_text = VALUE_HELP["any"]
        if operator in NO_VALUE_OPS:
            self.fields["value"].help_text = VALUE_HELP["none"]
        elif operator == Operator.BETWEEN:
            self.fields["value"].help_text = VALUE_HELP["between"]
        elif operator in LIST_VALUE_OPS:
            self.fields["value"].help_text = VALUE_HELP["list"]
            self.fields["value"].widget = forms.Textarea(attrs={"rows": 2})

    def current(self, name: str) -> str:
        if self.is_bound:
            return self.data.get(self.add_prefix(name), "")
        return self.initial.get(name, "") or ""

    def field_name(self) -> str:
        """The catalogue name of the chosen field ("attributes.plan" for a custom attribute)."""
        chosen = self.current("field")
        if chosen == ATTRIBUTE_CHOICE:
            return ATTRIBUTE_PREFIX + self.current("attribute").strip()
        return chosen

    def operator_choices(self) -> list[tuple[str, str]]:
        """Only the operators that fit the chosen field's type (all of them before a choice)."""
        try:
            operators = field_def(self.field_name(), field="field").operators
        except DomainError:
            operators = ()
        if not operators and self.current("field") == ATTRIBUTE_CHOICE:
            operators = TEXT_OPS
        labels = dict(Operator.choices)
        if not operators:
            return [("", "Choose a field first")] + list(Operator.choices)
        return [(op.value, labels[op]) for op in operators]

    @property
    def is_attribute(self) -> bool:
        return self.current("field") == ATTRIBUTE_CHOICE

    def condition_data(self) -> dict:
        operator = self.cleaned_data.get("operator") or self.current("operator")
        return {
            "field": self.field_name(),
            "operator": operator,
            "value": parse_value(operator, self.cleaned_data.get("value", "")),
        }

    @staticmethod
    def initial_from(data: dict) -> dict:
        name = data.get("field") or ""
        attribute = ""
        if name.startswith(ATTRIBUTE_PREFIX):
            name, attribute = ATTRIBUTE_CHOICE, name[len(ATTRIBUTE_PREFIX) :]
        return {
            "field": name,
            "attribute": attribute,
            "operator": data.get("operator") or "",
            "value": value_text(data.get("value")),
        }


class FitRuleForm(ConditionForm):
    points = forms.CharField(
        max_length=12, label="Points", help_text="Negative points lower the fit."
    )

    def rule_data(self) -> dict:
        return {**self.condition_data(), "points": self.cleaned_data.get("points", "")}

    @classmethod
    def initial_for(cls, rule) -> dict:
        return {**cls.initial_from(rule.__dict__), "points": rule.points}


class DisqualifierForm(ConditionForm):
    label = forms.CharField(
        max_length=100, label="Label", help_text="Shown to users, e.g. “Competitor”."
    )

    field_order = ["label", "field", "attribute", "operator", "value"]

    def rule_data(self) -> dict:
        return {**self.condition_data(), "label": self.cleaned_data.get("label", "")}

    @classmethod
    def initial_for(cls, rule) -> dict:
        return {**cls.initial_from(rule.__dict__), "label": rule.label}


EVENT_CHOICES = [("", "Choose an event type…")] + list(EventType.choices)
PROPERTY_OPERATORS = [("", "—")] + [(op.value, op.label) for op in TEXT_OPS]


class EngagementRuleForm(forms.Form):
    event_type = forms.ChoiceField(choices=EVENT_CHOICES, label="Event type")
    property_name = forms.CharField(
        required=False,
        max_length=64,
        label="Event property",
        help_text="Optional, e.g. url",
    )
    property_operator = forms.ChoiceField(
        required=False, choices=PROPERTY_OPERATORS, label="Property operator"
    )
    property_value = forms.CharField(
        required=False, max_length=20_000, label="Property value", help_text="e.g. /pricing"
    )
    mode = forms.ChoiceField(choices=EngagementMode.choices, label="Points are given")
    points = forms.CharField(max_length=12, label="Points")
    cap = forms.CharField(
        required=False, max_length=12, label="Cap", help_text="Most points this rule gives."
    )
    min_count = forms.CharField(
        required=False, max_length=12, label="Count N", help_text="Occurrences needed."
    )
    window_days = forms.CharField(
        required=False,
        max_length=12,
        label="Within the last (days)",
        help_text="Empty: the model's lookback.",
    )
    half_life_days = forms.CharField(
        required=False,
        max_length=12,
        label="Decay half-life (days)",
        help_text="Optional: points halve every H days.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mode"].widget.attrs["class"] = "refresh"

    @property
    def per_occurrence(self) -> bool:
        source = self.data if self.is_bound else self.initial
        return source.get(self.add_prefix("mode")) != EngagementMode.ONCE_AT_COUNT

    def rule_data(self) -> dict:
        data = {name: self.cleaned_data.get(name, "") for name in self.fields}
        data["property_value"] = parse_value(data["property_operator"], data["property_value"])
        if self.per_occurrence:
            data["min_count"] = None
        else:
            data["cap"] = data["half_life_days"] = None
        return data

    @classmethod
    def initial_for(cls, rule) -> dict:
        initial = {name: getattr(rule, name) for name in cls.base_fields}
        for name in ("cap", "min_count", "window_days", "half_life_days", "property_value"):
            initial[name] = value_text(initial[name])
        return initial


RULE_FORMS = {
    "fit_rules": FitRuleForm,
    "engagement_rules": EngagementRuleForm,
    "disqualifiers": DisqualifierForm,
}


class PublishForm(forms.Form):
    note = forms.CharField(
        max_length=2000,
        label="Change note",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "What changed and why?"}),
    )


class DiffForm(forms.Form):
    a = forms.IntegerField(label="From version", min_value=1)
    b = forms.IntegerField(label="To version", min_value=1)
