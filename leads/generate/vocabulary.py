"""What generated data is made of: names, companies, stages and their paths, event types."""

import json

from leads.models import LifecycleStage

S = LifecycleStage


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Anna Ben Clara David Elena Felix Grace Hannah Isaac Julia Karim Laura Marco Nina Oliver "
    "Paula Quentin Rosa Samuel Tara Umar Vera William Xenia Yusuf Zoe Aisha Bruno Chloe Diego "
    "Emma Farid Greta Hugo Ines Jonas Keiko Lucas Maya Noah Olga Pedro Rania Sven Tomas Ulla "
    "Victor Wen Yara Zane Amelia Leon Sofia Mateo Lena Arjun Priya Mei Kenji Lea Tobias"
)
LAST_NAMES = _words(
    "Smith Müller Garcia Rossi Dubois Kowalski Jensen Novak Silva Tanaka Chen Patel Nguyen "
    "Kim Schmidt Martin Bernard Weber Fischer Lopez Moreau Hansen Berg Costa Ivanova Andersen "
    "Larsen Meyer Wagner Becker Hoffmann Romano Ricci Santos Ferreira Olsen Lindqvist Nowak "
    "Horvat Kaya Yilmaz Sato Suzuki Wong Singh Kumar Brown Taylor Wilson Evans Walker Young "
    "Hughes Clarke Murphy Kelly Byrne Ryan Walsh O'Brien"
)
COMPANY_WORDS = _words(
    "North Blue Bright Silver Iron Cedar Harbor Summit Vertex Nova Pixel Quantum Atlas Orbit "
    "Maple Granite River Falcon Lumen Apex Cobalt Crimson Delta Echo Fjord Helix Juniper Kite "
    "Lattice Meridian Nimbus Onyx Prism Radiant Sable Tidal Umbra Vivid Willow Zephyr Polar "
    "Copper Amber Aurora Beacon Canyon Ember Forge Glacier"
)
COMPANY_SUFFIXES = _words(
    "Analytics Labs Systems Logistics Health Robotics Software Foods Energy Capital Media "
    "Networks Dynamics Partners Works Cloud Security Bio Retail Mobility"
)
LEGAL_FORMS = ("Inc.", "GmbH", "Ltd", "AG", "SAS", "BV", "AB", "LLC", "Oy", "S.p.A.")
TLDS = ("com", "io", "de", "co.uk", "fr", "nl", "se", "ai", "net", "eu")
INDUSTRIES = (
    "Software",
    "Financial services",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Logistics",
    "Education",
    "Media",
    "Energy",
    "Telecommunications",
    "Professional services",
    "Real estate",
)
COUNTRIES = ("US", "DE", "GB", "FR", "NL", "SE", "ES", "IT", "CA", "AU", "CH", "AT", "PL", "DK")
COUNTRY_WEIGHTS = (30, 15, 12, 8, 6, 4, 4, 4, 5, 4, 3, 2, 2, 1)
TECH_TAGS = _words(
    "salesforce hubspot marketo segment snowflake bigquery aws gcp azure kubernetes stripe "
    "zendesk intercom shopify wordpress react django rails slack jira"
)
SOURCES = ("website", "webinar", "paid_search", "linkedin", "referral", "event", "import")
SOURCE_WEIGHTS = (35, 12, 18, 14, 8, 6, 7)
CAMPAIGNS = (
    "2026-q3-launch",
    "pricing-retargeting",
    "data-summit",
    "product-tour",
    "newsletter-weekly",
    "ebook-lead-scoring",
    "partner-webinar",
    "",
)
URLS = (
    ["/pricing"] * 6
    + ["/pricing/enterprise"] * 2
    + ["/", "/", "/product", "/product/scoring", "/product/handoff", "/integrations"]
    + ["/customers", "/docs/getting-started", "/security", "/contact-sales", "/careers"]
    + [f"/blog/{slug}" for slug in ("mql-vs-sql", "lead-scoring-101", "sla-handoff", "intent")]
)
ASSETS = (
    "ebook-lead-scoring.pdf",
    "whitepaper-handoff-sla.pdf",
    "roi-calculator.xlsx",
    "case-study-northwind.pdf",
    "checklist-data-hygiene.pdf",
)
WEBINARS = ("scoring-in-practice", "sales-marketing-alignment", "product-deep-dive")
VIDEOS = ("product-tour", "customer-story", "integration-walkthrough")
SOCIAL = ("linkedin", "twitter", "youtube")
# (title, seniority, department)
JOB_TITLES = (
    ("Marketing Manager", "manager", "marketing"),
    ("Head of Marketing", "director", "marketing"),
    ("VP Marketing", "vp", "marketing"),
    ("Demand Generation Specialist", "senior", "marketing"),
    ("Marketing Coordinator", "entry", "marketing"),
    ("Sales Director", "director", "sales"),
    ("Account Executive", "senior", "sales"),
    ("VP Sales", "vp", "sales"),
    ("Software Engineer", "senior", "engineering"),
    ("Engineering Manager", "manager", "engineering"),
    ("CTO", "c_level", "engineering"),
    ("IT Manager", "manager", "it"),
    ("CFO", "c_level", "finance"),
    ("Financial Analyst", "entry", "finance"),
    ("Operations Manager", "manager", "operations"),
    ("HR Business Partner", "senior", "hr"),
    ("Product Manager", "manager", "product"),
    ("Head of Product", "director", "product"),
    ("CEO", "c_level", "executive"),
    ("Founder", "owner", "executive"),
    ("Consultant", "senior", "other"),
)

# Share of contacts per stage, and the ways into each stage (every move is one the policy
# allows: forward one step, or sideways to nurture / disqualified).
# About a quarter of contacts ever become an MQL (a fifth within a year's history), a twentieth
# reach opportunity: 1M contacts make ~200,000 MQLs and ~50,000 deals.
STAGE_WEIGHTS = {
    S.SUBSCRIBER: 18,
    S.LEAD: 52,
    S.MQL: 2,
    S.SQL: 5,
    S.OPPORTUNITY: 4,
    S.CUSTOMER: 1.5,
    S.NURTURE: 10,
    S.DISQUALIFIED: 7.5,
}
STAGE_PATHS = {
    S.SUBSCRIBER: [[S.SUBSCRIBER]],
    S.LEAD: [[S.LEAD], [S.SUBSCRIBER, S.LEAD]],
    S.MQL: [[S.LEAD, S.MQL], [S.SUBSCRIBER, S.LEAD, S.MQL]],
    S.SQL: [[S.LEAD, S.MQL, S.SQL]],
    S.OPPORTUNITY: [[S.LEAD, S.MQL, S.SQL, S.OPPORTUNITY]],
    S.CUSTOMER: [[S.LEAD, S.MQL, S.SQL, S.OPPORTUNITY, S.CUSTOMER]],
    S.NURTURE: [
        [S.LEAD, S.NURTURE],
        [S.LEAD, S.MQL, S.NURTURE],
        [S.LEAD, S.MQL, S.SQL, S.NURTURE],
    ],
    S.DISQUALIFIED: [
        [S.LEAD, S.DISQUALIFIED],
        [S.LEAD, S.MQL, S.DISQUALIFIED],
        [S.LEAD, S.MQL, S.SQL, S.DISQUALIFIED],
    ],
}
# How long after the step before a contact takes each step past MQL, in days (low, high): sales
# decide within days, an opportunity opens within weeks, a deal closes within months. Steps up to
# MQL happen any time in the contact's life.
STAGE_GAP_DAYS = {
    S.SQL: (0.02, 8.0),
    S.OPPORTUNITY: (2.0, 30.0),
    S.CUSTOMER: (15.0, 90.0),
}
AFTER_MQL_GAP_DAYS = (0.02, 8.0)  # nurture / disqualified right after MQL: sales rejected it
AFTER_SQL_GAP_DAYS = (10.0, 60.0)  # nurture / disqualified after SQL: the deal did not happen
OPEN_MQL_DAYS = 14  # contacts still at MQL became one within this many days
STAGE_REASONS = {
    S.SUBSCRIBER: "Signed up for the newsletter",
    S.LEAD: "Filled in a form",
    S.MQL: "Score crossed the MQL threshold",
    S.SQL: "Accepted by sales",
    S.OPPORTUNITY: "Opportunity opened",
    S.CUSTOMER: "Contract signed",
    S.NURTURE: "Not ready to buy: back to nurturing",
    S.DISQUALIFIED: "No budget or no fit",
}
# Stages after MQL: a sales rep owns these contacts.
OWNED_STAGES = frozenset({S.SQL, S.OPPORTUNITY, S.CUSTOMER})
# How active a contact in each stage is, relative to a lead.
STAGE_ACTIVITY = {
    S.SUBSCRIBER: 0.4,
    S.LEAD: 1.0,
    S.MQL: 2.0,
    S.SQL: 2.5,
    S.OPPORTUNITY: 3.0,
    S.CUSTOMER: 1.5,
    S.NURTURE: 0.7,
    S.DISQUALIFIED: 0.3,
}
SILENT_SHARE = 0.30  # contacts without any event
PARETO_ALPHA = 1.3  # heavy tail: a few contacts have most of the events
PARETO_CAP = 100.0  # ...but no single contact takes a large share of a whole run


def event_catalogue() -> tuple[list[str], list[float], dict[str, tuple[str, list[str]]]]:
    """Event types, their weights, and per type: the source and the properties (JSON) to pick."""
    catalogue = {
        "page_view": (45, "web", [{"url": url} for url in URLS]),
        "email_open": (20, "email", [{"campaign": c} for c in CAMPAIGNS if c]),
        "email_click": (8, "email", [{"campaign": c, "url": "/pricing"} for c in CAMPAIGNS if c]),
        "form_submit": (3, "web", [{"url": u, "form": "contact"} for u in ("/contact-sales", "/")]),
        "content_download": (4, "web", [{"asset": a, "campaign": "content"} for a in ASSETS]),
        "webinar_registered": (1.5, "webinar", [{"webinar": w} for w in WEBINARS]),
        "webinar_attended": (1, "webinar", [{"webinar": w, "minutes": 45} for w in WEBINARS]),
        "demo_request": (0.5, "web", [{"url": "/contact-sales"}]),
        "video_watched": (4, "web", [{"video": v, "percent": p} for v in VIDEOS for p in (25, 90)]),
        "social_interaction": (3, "social", [{"network": n} for n in SOCIAL]),
        "trial_signup": (0.3, "web", [{"url": "/signup", "plan": "trial"}]),
    }
    types = list(catalogue)
    weights = [catalogue[t][0] for t in types]
    details = {t: (catalogue[t][1], [json.dumps(p) for p in catalogue[t][2]]) for t in types}
    return types, weights, details
