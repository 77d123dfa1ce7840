// A real Prometheus (Debian's prometheus 2.42) for the canary tests: synthetic Istio series are
// written as OpenMetrics, turned into a TSDB block by `promtool tsdb create-blocks-from
// openmetrics` in a temporary data folder, and served on 127.0.0.1 on a free port (port 0).
// It runs under a shell that kills it when our stdin closes, so it stops with the test process
// even when that dies. Nothing here uses a system service.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function requirePrometheus(): void {
  for (const tool of ['prometheus', 'promtool']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      throw new Error(`the canary tests need ${tool} on PATH: apt-get install -y prometheus (Debian's 2.42; .ci/run installs it).`);
    }
  }
}

/** Istio's default buckets for istio_request_duration_milliseconds (istio/proxy stats defaults), up to 10 s. */
export const BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/** One version of one service, as Istio's sidecars would report it. */
export interface Workload {
  namespace: string;
  service: string;
  version: string;
  /** Requests per second, over the whole series. */
  rps: number;
  /** Share of requests answered 503. */
  errorRate: number;
  /** Cumulative share of requests at or under each of BUCKETS (1 at the last). */
  latencyCdf: number[];
}

export const FAST = [0, 0, 0.05, 0.2, 0.6, 0.9, 0.995, 1, 1, 1, 1, 1, 1]; // p99 ≈ 97 ms
export const SLOW = [0, 0, 0.01, 0.05, 0.2, 0.5, 0.8, 0.9, 0.95, 0.985, 1, 1, 1]; // p99 ≈ 1.5 s

/** OpenMetrics text: every workload's counters and histogram, one sample per `step` s over [start, end]. */
export function openMetrics(workloads: readonly Workload[], start: number, end: number, step = 15): string {
  const requests: string[] = [];
  const buckets: string[] = [];
  for (const w of workloads) {
    const dest = `destination_service_name="${w.service}",destination_service_namespace="${w.namespace}",destination_version="${w.version}",destination_workload="${w.service}-${w.version}",destination_workload_namespace="${w.namespace}",destination_app="${w.service}"`;
    for (let t = start; t <= end; t += step) {
      const total = Math.round(w.rps * (t - start));
      const errors = Math.round(total * w.errorRate);
      for (const reporter of ['destination', 'source']) {
        // The source side reports the same requests again: a query without reporter="destination" counts them twice.
        requests.push(`istio_requests_total{reporter="${reporter}",${dest},response_code="200"} ${total - errors} ${t}`);
        if (w.errorRate > 0) requests.push(`istio_requests_total{reporter="${reporter}",${dest},response_code="503"} ${errors} ${t}`);
      }
      BUCKETS.forEach((le, i) => buckets.push(`istio_request_duration_milliseconds_bucket{reporter="destination",${dest},le="${le}"} ${Math.round(total * w.latencyCdf[i]!)} ${t}`));
      buckets.push(`istio_request_duration_milliseconds_bucket{reporter="destination",${dest},le="+Inf"} ${total} ${t}`);
      buckets.push(`istio_request_duration_milliseconds_count{reporter="destination",${dest}} ${total} ${t}`);
      buckets.push(`istio_request_duration_milliseconds_sum{reporter="destination",${dest}} ${total * 50} ${t}`);
    }
  }
  return [
    '# TYPE istio_requests counter',
    '# HELP istio_requests Request Count',
    ...requests,
    '# TYPE istio_request_duration_milliseconds histogram',
    '# HELP istio_request_duration_milliseconds Request Duration',
    ...buckets,
    '# EOF',
    '',
  ].join('\n');
}

export interface RunningPrometheus {
  url: string;
  stop(): void;
}

/** Writes the series into a new data folder and starts Prometheus on it; resolves once it is ready. */
export async function startPrometheus(metrics: string): Promise<RunningPrometheus> {
  requirePrometheus();
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-prometheus-'));
  writeFileSync(join(dir, 'series.om'), metrics);
  writeFileSync(join(dir, 'prometheus.yml'), 'global: {}\n'); // no scrape jobs: the block is all it serves
  const blocks = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'series.om'), join(dir, 'data')], { encoding: 'utf8' });
  if (blocks.status !== 0) throw new Error(`promtool could not create the blocks: ${blocks.stderr}${blocks.stdout}`);

  const args = [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, '--storage.tsdb.retention.time=30d', '--web.listen-address=127.0.0.1:0'];
  const child: ChildProcess = spawn('sh', ['-c', 'prometheus "$@" & p=$!; cat >/dev/null; kill $p; wait $p', 'sh', ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
  let log = '';
  const stop = () => {
    child.stdin?.end();
    rmSync(dir, { recursive: true, force: true });
  };
  const url = await new Promise<string>((resolve, reject) => {
    let address: string | undefined;
    const timer = setTimeout(() => reject(new Error(`Prometheus did not start within 30 s:\n${log}`)), 30_000);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      log += chunk;
      address ??= /msg="Listening on" address=(127\.0\.0\.1:\d+)/.exec(log)?.[1];
      if (address && log.includes('Server is ready to receive web requests')) {
        clearTimeout(timer);
        resolve(`http://${address}`);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Prometheus exited (${code}) before it was ready:\n${log}`));
    });
  });
  return { url, stop };
}
