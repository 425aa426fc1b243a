"""What the dashboards show, assembled from the metrics: tiles, charts (the data Chart.js draws
from `json_script`) and tables (the same numbers, accessible beneath each chart and downloadable
as CSV). A page and its CSV download build the same `Dashboard`."""

from insights.dashboards.layout import Chart, Dashboard, Table, Tile
from insights.dashboards.marketing_page import breakdown_table, marketing
from insights.dashboards.quarterly_page import (
    last_complete_quarter,
    quarter_shift,
    quarter_start,
    quarterly,
)
from insights.dashboards.sales_page import sales

__all__ = [
    "Chart",
    "Dashboard",
    "Table",
    "Tile",
    "breakdown_table",
    "last_complete_quarter",
    "marketing",
    "quarter_shift",
    "quarter_start",
    "quarterly",
    "sales",
]
