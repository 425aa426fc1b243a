// The dashboards' charts: data from <script id="insights-charts" type="application/json">
// (json_script), because the CSP forbids inline script. Each <canvas data-chart="key"> is drawn
// from that key; the same numbers are in the table beneath it.
(() => {
  const PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#ea580c", "#475569"];
  const TONES = { good: "rgba(22,163,74,0.12)", warning: "rgba(220,38,38,0.10)", benchmark: "#64748b" };

  const read = (id) => {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  };
  const percent = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)}%`);

  // Reference bands (a shaded range, or a dashed line when low == high) behind the lines.
  const bandsPlugin = {
    id: "lbBands",
    beforeDatasetsDraw(chart) {
      const bands = chart.options.plugins.lbBands?.bands || [];
      const { ctx, chartArea: area, scales } = chart;
      const y = scales.y;
      if (!y) return;
      ctx.save();
      for (const band of bands) {
        const low = band.low ?? y.min;
        const high = band.high ?? y.max;
        if (band.low !== null && band.low === band.high) {
          const py = y.getPixelForValue(band.low);
          ctx.strokeStyle = TONES.benchmark;
          ctx.setLineDash([5, 4]);
          ctx.beginPath();
          ctx.moveTo(area.left, py);
          ctx.lineTo(area.right, py);
          ctx.stroke();
          ctx.setLineDash([]);
          ctx.fillStyle = TONES.benchmark;
          ctx.font = "11px sans-serif";
          ctx.fillText(band.label, area.left + 4, py - 3);
          continue;
        }
        const top = y.getPixelForValue(Math.min(high, y.max));
        const bottom = y.getPixelForValue(Math.max(low, y.min));
        ctx.fillStyle = TONES[band.tone] || TONES.good;
        ctx.fillRect(area.left, top, area.right - area.left, bottom - top);
      }
      ctx.restore();
    },
  };

  // Vertical markers (model versions published) at the labels they name.
  const markersPlugin = {
    id: "lbMarkers",
    afterDatasetsDraw(chart) {
      const markers = chart.options.plugins.lbMarkers?.markers || [];
      const { ctx, chartArea: area, scales } = chart;
      ctx.save();
      ctx.strokeStyle = "#7c3aed";
      ctx.fillStyle = "#7c3aed";
      ctx.font = "11px sans-serif";
      markers.forEach((m, i) => {
        const index = chart.data.labels.indexOf(m.at);
        if (index < 0) return;
        const px = scales.x.getPixelForValue(index);
        ctx.setLineDash([3, 3]);
        ctx.beginPath();
        ctx.moveTo(px, area.top);
        ctx.lineTo(px, area.bottom);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillText(m.label, px + 3, area.top + 10 + (i % 3) * 12);
      });
      ctx.restore();
    },
  };

  const draw = (canvas, spec) => {
    const stacked = spec.kind === "stacked";
    const horizontal = spec.kind === "hbar";
    const combo = spec.kind === "combo";
    const datasets = spec.datasets.map((d, i) => {
      const color = PALETTE[i % PALETTE.length];
      const line = spec.kind === "line" || (combo && d.axis === "rate");
      return {
        label: d.label,
        data: d.data,
        type: line ? "line" : "bar",
        borderColor: color,
        backgroundColor: line ? color : `${color}cc`,
        yAxisID: combo && d.axis === "rate" ? "rate" : "y",
        spanGaps: true,
        tension: 0.2,
        pointRadius: d.dots ? 6 : d.data.length > 30 ? 0 : 3,
        showLine: !d.dots,
        order: line ? 0 : 1,
      };
    });
    const ratePercent = spec.percent;
    const scales = horizontal
      ? { x: { beginAtZero: true }, y: {} }
      : {
          x: { stacked, ticks: { maxRotation: 0, autoSkip: true } },
          y: {
            stacked,
            beginAtZero: true,
            ...(ratePercent ? { suggestedMax: 0.6, ticks: { callback: (v) => percent(v) } } : {}),
          },
          ...(combo
            ? { rate: { position: "right", beginAtZero: true, suggestedMax: 0.6, grid: { drawOnChartArea: false }, ticks: { callback: (v) => percent(v) } } }
            : {}),
        };
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: spec.labels, datasets },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { display: datasets.length > 1, position: "bottom", labels: { boxWidth: 12 } },
          tooltip: {
            callbacks: ratePercent || combo
              ? { label: (c) => `${c.dataset.label}: ${ratePercent || c.dataset.yAxisID === "rate" ? percent(c.raw) : c.raw}` }
              : {},
          },
          lbBands: { bands: spec.bands || [] },
          lbMarkers: { markers: spec.markers || [] },
        },
        scales,
      },
      plugins: [bandsPlugin, markersPlugin],
    });
  };

  const sparkline = (canvas, values) => {
    new window.Chart(canvas, {
      type: "line",
      data: { labels: values.map((_, i) => i), datasets: [{ data: values, borderColor: "#2563eb", borderWidth: 1.5, pointRadius: 0, spanGaps: true, tension: 0.3 }] },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        events: [],
        plugins: { legend: { display: false }, tooltip: { enabled: false } },
        scales: { x: { display: false }, y: { display: false } },
      },
    });
  };

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-print]").forEach((b) => b.addEventListener("click", () => window.print()));
    if (!window.Chart) return;
    const charts = read("insights-charts") || {};
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const spec = charts[canvas.dataset.chart];
      if (spec) draw(canvas, spec);
    });
    const sparks = read("insights-sparks") || [];
    document.querySelectorAll("canvas[data-spark]").forEach((canvas) => {
      const values = sparks[Number(canvas.dataset.spark)];
      if (values && values.length > 1) sparkline(canvas, values);
    });
  });
})();
