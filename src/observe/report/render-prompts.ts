import { esc } from './html.js';
import type { ReportModel } from './model.js';

/** Each sheet's latest prompt, folded, so that a reader sees exactly what its program was told. */
export function renderPrompts(model: ReportModel): string {
  const { prompts } = model;
  if (prompts.length === 0) return '';
  const items = prompts.map((p) => {
    const size = p.bytes === 1 ? '1 byte' : `${p.bytes} bytes`;
    const cut = p.truncated
      ? `<p class="note">The first ${Buffer.byteLength(p.text)} of ${size}; the whole prompt is in <code>${esc(p.file)}</code>.</p>`
      : '';
    return (
      `<details data-sheet="${esc(p.sheetId)}"><summary>${esc(p.sheetId)} · run ${p.run} · ${esc(size)} · <code>${esc(p.file)}</code></summary>` +
      `<pre class="prompt">${esc(p.text)}</pre>${cut}</details>`
    );
  });
  return `<section id="prompts">
<h2>Prompts</h2>
<p class="meta">The prompt of each sheet's latest attempt that had one, as its program was given it.</p>
${items.join('\n')}
</section>`;
}
