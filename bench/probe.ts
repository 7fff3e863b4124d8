// Asks /healthz of the given port over and over, one at a time, until stdin closes; then prints the latencies
// (ms) as one JSON line. A process of its own, so the bench's own work does not delay the answers it times.
import http from 'node:http';

const port = Number(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const ask = (): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/healthz', agent }, (res) => res.resume().on('end', resolve)).on('error', reject);
  });
// Warm-up, not timed: the first request of a fresh probe took 8-17 ms against the emulator and a bare node:http
// server alike (1-5 ms for the second): it timed the probe's own start (its first connection, node's HTTP client
// code loaded and compiled) and the server's first request, not what the waits do to the server.
for (let i = 0; i < 20; i++) await ask();
const times: number[] = [];
let running = true;
process.stdin.on('end', () => (running = false)).resume();
console.log('probing');
while (running) {
  const t = performance.now();
  await ask();
  times.push(performance.now() - t);
}
agent.destroy();
console.log(JSON.stringify(times));
