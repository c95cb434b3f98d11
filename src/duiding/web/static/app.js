// duiding: charts (plotly, served locally), clickable quotes, speaker focus. No build step.
"use strict";

(function () {
  const COLOURS = ["#2f6db5", "#c2571a", "#2f8f5b", "#a23b72", "#7a5cc0", "#b08a12", "#1c8a94", "#c23b3b", "#5b6b2f", "#8a5a44"];
  const FONT = { family: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size: 12, color: "#333" };
  const MONTHS = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"];

  function layout(extra) {
    return Object.assign({
      font: FONT,
      margin: { l: 44, r: 12, t: 8, b: 36 },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      separators: ",.",
      bargap: 0.15,
      showlegend: false,
      hoverlabel: { font: FONT },
    }, extra || {});
  }

  function counts(values) {
    // Whole numbers only: small counts get a tick per unit instead of 0.5 steps.
    const max = Math.max.apply(null, values.concat([0]));
    const axis = { rangemode: "tozero", gridcolor: "#eee", tickformat: ",d" };
    if (max <= 6) { axis.dtick = 1; axis.range = [0, Math.max(1, max) * 1.05]; }
    return axis;
  }

  function dateRange(values) {
    // A few days either side when every point is on (nearly) the same day.
    const times = values.map(function (v) { return new Date(v).getTime(); });
    const lo = Math.min.apply(null, times), hi = Math.max.apply(null, times);
    const day = 86400000;
    if (hi - lo >= 10 * day) return undefined;
    const pad = Math.max(3 * day, (10 * day - (hi - lo)) / 2);
    return [new Date(lo - pad).toISOString(), new Date(hi + pad).toISOString()];
  }

  function draw(spec) {
    const el = document.getElementById(spec.id);
    if (!el || !window.Plotly) return;
    let traces = [];
    let lay;
    if (spec.kind === "bar") {
      const few = spec.y.length <= 4;
      traces.push({
        type: "bar", x: spec.text, y: spec.y, customdata: spec.x,
        hovertemplate: "%{x}: %{y} " + (spec.ytitle || "") + "<extra></extra>",
        marker: { color: "#2f6db5" }, width: few ? 0.35 : undefined,
      });
      if (spec.y2) {
        traces.push({
          type: "scatter", mode: "lines+markers", x: spec.text, y: spec.y2, yaxis: "y2",
          hovertemplate: "%{y} " + (spec.y2title || "") + "<extra></extra>", line: { color: "#c2571a" },
        });
      }
      const yaxis = counts(spec.y);
      yaxis.title = { text: spec.ytitle || "" };
      lay = layout({ xaxis: { type: "category", automargin: true, tickangle: 0 }, yaxis: yaxis });
      if (spec.y2) {
        lay.yaxis2 = Object.assign(counts(spec.y2), { overlaying: "y", side: "right", showgrid: false });
        lay.margin.r = 40;
      }
    } else if (spec.kind === "hbar") {
      traces.push({
        type: "bar", orientation: "h", x: spec.x, y: spec.y,
        hovertemplate: "%{y}: %{x} " + (spec.xtitle || "") + "<extra></extra>", marker: { color: "#2f6db5" },
      });
      lay = layout({
        height: Math.max(160, 26 * spec.y.length + 50),
        margin: { l: 10, r: 12, t: 8, b: 36 },
        xaxis: Object.assign(counts(spec.x), { title: { text: spec.xtitle || "" } }),
        yaxis: { autorange: "reversed", automargin: true },
      });
    } else if (spec.kind === "pie") {
      traces.push({
        type: "pie", labels: spec.labels, values: spec.values, hole: 0.45, sort: false,
        marker: { colors: spec.colors }, textinfo: "percent", hovertemplate: "%{label}: %{value}<extra></extra>",
      });
      lay = layout({ height: 190, margin: { l: 4, r: 4, t: 4, b: 4 }, showlegend: true, legend: { orientation: "h" } });
    } else if (spec.kind === "timeline") {
      const cats = Array.from(new Set(spec.y));
      traces.push({
        type: "scatter", mode: "markers", x: spec.x, y: spec.y, text: spec.text,
        hovertemplate: "%{x|%d-%m-%Y}<br>%{text}<extra>%{y}</extra>",
        marker: { size: 10, opacity: 0.75, color: spec.y.map(function (c) { return COLOURS[cats.indexOf(c) % COLOURS.length]; }) },
      });
      lay = layout({
        height: Math.max(160, 34 * cats.length + 70),
        xaxis: { type: "date", gridcolor: "#eee", tickformat: "%d-%m-%Y", range: dateRange(spec.x) },
        yaxis: { type: "category", automargin: true },
        margin: { l: 10, r: 12, t: 8, b: 36 },
      });
    } else {
      return;
    }
    window.Plotly.newPlot(el, traces, lay, { displayModeBar: false, responsive: true }).then(function () {
      el.classList.add("drawn");
      if (spec.links) {
        el.classList.add("clickable");
        el.on("plotly_click", function (ev) {
          const point = ev.points && ev.points[0];
          const link = point && spec.links[point.pointIndex];
          if (link) window.location.href = link;
        });
      }
    });
  }

  function charts() {
    const data = document.getElementById("chart-data");
    if (!data) return;
    let specs = [];
    try { specs = JSON.parse(data.textContent); } catch (e) { return; }
    specs.forEach(function (spec) {
      try { draw(spec); } catch (e) { if (window.console) console.error("chart " + spec.id, e); }
    });
  }

  function quotes() {
    // A quote in the text opens its speaker's page (unless text is being selected or a link was hit).
    document.querySelectorAll(".body .quote[data-href]").forEach(function (q) {
      q.addEventListener("click", function (ev) {
        if (ev.target.closest("a")) return;
        const sel = window.getSelection && window.getSelection();
        if (sel && String(sel).length > 0) return;
        window.location.href = q.getAttribute("data-href");
      });
    });
    // Hovering a speaker in the legend brings out their quotes.
    document.querySelectorAll(".legend li[data-speaker]").forEach(function (li) {
      const key = li.getAttribute("data-speaker");
      li.addEventListener("mouseenter", function () {
        document.body.classList.add("focusing");
        document.querySelectorAll(".quote").forEach(function (q) {
          q.classList.toggle("focus", q.getAttribute("data-speaker") === key);
        });
      });
      li.addEventListener("mouseleave", function () {
        document.body.classList.remove("focusing");
        document.querySelectorAll(".quote.focus").forEach(function (q) { q.classList.remove("focus"); });
      });
    });
    // Arriving at #q-123: flash that quote.
    if (location.hash.indexOf("#q-") === 0) {
      const target = document.getElementById(location.hash.slice(1));
      if (target) target.classList.add("flash");
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    quotes();
    charts();
  });
})();
