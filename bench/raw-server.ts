import http from 'node:http';

/**
 * Baselines, measured beside Switchboard in the same run: a GET answers the cheapest JSON node:http can serve;
 * a POST is read whole (as a webhook would be) and answered 200 with a small JSON body — no verification, no
 * parsing, no database. It is the frame the ingest ratios are taken in.
 */
const server = http.createServer((req, res) => {
  const answer = (body: string) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  if (req.method !== 'POST') return answer(JSON.stringify({ status: 'ok' }));
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => answer(JSON.stringify({ success: true, bytes: Buffer.concat(chunks).length })));
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
