// Liveness and readiness of `reconcile --watch`, for the kubelet's probes. Unhealthy when the loop
// stalls: a reconcile (or a Lease attempt) running longer than the stall bound, or no sign of life
// (a resync, a finished reconcile, a Lease attempt) for that long. Requests are bounded (client.ts),
// so a stall means something the bounds did not catch; the kubelet restarts the container.
export interface HealthReport {
  ok: boolean;
  reason: string;
}

export class Health {
  private readonly running = new Map<number, { what: string; since: number }>();
  private lastBeat: number;
  private started = false;
  private serial = 0;

  constructor(
    /** Work or silence longer than this is a stall. */
    readonly stallMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.lastBeat = clock();
  }

  /** A sign of life: the loop turned. */
  beat(): void {
    this.lastBeat = this.clock();
  }

  /** The controller is up: watches opened and the first namespaces listed, or following a leader. */
  markStarted(): void {
    this.started = true;
    this.beat();
  }

  /** Runs `work`, so that a stall inside it shows. */
  async track<T>(what: string, work: () => Promise<T>): Promise<T> {
    const id = ++this.serial;
    this.running.set(id, { what, since: this.clock() });
    try {
      return await work();
    } finally {
      this.running.delete(id);
      this.beat();
    }
  }

  live(): HealthReport {
    const now = this.clock();
    for (const { what, since } of this.running.values()) {
      if (now - since > this.stallMs) return { ok: false, reason: `${what} has run for ${Math.round((now - since) / 1000)} s (stall bound ${this.stallMs / 1000} s)` };
    }
    if (this.running.size === 0 && now - this.lastBeat > this.stallMs) return { ok: false, reason: `no reconcile, resync or Lease attempt for ${Math.round((now - this.lastBeat) / 1000)} s` };
    return { ok: true, reason: 'ok' };
  }

  ready(): HealthReport {
    if (!this.started) return { ok: false, reason: 'starting: watches and the first list are not done yet' };
    return this.live();
  }
}

/** Serves GET /livez and /readyz (200 or 503, with the reason) on host:port; port 0 picks one. */
export async function serveHealth(health: Health, host: string, port: number): Promise<{ port: number; close: () => Promise<void> }> {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const report = path === '/livez' || path === '/healthz' ? health.live() : path === '/readyz' ? health.ready() : undefined;
    if (!report) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end('not found: use /livez or /readyz\n');
    }
    res.writeHead(report.ok ? 200 : 503, { 'content-type': 'text/plain' });
    res.end(`${report.reason}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
