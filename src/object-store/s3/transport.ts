/**
 * The sockets under both request paths (the SDK's handler and s3-direct.ts): keep-alive agents
 * for http and https, a proxy with its bypass list decided per host, the CA bundle that TLS
 * verifies servers with, and an optional resolver for chosen names.
 *
 * One pair of agents serves both paths, so a connection opened by one is reused by the other,
 * and both see the same proxy, CA and names.
 */
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

/** A name and the address it is reached at, instead of asking DNS (see {@link resolverFor}). */
export interface ResolveEntry {
  /** Matches this host and every name below it (`s3.test` matches `bucket.s3.test`). */
  readonly host: string;
  readonly address: string;
}

/** What the agents are made of. */
export interface TransportSettings {
  /** Proxy URL for all requests, and hosts that bypass it (NO_PROXY syntax). */
  readonly proxy?: string;
  readonly noProxy?: readonly string[];
  /** Sockets per host. */
  readonly maxSockets: number;
  /** PEM of the CAs that server certificates must chain to, instead of Node's own list. */
  readonly ca?: string;
  /** Names resolved without DNS (tests, the bench); every other name goes to DNS. */
  readonly resolve?: readonly ResolveEntry[];
}

/** The agent for each protocol. */
export interface Agents {
  readonly http: http.Agent;
  readonly https: http.Agent;
}

/** True when `host` matches an entry of a NO_PROXY-style list. */
export function bypassesProxy(host: string, noProxy: readonly string[]): boolean {
  const h = host.toLowerCase();
  return noProxy.some((raw) => {
    const entry = raw.trim().toLowerCase().replace(/:\d+$/, '');
    if (entry === '') return false;
    if (entry === '*') return true;
    const bare = entry.replace(/^\*?\./, '');
    return h === bare || h.endsWith(`.${bare}`);
  });
}

/** True when `entry` names `hostname` or a name above it. */
function covers(entry: ResolveEntry, hostname: string): boolean {
  const h = hostname.toLowerCase();
  const e = entry.host.toLowerCase();
  return h === e || h.endsWith(`.${e}`);
}

/**
 * A `lookup` for sockets that answers the entries' names with their address and asks DNS for the
 * rest: names resolved inside this process only, never a change to the system's resolver.
 */
export function resolverFor(entries: readonly ResolveEntry[]): net.LookupFunction {
  return (hostname, options, callback) => {
    const hit = entries.find((e) => covers(e, hostname));
    if (hit === undefined) {
      dns.lookup(hostname, options, callback);
      return;
    }
    const family = net.isIP(hit.address);
    if (options.all === true)
      (callback as (e: null, a: dns.LookupAddress[]) => void)(null, [
        { address: hit.address, family },
      ]);
    else callback(null, hit.address, family);
  };
}

/**
 * Sends each request through the proxy or straight to its host, by the host's name: with
 * virtual-hosted addressing the host is the bucket's own name, which a NO_PROXY entry may name
 * where the endpoint's does not.
 */
class ProxyRouter extends http.Agent {
  readonly #direct: http.Agent;
  readonly #proxied: http.Agent;
  readonly #noProxy: readonly string[];

  constructor(
    direct: http.Agent,
    proxied: http.Agent,
    noProxy: readonly string[],
    secure: boolean,
    maxSockets: number,
  ) {
    // keepAlive and a finite maxSockets: else node sends `Connection: close` with every request
    super({ keepAlive: true, maxSockets });
    this.#direct = direct;
    this.#proxied = proxied;
    this.#noProxy = noProxy;
    // node checks a request's protocol against its agent's
    Object.assign(this, { protocol: secure ? 'https:' : 'http:', defaultPort: secure ? 443 : 80 });
  }

  /** Called by node's ClientRequest for every request (undeclared in @types/node). */
  addRequest(req: http.ClientRequest, options: { host?: string }): void {
    const agent = bypassesProxy(options.host ?? '', this.#noProxy) ? this.#direct : this.#proxied;
    (agent as unknown as { addRequest(r: http.ClientRequest, o: unknown): void }).addRequest(
      req,
      options,
    );
  }

  override destroy(): void {
    this.#direct.destroy();
    this.#proxied.destroy();
    super.destroy();
  }
}

/**
 * https-proxy-agent builds the TLS connection through the tunnel from the request's options only
 * (its constructor drops the agent's own): the CA is added to them here, or the tunnelled
 * connection would verify against node's list whatever the bundle says.
 */
class TunnelWithCa extends HttpsProxyAgent<string> {
  readonly #ca: string;

  constructor(proxy: string, options: https.AgentOptions, ca: string) {
    super(proxy, options);
    this.#ca = ca;
  }

  override connect(
    req: http.ClientRequest,
    options: Parameters<HttpsProxyAgent<string>['connect']>[1],
  ): ReturnType<HttpsProxyAgent<string>['connect']> {
    return super.connect(req, { ...options, ca: this.#ca } as typeof options);
  }
}

/** The http and https agents for `settings`. */
export function makeAgents(settings: TransportSettings): Agents {
  const lookup =
    settings.resolve === undefined || settings.resolve.length === 0
      ? undefined
      : resolverFor(settings.resolve);
  const options = {
    keepAlive: true,
    maxSockets: settings.maxSockets,
    scheduling: 'lifo' as const,
    ...(lookup === undefined ? {} : { lookup }),
  };
  const tls = settings.ca === undefined ? options : { ...options, ca: settings.ca };
  const direct = { http: new http.Agent(options), https: new https.Agent(tls) };
  const proxy = settings.proxy;
  if (proxy === undefined) return direct;
  // Plain-http hosts go through the proxy as absolute-form requests (what every forward proxy
  // accepts); https hosts through a CONNECT tunnel, verified with the same CA.
  const proxied = {
    http: new HttpProxyAgent(proxy, options),
    https:
      settings.ca === undefined
        ? new HttpsProxyAgent(proxy, options)
        : new TunnelWithCa(proxy, options, settings.ca),
  };
  const noProxy = settings.noProxy ?? [];
  if (noProxy.length === 0) return proxied;
  return {
    http: new ProxyRouter(direct.http, proxied.http, noProxy, false, settings.maxSockets),
    https: new ProxyRouter(direct.https, proxied.https, noProxy, true, settings.maxSockets),
  };
}

/**
 * Names the host on a TLS error that lacks it (node names it only when the name does not match),
 * so that the classifier can say whose certificate failed.
 */
export function tagHost(err: unknown, host: string): void {
  if (host !== '' && err instanceof Error && typeof (err as { host?: unknown }).host !== 'string')
    (err as { host?: string }).host = host;
}
