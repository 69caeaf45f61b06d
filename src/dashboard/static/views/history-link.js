// A download link of an uploaded file (GET /api/v1/link): presigned or public, opened in a new tab.
import { h } from '../dom.js';
import { baseName, fullTime } from '../format.js';
import { busy, toast } from '../ui.js';

/**
 * The link of a row: by key within its job (the version it stored, if any), else by path.
 * @param {import('../../types/api').HistoryRecord} r
 */
function linkParams(r) {
  if (!r.job) return { path: r.sourcePath };
  return r.versionId
    ? { key: r.key, job: r.job, versionId: r.versionId }
    : { key: r.key, job: r.job };
}

/**
 * Asks the agent for a download link of an uploaded file and opens it in a new tab; a toast says
 * which kind it is and until when it works, with buttons to open it again and copy it.
 * @param {HTMLButtonElement} button
 * @param {import('../../types/api').HistoryRecord} r
 * @param {import('../../types/dashboard').ViewContext['api']} api
 */
export async function openLink(button, r, api) {
  // open the tab now, while the click still counts as a user gesture, and point it at the URL
  // once the agent answers (a window.open after an await may be blocked)
  const tab = window.open('', '_blank');
  const res = await busy(
    button,
    () => api('/link', { params: linkParams(r) }),
    `Link for ${baseName(r.sourcePath)}`,
  );
  if (!res) {
    tab?.close();
    return;
  }
  if (tab) {
    tab.opener = null;
    tab.location.href = res.url;
  }
  const until = res.expiresAt === null ? '' : ` · valid until ${fullTime(res.expiresAt)}`;
  toast(
    `${res.kind === 'public' ? 'Public' : 'Presigned'} link for ${baseName(r.sourcePath)}${until}`,
    'ok',
    h(
      'div',
      { class: 'toast-actions' },
      h(
        'a',
        { href: res.url, target: '_blank', rel: 'noopener noreferrer', class: 'download-link' },
        tab ? 'Open again' : 'Open',
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-small btn-quiet',
          onclick: () => {
            // undefined outside a secure context (plain HTTP under another name than localhost)
            if (!('clipboard' in navigator)) return;
            navigator.clipboard.writeText(res.url).then(
              () => {
                toast('Link copied.', 'ok');
              },
              () => undefined,
            );
          },
        },
        'Copy',
      ),
    ),
  );
}
