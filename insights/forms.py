"""Forms of insights' pages (the API has its serializers; both call the same services)."""

from django import forms

from insights.filters import SpendFilter
from insights.models import CampaignSpend


class SpendForm(forms.Form):
    """Add or edit a month's spend of a campaign on a channel (services.spend_upsert /
    spend_update check the values)."""

    campaign = forms.CharField(
        max_length=CampaignSpend._meta.get_field("campaign").max_length,
        help_text="As contacts and events carry it",
    )
    channel = forms.CharField(
        max_length=CampaignSpend._meta.get_field("channel").max_length,
        help_text="The source contacts come from, e.g. google_ads",
    )
    month = forms.CharField(
        max_length=10,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
        help_text="YYYY-MM",
    )
    amount = forms.DecimalField(
        min_value=0,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].label = f"Amount ({currency})"


class SpendPageFilter(SpendFilter):
    """SpendFilter with labels for people."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.form.fields
        fields["campaign"].widget.attrs["placeholder"] = "Any campaign"
        fields["channel"].widget.attrs["placeholder"] = "Any channel"
        fields["month_from"].label = "From month"
        fields["month_to"].label = "To month"
        for name in ("month_from", "month_to"):
            fields[name].help_text = ""
