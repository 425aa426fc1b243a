from django.contrib import admin

from leads.models import ActivityEvent, Company, Contact, ImportJob, StageChange
from leads.services import company_update, company_upsert, contact_create, contact_update


def _changes(form) -> dict:
    """The fields the admin's form changed, with their new values."""
    return {field: form.cleaned_data[field] for field in form.changed_data}


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    """Saves go through company_upsert / company_update, which queue the rescore of the
    company's contacts."""

    list_display = ["name", "domain", "industry", "employee_count", "country"]
    search_fields = ["name", "domain"]
    list_filter = ["industry", "country"]

    def save_model(self, request, obj, form, change):
        if change:
            # The form has already copied its values onto obj: compare with the stored row.
            saved = company_update(company=Company.objects.get(pk=obj.pk), data=_changes(form))
        else:
            saved = company_upsert(domain=obj.domain, data=form.cleaned_data)
        obj.pk, obj.domain, obj.updated_at = saved.pk, saved.domain, saved.updated_at
        obj._state.adding = False


class StageChangeInline(admin.TabularInline):
    model = StageChange
    fields = ["changed_at", "from_stage", "to_stage", "actor_user", "actor_system", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-changed_at", "-id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    """Saves go through contact_create / contact_update, which queue the contact's rescore. The
    stage is read-only here: stage_change writes it, from the contact page or the API."""

    list_display = ["email", "first_name", "last_name", "company", "lifecycle_stage", "owner"]
    list_filter = ["lifecycle_stage", "source"]
    search_fields = ["email", "first_name", "last_name", "company__name"]
    list_select_related = ["company", "owner"]
    raw_id_fields = ["company", "owner"]
    readonly_fields = ["lifecycle_stage", "stage_entered_at", "created_at", "updated_at"]
    inlines = [StageChangeInline]
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        if change:
            # The form has already copied its values onto obj: compare with the stored row, and
            # write only what changed, so a concurrent stage change is never overwritten.
            saved = contact_update(contact=Contact.objects.get(pk=obj.pk), data=_changes(form))
        else:
            data = {field: value for field, value in form.cleaned_data.items() if field != "email"}
            saved = contact_create(
                email=form.cleaned_data["email"],
                data=data,
                by=request.user,
                reason="Created in admin",
            )
        obj.pk, obj.email, obj.updated_at = saved.pk, saved.email, saved.updated_at
        obj.lifecycle_stage, obj.stage_entered_at = saved.lifecycle_stage, saved.stage_entered_at
        obj._state.adding = False


@admin.register(ActivityEvent)
class ActivityEventAdmin(admin.ModelAdmin):
    list_display = ["event_type", "contact", "occurred_at", "source", "external_id"]
    list_filter = ["event_type", "source"]
    search_fields = ["contact__email", "external_id"]
    raw_id_fields = ["contact"]
    list_select_related = ["contact"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False


@admin.register(StageChange)
class StageChangeAdmin(admin.ModelAdmin):
    """Append-only history: readable, never added, changed or deleted here."""

    list_display = ["contact", "from_stage", "to_stage", "changed_at", "actor_label", "override"]
    list_filter = ["to_stage", "override", "actor_system"]
    search_fields = ["contact__email", "reason"]
    list_select_related = ["contact", "actor_user"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Read-only: jobs are written by the import service; admins look and delete old ones."""

    list_display = [
        "original_filename",
        "created_by",
        "status",
        "total_rows",
        "created_count",
        "updated_count",
        "rejected_count",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["original_filename", "created_by__username"]
    exclude = ["rejected_rows"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
