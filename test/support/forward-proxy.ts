/**
 * A minimal HTTP forward proxy on loopback that counts the requests it relays (for --proxy tests):
 * absolute-form requests for http:// targets, CONNECT tunnels for https:// ones.
 */
import http from 'node:http';
import net, { type AddressInfo, type LookupFunction } from 'node:net';

export interface ForwardProxy {
  readonly url: string;
  /** Requests relayed so far, as "METHOD absolute-url", and tunnels as "CONNECT host:port". */
  readonly seen: string[];
  close(): Promise<void>;
}

export interface ForwardProxyOptions {
  /** How the proxy resolves its targets' names (default: DNS). */
  readonly lookup?: LookupFunction;
  /** Where a tunnel really goes (default: the host and port asked for). */
  readonly tunnelTo?: (host: string, port: number) => { host: string; port: number };
}

export async function startForwardProxy(options: ForwardProxyOptions = {}): Promise<ForwardProxy> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    seen.push(`${req.method ?? ''} ${req.url ?? ''}`);
    const target = new URL(req.url ?? '/');
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: req.method,
        headers: req.headers,
        ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502).end();
    });
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url ?? ''}`);
    const [host = '', port = '443'] = (req.url ?? '').split(/:(?=\d+$)/);
    const to = options.tunnelTo?.(host, Number(port)) ?? { host, port: Number(port) };
    const upstream = net.connect({
      host: to.host,
      port: to.port,
      ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.once('connect', () => {
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
