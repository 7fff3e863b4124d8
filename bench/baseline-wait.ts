// Baseline for the waits row: a bare node:http server holding the same long-polls. A wait keeps its request open
// with a timer for timeout_ms (408 when it fires) that its connection's close frees; anything else answers
// {"ok":true}, as /healthz does. The least any server holding 1,000 pending requests does: what the emulator's
// /healthz figure is compared against.
import http from 'node:http';

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/v1/outbox/wait') {
    const timer = setTimeout(() => res.writeHead(408, { 'Content-Type': 'application/json' }).end('{}'), Number(url.searchParams.get('timeout_ms') ?? 5000));
    res.on('close', () => clearTimeout(timer));
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': 11 }).end('{"ok":true}');
});
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ event: 'ready', port: (server.address() as { port: number }).port }));
});
