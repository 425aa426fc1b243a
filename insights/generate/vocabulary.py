"""What a generated history is made of: the planted truth, reject reasons, deals, costs."""

from insights.generate.setup import MODEL_NAME
from leads.models import LifecycleStage

S = LifecycleStage
DAY = 86400

# The known truth the history plants: what a report on it must find.
PLANTED = {
    # A job title that really raises the chance of acceptance and of winning.
    "title": "Head of Revenue Operations",
    "title_seniority": "director",
    "title_department": "operations",
    # The fit rule that matches it (in the generated model as "gen-revops", in the demo model).
    "title_rule": {"field": "job_title", "operator": "contains", "value": "revenue operations"},
    "title_rule_key": "gen-revops",
    "generated_model": MODEL_NAME,
    # A campaign whose MQLs sales mostly reject, as not a fit.
    "campaign": "giveaway-sweepstakes",
    "campaign_channel": "linkedin",
    "campaign_reject_reason": "not_icp",
    # Share of the MQLs of each outcome that get the title, and the campaign (never both).
    "title_odds": {"won": 0.40, "accepted": 0.08, "rejected": 0.02, "open": 0.06},
    "campaign_odds": {"won": 0.0, "accepted": 0.02, "rejected": 0.35, "open": 0.08},
    "campaign_not_icp_share": 0.8,  # of its rejections; other rejections: 15%
    # What a report on a generated history (or the demo's) must at least find: acceptance where
    # the title's rule fired ÷ where it did not, and the campaign's reject rate.
    "title_min_lift": 1.15,
    "campaign_min_reject_rate": 0.6,
}

# Reject reasons of the MQLs outside the planted campaign (codes of the default reasons).
REJECT_WEIGHTS = {
    "not_icp": 15,
    "no_authority": 15,
    "no_budget": 15,
    "bad_timing": 20,
    "no_need": 10,
    "duplicate": 4,
    "competitor": 4,
    "bad_data": 5,
    "already_customer": 2,
    "unresponsive": 10,
}
REJECT_COMMENTS = {
    "not_icp": ["Came in through the giveaway, not a buyer.", "Too small for us.", ""],
    "bad_timing": ["Budget cycle starts next quarter.", ""],
    "no_authority": ["Intern researching tools, no say in the purchase.", ""],
}
LOST_REASONS = ("Went with a competitor", "No budget this year", "Project cancelled", "Price")
PRODUCTS = ("Growth plan", "Enterprise plan", "Scoring add-on", "Platform", "Team plan")
# Cost of one lead by channel (the contact's source), for campaign spend.
COST_PER_LEAD = {
    "website": 12.0,
    "webinar": 35.0,
    "paid_search": 45.0,
    "linkedin": 60.0,
    "referral": 8.0,
    "event": 90.0,
    "import": 2.0,
}
PLANTED_CAMPAIGN_COST_PER_LEAD = 140.0
DEAL_OPEN_DAYS = 60  # a deal still not won after this long was lost
CHUNK = 20_000
