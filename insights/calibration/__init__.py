"""Calibration of a scoring model: reads over its decided MQLs, each one set-based SQL statement.

"Decided MQLs" of a model: MQLs it qualified (Mql.scoring_model) with a sales decision
(feedback.Decision) made in the period. Scores are those frozen on the MQL when it opened
(fit, engagement, total; the rules that fired: Decision.rule_keys).

* accepted: the decision was an accept;
* reached SQL (MQL→SQL) and won: as the funnel metrics count them, with their expressions
  (insights.metrics.funnel.reached_to_date("sql"), won_deal_after_opening(); the words are
  insights.metrics.definitions.OUTCOMES): SQL or a later stage reached, a won deal created, once
  the MQL had opened and before the contact's next MQL opened.

Plain selector functions, callable from tests and the generated-data checks:
rule_report(), score_grid(), threshold_frontier(), campaign_report().
"""

from insights.calibration.base import campaign_report, decided_shared, period
from insights.calibration.frontier import Frontier, FrontierPoint, threshold_frontier
from insights.calibration.grid import GridCell, ScoreGrid, band_edges, score_grid
from insights.calibration.rules import (
    RULE_FIGURES_DAYS,
    RuleFigures,
    RuleReport,
    rule_figures,
    rule_report,
)

__all__ = [
    "RULE_FIGURES_DAYS",
    "Frontier",
    "FrontierPoint",
    "GridCell",
    "RuleFigures",
    "RuleReport",
    "ScoreGrid",
    "band_edges",
    "campaign_report",
    "decided_shared",
    "period",
    "rule_figures",
    "rule_report",
    "score_grid",
    "threshold_frontier",
]
