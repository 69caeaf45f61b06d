/**
 * The configuration as it may be shown: `config check --json`, API answers, logs. Secrets are
 * replaced by '***' (present ones only, so that "set" and "not set" stay visible).
 */
import { REDACTED, redactUrl } from '../domain/redact-url.js';
import type { AgentConfig, DestinationConfig } from './agent-config.js';
import { deepFreeze } from './deep-freeze.js';

export { REDACTED, redactUrl };

function redactDestination(d: DestinationConfig): DestinationConfig {
  return {
    ...d,
    ...(d.secretAccessKey === undefined ? {} : { secretAccessKey: REDACTED }),
    ...(d.sessionToken === undefined ? {} : { sessionToken: REDACTED }),
    ...(d.proxy === undefined ? {} : { proxy: redactUrl(d.proxy) }),
    ...(d.endpoint === undefined ? {} : { endpoint: redactUrl(d.endpoint) }),
  };
}

function redactEvents(events: AgentConfig['events']): AgentConfig['events'] {
  const { webhook } = events;
  if (webhook === undefined) return events;
  const headers = Object.fromEntries(Object.keys(webhook.headers).map((k) => [k, REDACTED]));
  return { ...events, webhook: { url: redactUrl(webhook.url), headers } };
}

/**
 * A deep-frozen copy of `config` with every secret replaced by {@link REDACTED}: the
 * destinations' secretAccessKey and sessionToken, api.token, the webhook's header values, and
 * passwords inside URLs (proxy, endpoint, webhook, a PostgreSQL journal). `config` itself is not
 * changed.
 */
export function redactConfig(config: AgentConfig): AgentConfig {
  return deepFreeze({
    ...config,
    journal: redactUrl(config.journal),
    api: {
      ...config.api,
      ...(config.api.token === undefined ? {} : { token: REDACTED }),
    },
    events: redactEvents(config.events),
    jobs: config.jobs.map((job) => ({ ...job, destination: redactDestination(job.destination) })),
  });
}
