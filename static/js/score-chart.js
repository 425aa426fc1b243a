// The score-history chart of the contact page: data from <script id="score-history"
// type="application/json"> (json_script), because the CSP forbids inline script.
document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("score-history");
  const canvas = document.getElementById("score-chart");
  if (!data || !canvas || !window.Chart) return;
  const points = JSON.parse(data.textContent);
  const format = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  const line = (label, key, color, extra) => ({
    label,
    data: points.map((p) => p[key]),
    borderColor: color,
    backgroundColor: color,
    pointRadius: points.length > 40 ? 0 : 3,
    tension: 0.2,
    stepped: false,
    ...extra,
  });
  new window.Chart(canvas, {
    type: "line",
    data: {
      labels: points.map((p) => format.format(new Date(p.at))),
      datasets: [
        line("Total", "total", "#2563eb", { borderWidth: 2.5 }),
        line("Fit", "fit", "#16a34a", { borderWidth: 1.5, borderDash: [4, 3] }),
        line("Engagement", "engagement", "#f59e0b", { borderWidth: 1.5, borderDash: [4, 3] }),
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
      scales: { y: { beginAtZero: true } },
    },
  });
});
