import http from 'node:http';

/** Baseline: the cheapest JSON endpoint node:http can serve, measured beside Switchboard in the same run. */
const server = http.createServer((_req, res) => {
  const body = JSON.stringify({ status: 'ok' });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
