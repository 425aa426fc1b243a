"""The inputs of the calibration pages and API, validated once (the API's serializers mirror
these bounds): the period, the frontier's target, a threshold pair, a backtest."""

from django import forms

from insights.backtest import MAX_DAYS

DEFAULT_DAYS = 180
DEFAULT_MONTHS = 6
MAX_MONTHS = 24
MAX_POINTS = 100_000


class PeriodForm(forms.Form):
    days = forms.IntegerField(
        min_value=1,
        max_value=MAX_DAYS,
        required=False,
        label="Decisions of the last (days)",
        help_text="The rule report and the score grid count the MQLs decided in this period.",
    )

    def clean_days(self):
        return self.cleaned_data["days"] or DEFAULT_DAYS


class FrontierForm(forms.Form):
    months = forms.IntegerField(
        min_value=1,
        max_value=MAX_MONTHS,
        required=False,
        label="Over the last (months)",
        widget=forms.NumberInput(attrs={"placeholder": str(DEFAULT_MONTHS)}),
    )
    min_sql_rate = forms.FloatField(
        min_value=0,
        max_value=100,
        required=False,
        label="MQL→SQL at least (%)",
        widget=forms.NumberInput(attrs={"step": "any", "placeholder": "e.g. 30"}),
    )
    max_per_month = forms.FloatField(
        min_value=0,
        max_value=10_000_000,
        required=False,
        label="MQLs a month at most",
        widget=forms.NumberInput(attrs={"step": "any", "placeholder": "e.g. 300"}),
    )
    min_per_month = forms.FloatField(
        min_value=0,
        max_value=10_000_000,
        required=False,
        label="MQLs a month at least",
        widget=forms.NumberInput(attrs={"step": "any"}),
    )

    def clean_months(self):
        return self.cleaned_data["months"] or DEFAULT_MONTHS

    def target(self) -> dict:
        rate = self.cleaned_data.get("min_sql_rate")
        return {
            "min_sql_rate": None if rate is None else rate / 100,
            "max_per_month": self.cleaned_data.get("max_per_month"),
            "min_per_month": self.cleaned_data.get("min_per_month"),
        }


class ThresholdsForm(forms.Form):
    fit_min = forms.IntegerField(min_value=-MAX_POINTS, max_value=MAX_POINTS)
    engagement_min = forms.IntegerField(min_value=0, max_value=MAX_POINTS)
    total_min = forms.IntegerField(min_value=-MAX_POINTS, max_value=MAX_POINTS, required=False)


class BacktestForm(forms.Form):
    days = forms.IntegerField(
        min_value=1, max_value=MAX_DAYS, initial=90, label="Decisions of the last (days)"
    )
    include_new = forms.BooleanField(
        required=False, initial=True, label="Also look for contacts that were never an MQL"
    )
