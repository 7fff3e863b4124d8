// Baseline for the service API: a bare node:http server that reads the body, parses the same JSON and answers the
// same shape. No framework, no validation: what the emulator is compared against.
import http from 'node:http';

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { jids?: string | string[] };
    const jids = body.jids ?? [];
    const text = JSON.stringify({ statuses: (Array.isArray(jids) ? jids : [jids]).map(() => 0) });
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  });
});
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ event: 'ready', port: (server.address() as { port: number }).port }));
});
