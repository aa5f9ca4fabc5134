import { SHEET_STATES, type SheetState } from '../../machines/types.js';
import type { AttemptStatus } from '../../store/types.js';

/** The report's colours: one per sheet state, one per attempt outcome. */
const STATE_COLOURS: Record<SheetState, string> = {
  pending: '#cfd6de',
  ready: '#9fc5f8',
  dispatched: '#6fa8dc',
  running: '#3b7dd8',
  waiting: '#e8912d',
  retry: '#e6c229',
  completion: '#5fb3a1',
  fermata: '#8e5bd6',
  completed: '#2e9d57',
  failed: '#d64545',
  skipped: '#9aa0a6',
  cancelled: '#5f6368',
};

const ATTEMPT_COLOURS: Record<AttemptStatus, string> = {
  success: '#2e9d57',
  failure: '#d64545',
  rate_limited: '#e8912d',
  running: '#3b7dd8',
  interrupted: '#8c959f',
  cancelled: '#5f6368',
};

const stateRules = SHEET_STATES.map((s) => `.st-${s}{fill:${STATE_COLOURS[s]}}.chip-${s}{background:${STATE_COLOURS[s]}}`).join('');
const attemptRules = Object.entries(ATTEMPT_COLOURS)
  .map(([status, colour]) => `.a-${status}{fill:${colour}}.key-a-${status}{background:${colour}}`)
  .join('');

/** Inline CSS: the page needs no file and no network. */
export const STYLESHEET = `
*{box-sizing:border-box}
body{margin:0;padding:24px 32px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d8dee4;padding-bottom:4px}
.meta{color:#57606a;margin:0 0 12px}.note{color:#6e5a00;background:#fff8c5;border:1px solid #eedc82;padding:6px 10px;border-radius:6px;display:inline-block;margin:4px 0}
table{border-collapse:collapse;margin:4px 0 12px}th,td{border:1px solid #d8dee4;padding:3px 10px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}tr.zero td{color:#8c959f}
.chip{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:baseline}
.grid{display:flex;flex-wrap:wrap;align-items:flex-start;gap:0 32px}
.legend{display:flex;flex-wrap:wrap;gap:4px 18px;margin:6px 0;color:#3d444d;font-size:13px}
.legend span{display:inline-flex;align-items:center}
.sw{display:inline-block;width:22px;height:10px;margin-right:6px;border-radius:2px}
.sw-waiting{background:repeating-linear-gradient(45deg,#e8912d 0 3px,#fbe3c4 3px 6px)}
.sw-retry{background:#f5e7a1}.sw-queued{height:3px;background:#9aa7b4}.sw-fermata{background:#cdb6f0;border:1px solid #8e5bd6}
.scroll{overflow-x:auto;max-width:100%}
svg text{font:11px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;fill:#1f2328}
svg .axis text{fill:#57606a}svg .tick{stroke:#eaeef2}svg .stripe{fill:#f6f8fa}
svg .s-queued{fill:#9aa7b4}svg .s-retry{fill:#f5e7a1}svg .s-waiting{fill:url(#hatch)}
svg .s-fermata{fill:#cdb6f0;stroke:#8e5bd6}svg .m-fermata{fill:#8e5bd6}
svg .open{opacity:.75}svg .edge{fill:none;stroke:#8c959f;stroke-width:1}
svg .node rect.box{fill:#fff;stroke:#57606a}svg .node.group rect.box{stroke-width:2}
pre.prompt{margin:4px 0;padding:8px;background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;white-space:pre-wrap;word-break:break-word;max-width:900px;max-height:480px;overflow:auto;font:12px ui-monospace,monospace}
details summary{cursor:pointer}
pre.err{margin:0;white-space:pre-wrap;word-break:break-word;max-width:900px;font:12px ui-monospace,monospace}
${stateRules}${attemptRules}
`;
