// The app for the delivery figures: a bare node:http server that reads the whole POST and answers 200, so the
// figures measure the emulator's work and not an app framework's.
import http from 'node:http';

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'Content-Length': 0 });
    res.end();
  });
});
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ event: 'ready', port: (server.address() as { port: number }).port }));
});
