// The calibration page's threshold frontier: one point per threshold pair, MQLs a month (x)
// against MQL→SQL rate (y); the pairs meeting the target and the draft's own pair stand out.
// Data from <script id="frontier-data" type="application/json"> (json_script): the CSP forbids
// inline script. Drawn again when htmx swaps the frontier in.
(() => {
  let chart = null;
  const label = (p) =>
    `fit ≥ ${p.fit_min}, engagement ≥ ${p.engagement_min}` +
    (p.total_min !== null ? `, or total ≥ ${p.total_min}` : "");
  function draw() {
    const data = document.getElementById("frontier-data");
    // Found by class, not id: htmx settles elements kept by id by copying their old attributes,
    // and the style Chart.js gave the old canvas would be an inline style the CSP refuses.
    const canvas = document.querySelector("canvas.frontier-canvas");
    if (!data || !canvas || !window.Chart) return;
    if (chart) chart.destroy();
    const points = JSON.parse(data.textContent);
    const set = (name, color, keep, radius) => ({
      label: name,
      data: points.filter(keep).map((p) => ({ x: p.per_month, y: p.sql_rate, p })),
      backgroundColor: color,
      borderColor: color,
      pointRadius: radius,
    });
    chart = new window.Chart(canvas, {
      type: "scatter",
      data: {
        datasets: [
          set("Current draft", "#111827", (p) => p.current, 7),
          set("Meets the target", "#16a34a", (p) => p.match && !p.current, 5),
          set("Other pairs", "#93c5fd", (p) => !p.match && !p.current, 3),
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: {
            callbacks: {
              label: (ctx) => `${label(ctx.raw.p)}: ${ctx.raw.x} MQLs a month, ${ctx.raw.y}% MQL→SQL`,
            },
          },
        },
        scales: {
          x: { title: { display: true, text: "MQLs a month" }, beginAtZero: true },
          y: { title: { display: true, text: "MQL→SQL %" }, beginAtZero: true, suggestedMax: 100 },
        },
      },
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
