/**
 * The script of the `milk review` page: a decision button posts `{ subject, decision, note }` to
 * `/decisions` once per subject of its block (a whole group's button, one per pair), then shows
 * what was recorded. The server adds the reviewer and the time.
 */
export const REVIEW_SCRIPT = `
document.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-decision]');
  if (!button) return;
  const block = button.closest('.review');
  const status = block.querySelector('.status');
  const note = block.querySelector('input.note')?.value ?? '';
  const decision = button.dataset.decision;
  status.textContent = 'recording ...';
  try {
    let last;
    for (const subject of JSON.parse(block.dataset.subjects)) {
      const response = await fetch('/decisions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ subject, decision, note }) });
      const body = await response.json();
      if (!response.ok) throw new Error(body.error);
      last = body;
    }
    block.dataset.decision = decision;
    status.textContent = decision + ' by ' + last.reviewer + ', ' + last.at.slice(0, 16).replace('T', ' ') + ' UTC' + (last.note ? ': ' + last.note : '') + ' (applied by the next build)';
  } catch (err) {
    block.dataset.decision = '';
    status.textContent = 'not recorded: ' + err.message;
  }
});
`;
