from django.contrib import admin

from leads.models import ActivityEvent, Company, Contact, ImportJob, StageChange
from leads.services import contact_create


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "domain", "industry", "employee_count", "country"]
    search_fields = ["name", "domain"]
    list_filter = ["industry", "country"]


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
    """The stage is read-only here: it changes on the contact page or through the API."""

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
            # Only what the form changed, so a concurrent stage change is never overwritten.
            if form.changed_data:
                obj.save(update_fields=[*form.changed_data, "updated_at"])
            return
        data = {f: form.cleaned_data[f] for f in form.cleaned_data if f != "email"}
        created = contact_create(
            email=form.cleaned_data["email"], data=data, by=request.user, reason="Created in admin"
        )
        obj.pk = created.pk
        obj.lifecycle_stage, obj.stage_entered_at = (
            created.lifecycle_stage,
            created.stage_entered_at,
        )
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
