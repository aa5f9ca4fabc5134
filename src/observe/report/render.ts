import { SHEET_STATES } from '../../machines/types.js';
import { duration, esc, timestamp, usd } from './html.js';
import type { InstrumentStats, ReportModel } from './model.js';
import { renderGraph } from './render-graph.js';
import { renderPrompts } from './render-prompts.js';
import { renderTimeline } from './render-timeline.js';
import { STYLESHEET } from './styles.js';

/**
 * Lets the page load nothing at all: no script, no image, no font, no request of any kind.
 * Only the inline stylesheet runs, so a report opened from anywhere stays offline.
 */
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'";

/** The report as one self-contained HTML document: inline CSS and SVG, no script, no URL. */
export function renderReport(model: ReportModel): string {
  const { job } = model;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`baton report — ${job.name}`)}</title>
<style>${STYLESHEET}</style>
</head>
<body>
${header(model)}
<section id="summary">
<h2>Summary</h2>
${summaryTables(model)}
</section>
<section id="timeline">
<h2>Timeline</h2>
${timelineIntro(model)}
<div class="scroll">${renderTimeline(model)}</div>
</section>
<section id="graph">
<h2>Dependencies</h2>
${graphIntro(model)}
<div class="scroll">${renderGraph(model.graph)}</div>
</section>
${problems(model)}
${renderPrompts(model)}
</body>
</html>
`;
}

function header(model: ReportModel): string {
  const { job, span } = model;
  const status = job.outcome ?? job.state;
  const paused = job.pauseReasons.length > 0 ? ` (paused: ${job.pauseReasons.join(', ')})` : '';
  const when = job.live
    ? `still running: this is the state at ${timestamp(job.generatedAt)}`
    : `last checkpoint ${timestamp(span.end)}; report made ${timestamp(job.generatedAt)}`;
  return (
    `<header><h1>${esc(job.name)}</h1>` +
    `<p class="meta">job <code>${esc(job.jobId)}</code> · <strong id="job-status">${esc(status)}</strong>${esc(paused)} · ` +
    `started ${timestamp(span.start)} · ${esc(when)}</p></header>`
  );
}

/** Mean busy time of one run, rate-limited and interrupted runs included (they kept the instrument busy too). */
function meanRun(i: InstrumentStats): string {
  const runs = i.attempts + i.rateLimited + i.interrupted;
  return runs > 0 ? duration(i.busyMs / runs) : '—';
}

function summaryTables(model: ReportModel): string {
  const { summary, job } = model;
  const states = SHEET_STATES.map((s) => {
    const n = summary.states[s];
    return `<tr class="${n === 0 ? 'zero' : ''}" data-state="${s}"><td><span class="chip chip-${s}"></span>${s}</td><td class="n">${n}</td></tr>`;
  });
  const a = summary.attempts;
  const budget = job.budgetUsd !== null ? ` of ${usd(job.budgetUsd)} budget` : '';
  const overview = [
    ['sheets', String(summary.sheets)],
    ['attempts', `${a.total} (${a.success} succeeded, ${a.failure} failed, ${a.cancelled > 0 ? `${a.cancelled} cancelled, ` : ''}${a.running} running)`],
    ['rate-limited runs', String(a.rate_limited)],
    ['interrupted runs', String(a.interrupted)],
    ['cost', `${usd(summary.costUsd)}${budget}`],
    ['duration', duration(summary.durationMs)],
    ['time waiting for rate limits', duration(summary.waitingMs)],
    ['time held at fermatas', duration(summary.fermataMs)],
  ].map(([k, v]) => `<tr><th>${esc(k!)}</th><td data-key="${esc(k!)}">${esc(v!)}</td></tr>`);
  const instruments = summary.instruments.map(
    (i) =>
      `<tr><td>${esc(i.instrument)}</td><td>${esc(i.model ?? '—')}</td><td class="n">${i.attempts}</td><td class="n">${i.succeeded}</td>` +
      `<td class="n">${i.failed}</td><td class="n">${i.rateLimited}</td><td class="n">${i.interrupted}</td><td class="n">${i.running}</td>` +
      `<td class="n">${duration(i.busyMs)}</td><td class="n">${meanRun(i)}</td>` +
      `<td class="n">${usd(i.costUsd)}</td></tr>`,
  );
  return `<div class="grid">
<table id="overview"><tbody>${overview.join('')}</tbody></table>
<table id="states"><thead><tr><th>state</th><th>sheets</th></tr></thead><tbody>${states.join('')}</tbody></table>
</div>
<table id="instruments"><thead><tr><th>instrument</th><th>model</th><th>attempts</th><th>succeeded</th><th>failed</th><th>rate-limited</th><th>interrupted</th><th>running</th><th>busy</th><th>mean</th><th>cost</th></tr></thead>
<tbody>${instruments.length > 0 ? instruments.join('') : '<tr><td colspan="11">no attempts yet</td></tr>'}</tbody></table>`;
}

function timelineIntro(model: ReportModel): string {
  const { rows, total } = model.timeline;
  const legend = [
    ...(['success', 'failure', 'rate_limited', 'interrupted', 'cancelled', 'running'] as const).map(
      (s) => `<span><i class="sw key-a-${s}"></i>attempt: ${s.replace('_', '-')}</span>`,
    ),
    '<span><i class="sw sw-queued"></i>ready, waiting for a slot</span>',
    '<span><i class="sw sw-retry"></i>retry backoff</span>',
    '<span><i class="sw sw-waiting"></i>rate-limit wait</span>',
    '<span><i class="sw sw-fermata"></i>fermata (held for a decision)</span>',
  ];
  const capped =
    rows.length < total
      ? `<p class="note" id="timeline-cap">The timeline shows the first ${rows.length} of ${total} sheets; the summary counts all of them.</p>`
      : '';
  return `<div class="legend">${legend.join('')}</div>${capped}`;
}

function graphIntro(model: ReportModel): string {
  const { graph } = model;
  const notes: string[] = [];
  if (graph.collapsedGroups > 0) {
    notes.push(`${graph.collapsedGroups} fan-out${graph.collapsedGroups > 1 ? 's are' : ' is'} drawn as one node each, with the number of members and a bar of their states.`);
  }
  if (graph.nodes.length < graph.totalNodes) {
    notes.push(`The graph shows the first ${graph.nodes.length} of ${graph.totalNodes} nodes, by layer.`);
  }
  return notes.map((n) => `<p class="note">${esc(n)}</p>`).join('');
}

function problems(model: ReportModel): string {
  if (model.problemCount === 0) return '';
  const rows = model.problems.map(
    (p) =>
      `<tr data-sheet="${esc(p.id)}"><td>${esc(p.id)}</td><td>${esc(p.state)}</td><td>${esc(p.reason ?? '—')}</td>` +
      `<td><pre class="err">${esc(p.error ?? '')}</pre></td></tr>`,
  );
  const more = model.problemCount > model.problems.length ? `<p class="note">${model.problemCount - model.problems.length} more not listed.</p>` : '';
  return `<section id="problems">
<h2>Failed and held sheets</h2>
<table><thead><tr><th>sheet</th><th>state</th><th>reason</th><th>last error</th></tr></thead><tbody>${rows.join('')}</tbody></table>${more}
</section>`;
}
