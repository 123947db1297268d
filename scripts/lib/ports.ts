import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Whether nothing listens on the port yet. */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** The lowest port Linux hands out to outgoing connections and `listen(0)` (ip_local_port_range), else 32768. */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 1024 ? low : 32768;
  } catch {
    return 32768;
  }
}

/**
 * A port that is free right now, for test, bench and chaos runs that must not assume they are alone. Taken below the
 * ephemeral range where it can: a port from that range may be taken by any outgoing connection on the machine in the
 * seconds before the server that was meant to have it listens. Falls back to one the system gives out.
 */
export async function freePort(): Promise<number> {
  const low = Math.min(ephemeralLow(), 32768);
  const from = Math.max(10_000, low - 12_000);
  for (let attempt = 0; attempt < 30 && low - from > 100; attempt++) {
    const port = from + Math.floor(Math.random() * (low - from));
    if (await portIsFree(port)) return port;
  }
  return systemPort();
}

function systemPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
