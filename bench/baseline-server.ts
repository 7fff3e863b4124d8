// Baseline for the send_message figure: a bare express endpoint that parses the same JSON and answers the same shape.
import express from 'express';

const app = express();
// The same express settings the emulator uses, so the ratio measures the emulator's work, not configuration.
app.disable('x-powered-by');
app.set('etag', false);
app.use(express.json({ limit: '1536kb' }));
app.post('/v1/xmpp/send_message', (req, res) => {
  const jids = (req.body as { jids: string | string[] }).jids;
  res.json({ statuses: (Array.isArray(jids) ? jids : [jids]).map(() => 0) });
});
const server = app.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ event: 'ready', port: (server.address() as { port: number }).port }));
});
