/** A TCP relay on loopback that can cut and refuse connections, to fake a server outage. */
import net from 'node:net';

/** A relay's controls. */
export interface TcpRelay {
  /** Where it listens on 127.0.0.1 (the same port after a restart). */
  readonly port: number;
  /** Listens again after stop (nothing when it listens). */
  start(): Promise<void>;
  /** Closes the listener (new connections are refused) and every relayed connection. */
  stop(): Promise<void>;
}

/** A TCP relay to the server on loopback that can refuse connections (stop) and take them again. */
export async function tcpRelay(targetPort: number): Promise<TcpRelay> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const start = async (): Promise<void> => {
    if (server !== undefined) return;
    const s = net.createServer((inbound) => {
      const outbound = net.connect(targetPort, '127.0.0.1');
      for (const sock of [inbound, outbound]) {
        sockets.add(sock);
        sock.on('error', () => undefined);
        sock.on('close', () => sockets.delete(sock));
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', resolve);
    });
    port = (s.address() as net.AddressInfo).port;
    server = s;
  };
  await start();
  return {
    get port() {
      return port;
    },
    start,
    /** Closes the listener (new connections are refused) and every relayed connection. */
    stop: async (): Promise<void> => {
      const s = server;
      server = undefined;
      for (const sock of sockets) sock.destroy();
      if (s !== undefined) await new Promise((resolve) => s.close(resolve));
    },
  };
}
