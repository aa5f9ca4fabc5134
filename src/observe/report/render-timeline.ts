import { clip, duration, esc, offset, tickStep, timestamp, usd } from './html.js';
import type { AttemptBar, ReportModel, Segment, TimelineRow } from './model.js';

const LABEL_W = 230;
const PLOT_W = 940;
const ROW_H = 18;
const AXIS_H = 26;
const ID_CHARS = 32;

/**
 * The timeline as one SVG: a row per sheet, a bar per attempt coloured by its outcome, and
 * between attempts what the sheet waited for (a slot, a retry backoff, a rate limit, a
 * decision at a fermata). Tooltips are SVG `<title>`s: no script.
 */
export function renderTimeline(model: ReportModel): string {
  const { start, end } = model.span;
  const span = Math.max(1, end - start);
  const x = (t: number) => LABEL_W + ((Math.min(Math.max(t, start), end) - start) / span) * PLOT_W;
  const rows = model.timeline.rows;
  const height = AXIS_H + rows.length * ROW_H + 6;
  const parts: string[] = [
    `<svg id="timeline-svg" width="${LABEL_W + PLOT_W + 20}" height="${height}" viewBox="0 0 ${LABEL_W + PLOT_W + 20} ${height}" role="img" aria-label="timeline">`,
    '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' +
      '<rect width="6" height="6" fill="#fbe3c4"/><rect width="3" height="6" fill="#e8912d"/></pattern></defs>',
    axis(start, span, height, x),
  ];
  rows.forEach((row, i) => parts.push(renderRow(row, i, x)));
  parts.push('</svg>');
  return parts.join('\n');
}

function axis(start: number, span: number, height: number, x: (t: number) => number): string {
  const step = tickStep(span, 10);
  const ticks: string[] = [];
  for (let t = 0; t <= span; t += step) {
    const at = x(start + t).toFixed(1);
    ticks.push(`<line class="tick" x1="${at}" x2="${at}" y1="${AXIS_H - 6}" y2="${height}"/><text x="${at}" y="14" text-anchor="middle">${esc(offset(t))}</text>`);
  }
  return `<g class="axis"><title>${esc(`time since the job started (${timestamp(start)})`)}</title>${ticks.join('')}</g>`;
}

function renderRow(row: TimelineRow, i: number, x: (t: number) => number): string {
  const y = AXIS_H + i * ROW_H;
  const label = `${row.id} — ${row.state}${row.lastError && row.state !== 'completed' ? `\n${row.lastError}` : ''}`;
  const parts = [
    `<g class="row" data-sheet="${esc(row.id)}" data-state="${esc(row.state)}" transform="translate(0,${y})">`,
    i % 2 === 0 ? `<rect class="stripe" x="0" y="0" width="${LABEL_W + PLOT_W}" height="${ROW_H}"/>` : '',
    `<rect class="st-${esc(row.state)}" x="2" y="4" width="4" height="${ROW_H - 8}"/>`,
    `<text x="10" y="13">${esc(clip(row.id, ID_CHARS))}<title>${esc(label)}</title></text>`,
  ];
  for (const segment of row.segments) parts.push(renderSegment(segment, x));
  for (const attempt of row.attempts) parts.push(renderAttempt(row.id, attempt, x));
  parts.push('</g>');
  return parts.join('');
}

const SEGMENT_TEXT: Record<Segment['kind'], string> = {
  queued: 'ready, waiting for a free slot',
  retry: 'backing off before a retry',
  waiting: 'waiting for a rate limit to lift',
  fermata: 'held at a fermata for a decision',
};

function renderSegment(s: Segment, x: (t: number) => number): string {
  const x1 = x(s.start);
  const w = Math.max(1, x(s.end) - x1);
  const tip = [
    `${SEGMENT_TEXT[s.kind]}: ${duration(s.end - s.start)}${s.open ? ' so far' : ''}`,
    s.until !== null ? `until ${timestamp(s.until)}` : '',
    s.detail !== null ? `reason: ${s.detail}` : '',
  ].filter((line) => line !== '');
  const title = `<title>${esc(tip.join('\n'))}</title>`;
  const cls = `s-${s.kind}${s.open ? ' open' : ''}`;
  switch (s.kind) {
    case 'queued':
      return `<rect class="${cls}" x="${x1.toFixed(1)}" y="${ROW_H / 2 - 1}" width="${w.toFixed(1)}" height="2">${title}</rect>`;
    case 'retry':
      return `<rect class="${cls}" x="${x1.toFixed(1)}" y="6" width="${w.toFixed(1)}" height="6">${title}</rect>`;
    case 'waiting':
      return `<rect class="${cls}" x="${x1.toFixed(1)}" y="3" width="${w.toFixed(1)}" height="${ROW_H - 6}">${title}</rect>`;
    case 'fermata':
      return (
        `<g><rect class="${cls}" x="${x1.toFixed(1)}" y="3" width="${w.toFixed(1)}" height="${ROW_H - 6}"/>` +
        `<path class="m-fermata" d="M${x1.toFixed(1)} 2l4 7l-4 7l-4-7z"/>${title}</g>`
      );
  }
}

function renderAttempt(id: string, a: AttemptBar, x: (t: number) => number): string {
  const x1 = x(a.start);
  const w = Math.max(1.5, x(a.end) - x1);
  const what = a.open ? 'running' : a.status.replace('_', '-');
  const lines = [
    `${id} — attempt ${a.number}${a.mode !== 'normal' ? ` (${a.mode})` : ''} on ${a.instrument}${a.model !== null ? `/${a.model}` : ''}`,
    `${what}, ${duration(a.end - a.start)}${a.open ? ' so far' : ''}${a.exitCode !== null ? `, exit ${a.exitCode}` : ''}`,
    a.costUsd !== null ? `cost ${usd(a.costUsd)}` : '',
    a.reason !== null ? `reason: ${a.reason}` : '',
    a.error ?? '',
  ].filter((line) => line !== '');
  return (
    `<rect class="a-${esc(a.status)}${a.open ? ' open' : ''}" data-attempt="${a.number}" x="${x1.toFixed(1)}" y="4" width="${w.toFixed(1)}" height="${ROW_H - 8}" rx="2">` +
    `<title>${esc(lines.join('\n'))}</title></rect>`
  );
}
