// A destination's card on the overview: where it is, its health, and while unhealthy the cause,
// the fix and a button to probe it again now.
import { badge, h, longText } from '../dom.js';
import { ago, fullTime, rate, time } from '../format.js';
import { busy, toast } from '../ui.js';

/**
 * A health pill: healthy, unhealthy, or unknown before the first probe.
 * @param {import('../../types/api').Health | undefined} health
 */
export function healthBadge(health) {
  if (!health) return badge('unknown', 'muted');
  return health.healthy ? badge('healthy', 'ok') : badge('unhealthy', 'bad');
}

/**
 * A bandwidth limit as a line ("4.00 MiB/s (override) until 18:00, then no limit"), or '' when
 * none is configured or set.
 * @param {import('../../types/api').BandwidthLimit} l
 */
export function limitText(l) {
  if (l.timetable === null && l.source !== 'override') return '';
  const now = l.bytesPerSec === null ? 'no limit' : rate(l.bytesPerSec);
  const whose = l.source === 'override' ? ' (override)' : '';
  const next = l.next
    ? ` until ${time(l.next.at)}, then ${l.next.bytesPerSec === null ? 'no limit' : rate(l.next.bytesPerSec)}`
    : '';
  return `${now}${whose}${next}`;
}

/**
 * @param {import('../../types/api').Destination} d
 * @param {import('../../types/dashboard').ViewContext} ctx
 * @param {import('../../types/api').BandwidthLimit} [limit] its bandwidth limit
 */
export function destRow(d, { api, refresh }, limit) {
  const health = d.health;
  const retry = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-small',
      title:
        'Probe the destination again now, and release parked and waiting files for another try',
      'aria-label': `Retry ${d.name} now`,
    },
    'Retry now',
  );
  retry.addEventListener('click', () => {
    void busy(
      retry,
      async () => {
        const r = await api('/retry', { method: 'POST', body: {} });
        const n = r.released;
        toast(
          `Destination probed again; ${n} file${n === 1 ? '' : 's'} released for another try.`,
          'ok',
        );
        await refresh();
      },
      'Retry',
    );
  });
  const where = `s3://${d.bucket}/${d.prefix}`;
  return h(
    'article',
    { class: ['row-card', !health.healthy && 'is-bad'], dataset: { destination: d.name } },
    h(
      'div',
      { class: 'row-main' },
      h('div', { class: 'row-title' }, h('strong', { class: 'mono' }, where), healthBadge(health)),
      d.endpoint ? h('div', { class: 'row-sub mono' }, d.endpoint) : undefined,
      capabilityLine(d.capabilities),
      limit && limitText(limit)
        ? h(
            'div',
            { class: 'row-sub', dataset: { bwlimit: '' }, title: limit.timetable ?? '' },
            `Bandwidth limit: ${limitText(limit)}`,
          )
        : undefined,
      health.healthy
        ? h(
            'div',
            { class: 'row-sub', title: fullTime(health.since) },
            `healthy since ${ago(health.since)}`,
          )
        : h(
            'div',
            { class: 'problem' },
            h(
              'div',
              { class: 'problem-cause' },
              health.code ? h('code', {}, health.code) : undefined,
              ' ',
              longText(health.cause ?? 'unhealthy'),
            ),
            health.hint
              ? h('div', { class: 'problem-hint' }, h('span', {}, 'Fix: '), health.hint)
              : undefined,
            h(
              'div',
              { class: 'problem-foot' },
              h(
                'span',
                { class: 'row-sub', title: fullTime(health.since) },
                `since ${ago(health.since)} · its files wait and go once a probe passes`,
              ),
              retry,
            ),
          ),
    ),
  );
}

/** What the store accepts, as its capability probe last found (GET /api/v1/destinations). */
const CAPABILITY_NAMES = /** @type {const} */ ([
  ['conditionalPut', 'conditional PUT'],
  ['tagging', 'tags'],
  ['objectLock', 'Object Lock'],
  ['versioning', 'versioning'],
  ['checksumCrc32', 'CRC32'],
  ['md5Etags', 'MD5 ETags'],
]);

/**
 * One line of ✓ and ✗ per capability, or nothing before the first probe.
 * @param {import('../../types/api').Destination['capabilities']} probed
 */
function capabilityLine(probed) {
  if (!probed) return undefined;
  const c = probed.capabilities;
  const text = CAPABILITY_NAMES.map(([k, name]) => `${c[k] ? '✓' : '✗'} ${name}`).join(' · ');
  return h(
    'div',
    {
      class: 'row-sub small',
      dataset: { capabilities: '' },
      title: `what the store accepts, probed ${fullTime(probed.probedAt)}`,
    },
    text,
  );
}
