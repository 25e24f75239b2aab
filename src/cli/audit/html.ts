/**
 * The audit as one self-contained HTML page: inline CSS, a small inline script (tabs and a filter) allowed by its
 * hash in the page's Content-Security-Policy, inline SVG charts, nothing fetched. Rendered from the JSON report;
 * every displayed number carries `data-json` naming the report field it shows (the browser test compares them).
 * Every string from a registry, layout or cluster goes through `escapeHtml`, and the CSP forbids any other script,
 * so a hostile tag, annotation or identity is shown as text, never run.
 */
import { createHash } from "node:crypto";
import { maxOf } from "../../internal/arrays.js";
import type { AuditReport, AuditStatus, AuditVerdict, Tally } from "./model.js";

const STATUSES: readonly AuditStatus[] = ["verified", "unsigned", "failed", "error"];
const COLORS: Record<AuditStatus, string> = { verified: "#2e7d32", unsigned: "#b26a00", failed: "#c62828", error: "#616161" };
const LABELS: Record<AuditStatus, string> = { verified: "Verified", unsigned: "Unsigned", failed: "Failed", error: "Could not check" };
/** Bars drawn per chart; the tables list every row. */
const CHART_ROWS = 40;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;"));
}

const SCRIPT = `
(function () {
  var tabs = document.querySelectorAll("nav a[data-tab]");
  function show(name) {
    document.querySelectorAll("section[data-page]").forEach(function (s) { s.hidden = s.getAttribute("data-page") !== name; });
    tabs.forEach(function (a) { a.classList.toggle("active", a.getAttribute("data-tab") === name); });
  }
  tabs.forEach(function (a) {
    a.addEventListener("click", function (event) { event.preventDefault(); show(a.getAttribute("data-tab")); history.replaceState(null, "", "#" + a.getAttribute("data-tab")); });
  });
  var wanted = location.hash.slice(1);
  show(document.querySelector('section[data-page="' + wanted + '"]') ? wanted : "summary");
  var filter = document.getElementById("filter");
  if (filter) filter.addEventListener("input", function () {
    var needle = filter.value.toLowerCase();
    document.querySelectorAll("#all-images tbody tr").forEach(function (row) { row.hidden = needle !== "" && row.textContent.toLowerCase().indexOf(needle) < 0; });
  });
})();
`;

const STYLE = `
:root { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b; background: #f6f7f9; }
body { margin: 0; }
header { background: #1f2937; color: #fff; padding: 16px 24px; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header p { margin: 2px 0; font-size: 13px; opacity: .85; overflow-wrap: anywhere; }
nav { display: flex; gap: 4px; padding: 0 24px; background: #fff; border-bottom: 1px solid #d0d4da; flex-wrap: wrap; }
nav a { padding: 10px 14px; text-decoration: none; color: #374151; border-bottom: 3px solid transparent; font-size: 14px; }
nav a.active { border-bottom-color: #2563eb; color: #111; font-weight: 600; }
main { padding: 16px 24px; }
section { background: #fff; border: 1px solid #d0d4da; border-radius: 6px; padding: 16px; margin-bottom: 16px; }
h2 { margin: 0 0 12px; font-size: 17px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin-bottom: 16px; }
.card { flex: 1 1 120px; border-radius: 6px; padding: 10px 14px; color: #fff; }
.card .n { font-size: 28px; font-weight: 700; display: block; }
.card.total { background: #374151; }
${STATUSES.map((s) => `.card.${s} { background: ${COLORS[s]}; }`).join("\n")}
.row { display: flex; gap: 24px; flex-wrap: wrap; align-items: flex-start; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
th { background: #f3f4f6; position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.name { overflow-wrap: anywhere; max-width: 420px; }
code { font-size: 12px; background: #f3f4f6; padding: 1px 4px; border-radius: 3px; }
.status { font-weight: 600; }
${STATUSES.map((s) => `.status.${s} { color: ${COLORS[s]}; }`).join("\n")}
.hint { color: #374151; font-size: 12px; }
.legend span { display: inline-block; margin-right: 12px; font-size: 12px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: middle; }
input#filter { width: 320px; max-width: 100%; padding: 6px; margin-bottom: 8px; }
svg text { font-family: inherit; }
.empty { color: #6b7280; font-style: italic; }
`;

export function renderAuditHtml(report: AuditReport): string {
  const scriptHash = createHash("sha256").update(SCRIPT).digest("base64");
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${scriptHash}'; img-src data:; base-uri 'none'; form-action 'none'`;
  const problems = report.images.map((image, index) => ({ image, index })).filter(({ image }) => image.status !== "verified");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>signet audit: ${escapeHtml(report.source)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>signet audit</h1>
<p>Source: ${escapeHtml(report.source)}</p>
<p>Verified against: ${escapeHtml(report.policy)}</p>
<p>Generated <span data-json-text="generatedAt">${escapeHtml(report.generatedAt)}</span>; <span data-json="run.verifiedNow">${report.run.verifiedNow}</span> images verified in this run, <span data-json="run.resumed">${report.run.resumed}</span> carried over from an earlier run.</p>
</header>
<nav>
<a href="#summary" data-tab="summary">Summary</a>
<a href="#namespaces" data-tab="namespaces">By namespace</a>
<a href="#signers" data-tab="signers">By signer and format</a>
<a href="#problems" data-tab="problems">Unsigned and failing</a>
<a href="#images" data-tab="images">All images</a>
</nav>
<main>
${summarySection(report)}
${namespaceSection(report)}
${signerSection(report)}
${problemSection(problems)}
${imagesSection(report.images)}
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function num(path: string, value: number): string {
  return `<span data-json="${escapeHtml(path)}">${value}</span>`;
}

function summarySection(report: AuditReport): string {
  const t = report.totals;
  const cards = [
    `<div class="card total"><span class="n">${num("totals.total", t.total)}</span>images</div>`,
    ...STATUSES.map((s) => `<div class="card ${s}"><span class="n">${num(`totals.${s}`, t[s])}</span>${LABELS[s]}</div>`),
  ].join("\n");
  const codes =
    report.byCode.length === 0
      ? `<p class="empty">No image failed.</p>`
      : `<table><thead><tr><th>Error code</th><th class="num">Images</th><th>Fix</th></tr></thead><tbody>${report.byCode
          .map((c, i) => `<tr><td><code>${escapeHtml(c.code)}</code></td><td class="num">${num(`byCode.${i}.images`, c.images)}</td><td class="hint">${escapeHtml(c.hint)}</td></tr>`)
          .join("")}</tbody></table>`;
  return `<section data-page="summary" id="summary">
<h2>Summary</h2>
<div class="cards">${cards}</div>
<div class="row">
<div>${donut(t)}</div>
<div style="flex:1 1 400px"><h2>Why images failed</h2>${codes}</div>
</div>
</section>`;
}

/** Status shares as a ring (SVG stroke-dasharray), with the legend. */
function donut(t: Tally): string {
  const radius = 70;
  const circumference = 2 * Math.PI * radius;
  let offset = 0;
  const arcs = STATUSES.filter((s) => t[s] > 0).map((s) => {
    const length = (t[s] / t.total) * circumference;
    const arc = `<circle r="${radius}" cx="100" cy="100" fill="none" stroke="${COLORS[s]}" stroke-width="34" stroke-dasharray="${length.toFixed(2)} ${(circumference - length).toFixed(2)}" stroke-dashoffset="${(-offset).toFixed(2)}" transform="rotate(-90 100 100)"><title>${LABELS[s]}: ${t[s]}</title></circle>`;
    offset += length;
    return arc;
  });
  const coverage = percent(t);
  return `<svg role="img" aria-label="Images by status" width="200" height="200" viewBox="0 0 200 200">
<circle r="${radius}" cx="100" cy="100" fill="none" stroke="#e5e7eb" stroke-width="34"/>
${arcs.join("\n")}
<text x="100" y="98" text-anchor="middle" font-size="24" font-weight="700"><tspan data-coverage="totals">${coverage}</tspan>%</text>
<text x="100" y="118" text-anchor="middle" font-size="11" fill="#4b5563">verified</text>
</svg>
<div class="legend">${STATUSES.map((s) => `<span><i style="background:${COLORS[s]}"></i>${LABELS[s]}</span>`).join("")}</div>`;
}

interface BarRow {
  readonly name: string;
  readonly total: number;
  readonly segments: readonly { readonly value: number; readonly color: string; readonly label: string }[];
}

/** One stacked horizontal bar per row; the number after each bar is `totalPath(row index)` of the report. */
function bars(rows: readonly BarRow[], label: string, totalPath: (index: number) => string): string {
  const shown = rows.slice(0, CHART_ROWS);
  if (shown.length === 0) return `<p class="empty">Nothing to chart.</p>`;
  const max = Math.max(maxOf(shown.map((r) => r.total), 1), 1);
  const width = 560;
  const labelWidth = 220;
  const rowHeight = 22;
  const drawn = shown.map((row, i) => {
    let x = labelWidth;
    const y = i * rowHeight;
    const parts = row.segments
      .filter((segment) => segment.value > 0)
      .map((segment) => {
        const w = (segment.value / max) * (width - labelWidth - 50);
        const rect = `<rect x="${x.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 6}" fill="${segment.color}"><title>${escapeHtml(row.name)}: ${segment.value} ${escapeHtml(segment.label)}</title></rect>`;
        x += w;
        return rect;
      });
    return `<text x="${labelWidth - 6}" y="${y + 15}" text-anchor="end" font-size="11">${escapeHtml(truncate(row.name, 32))}</text>${parts.join("")}<text x="${(x + 4).toFixed(1)}" y="${y + 15}" font-size="11" fill="#374151" data-json="${escapeHtml(totalPath(i))}">${row.total}</text>`;
  });
  const more = rows.length > shown.length ? `<p class="hint">The chart is cut short; the table lists every row.</p>` : "";
  return `<svg role="img" aria-label="${escapeHtml(label)}" width="${width}" height="${shown.length * rowHeight}" viewBox="0 0 ${width} ${shown.length * rowHeight}">${drawn.join("\n")}</svg>${more}`;
}

function statusBars(rows: readonly (Tally & { readonly name: string })[], label: string, field: string): string {
  const barRows = rows.map((row) => ({ name: row.name, total: row.total, segments: STATUSES.map((s) => ({ value: row[s], color: COLORS[s], label: LABELS[s].toLowerCase() })) }));
  return bars(barRows, label, (i) => `${field}.${i}.total`);
}

function countBars(rows: readonly { readonly name: string; readonly images: number }[], label: string, field: string): string {
  const barRows = rows.map((row) => ({ name: row.name, total: row.images, segments: [{ value: row.images, color: row.name === "(none)" ? COLORS.unsigned : "#2563eb", label: "images" }] }));
  return bars(barRows, label, (i) => `${field}.${i}.images`);
}

function namespaceSection(report: AuditReport): string {
  const rows = report.byNamespace
    .map(
      (n, i) =>
        `<tr><td class="name">${escapeHtml(n.name)}</td><td class="num">${num(`byNamespace.${i}.total`, n.total)}</td>${STATUSES.map((s) => `<td class="num">${num(`byNamespace.${i}.${s}`, n[s])}</td>`).join("")}<td class="num"><span data-coverage="byNamespace.${i}">${percent(n)}</span>%</td></tr>`,
    )
    .join("\n");
  return `<section data-page="namespaces" id="namespaces">
<h2>Coverage by namespace</h2>
${statusBars(report.byNamespace, "Images by namespace and status", "byNamespace")}
<div class="legend">${STATUSES.map((s) => `<span><i style="background:${COLORS[s]}"></i>${LABELS[s]}</span>`).join("")}</div>
<table><thead><tr><th>Namespace</th><th class="num">Images</th>${STATUSES.map((s) => `<th class="num">${LABELS[s]}</th>`).join("")}<th class="num">Coverage</th></tr></thead>
<tbody>${rows}</tbody></table>
</section>`;
}

function signerSection(report: AuditReport): string {
  const table = (rows: readonly { name: string; images: number }[], field: string, heading: string) =>
    rows.length === 0
      ? `<p class="empty">No image verified.</p>`
      : `<table><thead><tr><th>${heading}</th><th class="num">Images</th></tr></thead><tbody>${rows
          .map((r, i) => `<tr><td class="name">${escapeHtml(r.name)}</td><td class="num">${num(`${field}.${i}.images`, r.images)}</td></tr>`)
          .join("")}</tbody></table>`;
  return `<section data-page="signers" id="signers">
<h2>Coverage by signer</h2>
${countBars(report.bySigner, "Verified images by signer", "bySigner")}
${table(report.bySigner as { name: string; images: number }[], "bySigner", "Signer")}
<h2 style="margin-top:20px">Coverage by signature format</h2>
${countBars(report.byFormat, "Images by signature format", "byFormat")}
${table(report.byFormat as { name: string; images: number }[], "byFormat", "Format")}
</section>`;
}

function problemSection(problems: readonly { image: AuditVerdict; index: number }[]): string {
  const rows = problems
    .map(
      ({ image, index }) =>
        `<tr><td class="name">${escapeHtml(image.image)}${workloads(image, index)}</td><td><span class="status ${image.status}">${LABELS[image.status]}</span></td><td><code>${escapeHtml(image.code ?? "")}</code></td><td class="name">${escapeHtml(image.reason ?? "")}</td><td class="hint">${escapeHtml(image.hint ?? "")}</td></tr>`,
    )
    .join("\n");
  return `<section data-page="problems" id="problems">
<h2>Unsigned and failing images</h2>
${problems.length === 0 ? `<p class="empty">Every image verified.</p>` : `<table><thead><tr><th>Image</th><th>Status</th><th>Code</th><th>Reason</th><th>Fix</th></tr></thead><tbody>${rows}</tbody></table>`}
</section>`;
}

function imagesSection(images: readonly AuditVerdict[]): string {
  const rows = images
    .map(
      (image, index) =>
        `<tr><td class="name">${escapeHtml(image.image)}${workloads(image, index)}</td><td class="name">${escapeHtml(image.namespace)}</td><td><span class="status ${image.status}">${LABELS[image.status]}</span></td><td class="name">${escapeHtml(image.signers.join(", "))}</td><td>${escapeHtml(image.formats.join(", "))}</td><td><code>${escapeHtml(image.digest ?? "")}</code></td></tr>`,
    )
    .join("\n");
  return `<section data-page="images" id="images">
<h2>All images</h2>
<input id="filter" type="search" placeholder="Filter by name, status, signer…" aria-label="Filter images">
<table id="all-images"><thead><tr><th>Image</th><th>Namespace</th><th>Status</th><th>Signers</th><th>Formats</th><th>Digest</th></tr></thead><tbody>${rows}</tbody></table>
</section>`;
}

function workloads(image: AuditVerdict, index: number): string {
  if (image.workloads.length === 0) return "";
  const shown = image.workloads.slice(0, 5).map((w) => `${w.namespace}/${w.pod} (${w.container})`);
  const more = image.workloads.length > shown.length ? `; ${num(`images.${index}.workloads.length`, image.workloads.length)} in all` : "";
  return `<div class="hint">run by ${escapeHtml(shown.join(", "))}${more}</div>`;
}

/** The share verified, one decimal: the page's only derived number (the browser test recomputes it from the JSON). */
function percent(t: Tally): string {
  return t.total === 0 ? "0.0" : ((100 * t.verified) / t.total).toFixed(1);
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}
