"""The hook points of leads: where the apps built on it react to what happens to contacts.

leads never imports scoring, handoff, feedback or insights. Where they must react, leads calls these hooks
(see core.hooks); each app registers its receivers in its AppConfig.ready(), so they run in
INSTALLED_APPS order. `tests/test_hooks.py` asserts exactly this wiring.

| hook | called by | receivers, in order |
|---|---|---|
| stage_changed | stage_change, stage_change_bulk (inside their transaction) | handoff: mqls_follow_stages |
| contacts_changed | contact_create, contact_update, company_update, event ingest, imports | scoring: contacts_rescore_queue |
| contact_filters | the contacts page and GET /api/v1/contacts/ | scoring: ContactScoreFilter |
| contact_list_columns | the contacts page | scoring: score_column |
| contact_page_panels | the contact page | scoring: score_panel_for_page; insights: deals_panel_for_page |
| company_page_panels | the company page | insights: company_deals_panel_for_page |
| demo_seed | seed_demo, after the demo contacts exist | scoring: demo_model_seed; handoff: demo_pipeline_seed; insights: demo_history_seed |
| import_kinds | the import pages and jobs (leads.imports.kinds) | insights: deals_import_kind, spend_import_kind |
| data_generated | generate_data (leads.generate.data_history), after its contacts, stage history and events are committed and the events' indexes are back | insights: history_generate_for_run |
| home_page | the home page (`/`) | handoff: home_for_user; insights: home_for_user |
"""

from core.hooks import Hook

stage_changed = Hook(
    "stage_changed",
    """Contacts changed lifecycle stage. Receivers get `changes` (the StageChange rows just
    written, one per contact) and `now`, inside the transaction that wrote them: what they write
    commits or rolls back with the move.""",
)

contacts_changed = Hook(
    "contacts_changed",
    """Contacts' own data, company or activity changed. Receivers get `contact_ids` (an iterable
    of ids); scoring queues their rescore once the transaction commits.""",
)

contact_filters = Hook(
    "contact_filters",
    """Filters that apps above add to the contacts list. Each receiver is a django-filter
    FilterSet class mixed into leads.filters.ContactFilter (see contact_filterset): its filters
    join the page's and the API's, its filter_queryset calls super().""",
)

contact_list_columns = Hook(
    "contact_list_columns",
    """Columns that apps above add to the contacts page's table. Receivers get `user` and
    return a core.hooks.Column or None; the page asks each column for the values of the
    contacts it shows.""",
)

contact_page_panels = Hook(
    "contact_page_panels",
    """Panels that apps above add to the contact page. Receivers get `user` and `contact` and
    return a core.hooks.Panel (template, context, scripts) or None.""",
)

company_page_panels = Hook(
    "company_page_panels",
    """Panels that apps above add to the company page. Receivers get `user` and `company` (one
    the user may see: leads.selectors.companies_for_user) and return a core.hooks.Panel
    (template, context, scripts) or None. What a panel lists is the receiver's to narrow to what
    the user may see (e.g. the contacts of the company the user may see).""",
)

demo_seed = Hook(
    "demo_seed",
    """The demo data of the apps above, for `make run`. Receivers take no arguments, are
    idempotent, and run inside seed_demo's transaction after the demo contacts exist.""",
)

import_kinds = Hook(
    "import_kinds",
    """What else the CSV import pages and jobs can import besides contacts. Receivers take no
    arguments and return a leads.imports.kinds.ImportKind: its name, label, permission, target
    fields and the function that writes one row (through the app's own service). The upload,
    mapping, chunked run, progress and heartbeat, and the rejected-rows report stay leads'.""",
)

data_generated = Hook(
    "data_generated",
    """generate_data wrote a run of synthetic contacts (with their stage history) and events, and
    asks the apps above for the history that goes with them. Receivers get `contact_id_min`,
    `contact_id_max` (the run's contacts), `actor` (the actor_system of the run's stage changes),
    `run` (the run tag), `seed`, `now`, `history_days` (how far back MQLs go) and `log` (a
    callable taking a line of progress); they commit their own chunks and return a summary
    string (or None).""",
)

home_page = Hook(
    "home_page",
    """Where a user lands on `/`. Receivers get `user` and return a URL or None; the first URL
    wins, and with none the home page is the contacts list.""",
)
