/** Reading a bench server's /metrics (the bench starts every Switchboard with this token). */
export const BENCH_METRICS_TOKEN = 'bench-metrics-token-0123456789';

/** The server's /metrics text. */
export async function scrapeMetrics(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` } });
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

/** The sum of the samples whose line (name and labels) matches `series`. */
export function sumOf(text: string, series: RegExp): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (series.test(line)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Statements sent to PostgreSQL so far, by pool (switchboard_db_statements_total). */
export async function statementsSent(url: string): Promise<{ app: number; queue: number }> {
  const text = await scrapeMetrics(url);
  return {
    app: sumOf(text, /^switchboard_db_statements_total\{pool="app"\} /),
    queue: sumOf(text, /^switchboard_db_statements_total\{pool="queue"\} /),
  };
}
