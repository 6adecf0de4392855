// A bar chart as inline SVG: two series side by side per bucket (sign-ons, confirmations),
// told apart by fill pattern as well as colour (solid and hatched), with a text legend. The
// numbers are also in a table (dashboard.js), for screen readers and for reading exact values.
const NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const c of children) node.append(c);
  return node;
}

const niceMax = (v) => {
  if (v <= 4) return 4;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v);
};

/**
 * barChart({ id, title, desc, labels, series: [{ name, values, style: "solid"|"hatched" }],
 *            tick(label, i) -> short text or "" })
 * returns an <svg role="img"> labelled by its <title> and described by its <desc>.
 */
export function barChart({ id, title, desc, labels, series, tick }) {
  const W = 720, H = 240, left = 40, right = 8, top = 12, bottom = 36;
  const plotW = W - left - right, plotH = H - top - bottom;
  const max = niceMax(Math.max(1, ...series.flatMap((s) => s.values)));
  const slot = plotW / Math.max(1, labels.length);
  const barW = Math.max(1, (slot * 0.8) / series.length);
  const titleEl = svg("title", { id: `${id}-title` });
  titleEl.textContent = title;
  const descEl = svg("desc", { id: `${id}-desc` });
  descEl.textContent = desc;
  const root = svg("svg", { id, viewBox: `0 0 ${W} ${H}`, role: "img", class: "chart",
    "aria-labelledby": `${id}-title`, "aria-describedby": `${id}-desc` }, titleEl, descEl);
  const defs = svg("defs", {}, svg("pattern", { id: `${id}-hatch`, width: 6, height: 6,
    patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" },
  svg("rect", { width: 6, height: 6, fill: "#fff" }),
  svg("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#185c37", "stroke-width": 3 })));
  root.append(defs);
  // grid lines and the y axis' numbers: 0, half, max
  for (const f of [0, 0.5, 1]) {
    const y = top + plotH - f * plotH;
    root.append(svg("line", { x1: left, x2: W - right, y1: y, y2: y, class: "grid-line" }));
    const label = svg("text", { x: left - 6, y: y + 4, "text-anchor": "end", class: "axis" });
    label.textContent = Number.isInteger(f * max) ? String(f * max) : "";
    root.append(label);
  }
  labels.forEach((label, i) => {
    const group = svg("g", { "data-at": label });
    series.forEach((s, k) => {
      const v = s.values[i] || 0;
      const h = (v / max) * plotH;
      const rect = svg("rect", {
        x: left + i * slot + slot * 0.1 + k * barW, y: top + plotH - h, width: barW,
        height: Math.max(h, v ? 1 : 0), "data-series": s.key, "data-value": v,
        class: `bar bar-${s.style}`,
        fill: s.style === "hatched" ? `url(#${id}-hatch)` : "#1f3a5f",
        stroke: s.style === "hatched" ? "#185c37" : "none" });
      group.append(rect);
    });
    const text = tick(label, i);
    if (text) {
      const x = left + i * slot + slot / 2;
      const tl = svg("text", { x, y: H - bottom + 16, "text-anchor": "middle", class: "axis" });
      tl.textContent = text;
      group.append(svg("line", { x1: x, x2: x, y1: top + plotH, y2: top + plotH + 4, class: "tick" }), tl);
    }
    root.append(group);
  });
  root.append(svg("line", { x1: left, x2: W - right, y1: top + plotH, y2: top + plotH, class: "base-line" }));
  return root;
}
