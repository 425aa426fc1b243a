"""Roles are Django groups; this is the one place that says which permissions each holds.

A data migration calls sync_roles(); later issues add their permissions here and add a migration
that calls it again.
"""

MARKETING = "marketing"
SALES_REP = "sales_rep"
SALES_MANAGER = "sales_manager"
ADMIN = "admin"
ROLES = (MARKETING, SALES_REP, SALES_MANAGER, ADMIN)

# Marketers edit scoring models (draft, rules, publish, rollback); everyone else reads them.
# Starting a full rescore by hand (scoring.start_rescore) is for admins.
SCORING_EDIT = [
    "scoring.view_scoringmodel",
    "scoring.add_scoringmodel",
    "scoring.change_scoringmodel",
    "scoring.delete_scoringmodel",
]

# Reps work their own MQLs (touch, accept, reject) and mark themselves out of office.
HANDOFF_REP = [
    "handoff.view_mql",
    "handoff.change_mql",
    "handoff.add_touch",
    "handoff.view_team",
    "handoff.view_breach",
    "handoff.view_outofoffice",
    "handoff.add_outofoffice",
    "handoff.change_outofoffice",
    "handoff.delete_outofoffice",
    "feedback.view_rejectreason",
]
# Managers also act for their teams, reassign, edit the reps of the teams they manage (the
# services check which team and which member: handoff.services.teams) and routing, review
# breaches and read the feedback. Creating, changing and deleting teams and naming their
# managers, SLA policies, calendars and reject reasons are for admins.
HANDOFF_MANAGER = [
    *HANDOFF_REP,
    "handoff.reassign_mql",
    "handoff.view_teammember",
    "handoff.add_teammember",
    "handoff.change_teammember",
    "handoff.delete_teammember",
    "handoff.add_routingrule",
    "handoff.change_routingrule",
    "handoff.delete_routingrule",
    "handoff.view_routingrule",
    "handoff.change_breach",
    "handoff.view_slapolicy",
    "handoff.view_workcalendar",
    "feedback.view_decision",
]

# Deals and campaign spend are marketing's data (imported from the CRM and the ad platforms):
# marketers record, import and correct them. Everyone reads the deals of the contacts they may
# see (insights.selectors: no permission needed beyond seeing the contact); the spend is read by
# marketers and admins only.
DEALS_EDIT = [
    "insights.view_deal",
    "insights.add_deal",
    "insights.change_deal",
    "insights.view_campaignspend",
    "insights.add_campaignspend",
    "insights.change_campaignspend",
    "insights.delete_campaignspend",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    MARKETING: [
        "leads.view_all_contacts",
        "leads.view_contact",
        "leads.add_contact",
        "leads.change_contact",
        "leads.change_stage",
        "leads.import_contacts",
        "leads.view_company",
        "leads.add_company",
        "leads.change_company",
        "leads.view_activityevent",
        "leads.add_activityevent",
        *SCORING_EDIT,
        "feedback.view_decision",
        "feedback.view_rejectreason",
        "handoff.view_team",
        *DEALS_EDIT,
    ],
    SALES_REP: [
        "leads.view_contact",
        "leads.change_contact",
        "leads.change_stage",
        "leads.view_company",
        "leads.view_activityevent",
        "scoring.view_scoringmodel",
        *HANDOFF_REP,
    ],
    SALES_MANAGER: [
        "leads.view_all_contacts",
        "leads.view_contact",
        "leads.change_contact",
        "leads.change_stage",
        "leads.view_company",
        "leads.change_company",
        "leads.view_activityevent",
        "scoring.view_scoringmodel",
        *HANDOFF_MANAGER,
    ],
    ADMIN: ["*"],  # every permission of LeadBridge's own apps
}
OWN_APPS = ("leads", "scoring", "handoff", "feedback", "insights")


def sync_roles(apps, schema_editor=None) -> None:
    """Create the role groups and give each exactly the permissions listed above."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        if perms == ["*"]:
            wanted = Permission.objects.filter(content_type__app_label__in=OWN_APPS)
        else:
            wanted = Permission.objects.none()
            for perm in perms:
                app_label, codename = perm.split(".")
                wanted = wanted | Permission.objects.filter(
                    content_type__app_label=app_label, codename=codename
                )
            missing = set(perms) - {
                f"{p.content_type.app_label}.{p.codename}"
                for p in wanted.select_related("content_type")
            }
            # An earlier migration runs before a later app's tables (and permissions) exist;
            # that app's own migration syncs the roles again. A typo still fails.
            migrated = set(
                Permission.objects.values_list("content_type__app_label", flat=True).distinct()
            )
            missing = {perm for perm in missing if perm.split(".")[0] in migrated}
            if missing:
                raise RuntimeError(f"Role {role} names unknown permissions: {sorted(missing)}")
        group.permissions.set(wanted)


def is_admin(user) -> bool:
    return user.is_superuser or user.groups.filter(name=ADMIN).exists()


def role_names(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    names = set(user.groups.values_list("name", flat=True))
    if user.is_superuser:
        names.add(ADMIN)
    return names
