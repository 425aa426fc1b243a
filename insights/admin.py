"""The Django admin of insights. Every write is a call of insights.services, as from the API, the
pages and the CSV imports: a deal saved here moves its contact's stage through leads' one stage
writer (actor "deals"), a spend row is one per campaign, channel and month. What has no writer
here is read-only: deals are never deleted (there is no service for it), backtests are written
only by insights.backtest.

A form here validates by running its service on a savepoint that is rolled back: a refusal
(DomainError) shows next to its field and nothing is written; the save then calls the service
for real. The model's own checks are left to the service, which completes what they would refuse
(a won deal without a close date is closed now, a spend month is its first day)."""

from django import forms
from django.contrib import admin
from django.db import transaction
from django.forms.models import construct_instance

from core.exceptions import DomainError
from insights.models import Backtest, CampaignSpend, Deal
from insights.services import (
    DEAL_FIELDS,
    deal_update,
    deal_upsert,
    spend_delete,
    spend_update,
    spend_upsert,
)


class _DryRun(Exception):
    """Rolls back a write made only to validate."""


class ServiceForm(forms.ModelForm):
    """A model form whose save is a service call (write()); see the module docstring."""

    def write(self):
        """Call the service with the form's data; return the saved object."""
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            with transaction.atomic():
                self.write()
                raise _DryRun
        except _DryRun:
            pass
        except DomainError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return cleaned

    def _post_clean(self):
        # Copy the values onto the instance without the model's validation: write() ran the
        # service's, which is the rule.
        opts = self._meta
        self.instance = construct_instance(self, self.instance, opts.fields, opts.exclude)

    def changes(self) -> dict:
        """The fields the form changed, with their new values."""
        return {name: self.cleaned_data[name] for name in self.changed_data}


class ServiceAdmin(admin.ModelAdmin):
    """Saves call the form's write() (a service) and show what it stored."""

    def save_model(self, request, obj, form, change):
        saved = form.write()
        for field in obj._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False


# --- deals ----------------------------------------------------------------------------------------


class DealForm(ServiceForm):
    class Meta:
        model = Deal
        fields = [
            "contact",
            "company",
            "name",
            "amount",
            "stage",
            "created_at",
            "closed_at",
            "lost_reason",
            "source",
            "external_id",
        ]
        help_texts = {
            "company": "Empty on a new deal: the contact's company.",
            "created_at": "When the deal was created in the CRM; empty on a new deal: now (or "
            "its close date).",
            "closed_at": "Only for a won or lost deal; empty: when it is saved as won or lost.",
            "lost_reason": "Kept on lost deals only.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["created_at"].required = False

    def write(self) -> Deal:
        if self.instance.pk is not None:
            stored = Deal.objects.get(pk=self.instance.pk)
            data = {k: v for k, v in self.changes().items() if k in DEAL_FIELDS}
            return deal_update(deal=stored, data=data).deal
        data = {name: self.cleaned_data[name] for name in DEAL_FIELDS if name in self.fields}
        if data.get("company") is None:
            data.pop("company", None)  # the contact's company (deal_upsert's default)
        return deal_upsert(
            data=data,
            source=self.cleaned_data.get("source", ""),
            external_id=self.cleaned_data.get("external_id", ""),
        ).deal


@admin.register(Deal)
class DealAdmin(ServiceAdmin):
    """Adds and changes go through deal_upsert / deal_update (the contact moves to opportunity or
    customer as with the API); no deletes: no service removes a deal."""

    form = DealForm
    list_display = [
        "name",
        "contact",
        "company",
        "amount",
        "currency",
        "stage",
        "created_at",
        "closed_at",
        "source",
        "external_id",
    ]
    list_filter = ["stage", "source", "created_at", "closed_at"]
    search_fields = ["name", "contact__email", "company__name", "external_id", "lost_reason"]
    list_select_related = ["contact", "company"]
    raw_id_fields = ["contact", "company"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        readonly = ["currency", "recorded_at", "updated_at"]
        if obj is not None:
            # A deal is identified by its source and external id: they never change.
            readonly = ["source", "external_id", *readonly]
        return readonly

    def has_delete_permission(self, request, obj=None):
        return False


# --- campaign spend -----------------------------------------------------------------------------


class CampaignSpendForm(ServiceForm):
    class Meta:
        model = CampaignSpend
        fields = ["campaign", "channel", "month", "amount"]
        help_texts = {
            "month": "Any day of the month: the month's first day is stored. Adding a month that "
            "has a row replaces its amount."
        }

    def write(self) -> CampaignSpend:
        if self.instance.pk is not None:
            stored = CampaignSpend.objects.get(pk=self.instance.pk)
            return spend_update(spend=stored, data=self.changes())
        fields = ("campaign", "channel", "month", "amount")
        spend, _ = spend_upsert(**{name: self.cleaned_data[name] for name in fields})
        return spend


@admin.register(CampaignSpend)
class CampaignSpendAdmin(ServiceAdmin):
    """Adds, changes and deletes go through spend_upsert / spend_update / spend_delete."""

    form = CampaignSpendForm
    list_display = ["month", "campaign", "channel", "amount", "updated_at"]
    list_filter = ["channel", "month"]
    search_fields = ["campaign", "channel"]
    date_hierarchy = "month"
    readonly_fields = ["updated_at"]

    def delete_model(self, request, obj):
        spend_delete(spend=obj)

    def delete_queryset(self, request, queryset):
        for spend in queryset:
            spend_delete(spend=spend)


# --- backtests ------------------------------------------------------------------------------------


@admin.register(Backtest)
class BacktestAdmin(admin.ModelAdmin):
    """Read-only: backtests are written only by insights.backtest (backtest_start, backtest_run)."""

    list_display = [
        "pk",
        "scoring_model",
        "status",
        "days",
        "as_of",
        "include_new",
        "started_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "include_new"]
    search_fields = ["scoring_model__name", "started_by__username"]
    list_select_related = ["scoring_model", "started_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
