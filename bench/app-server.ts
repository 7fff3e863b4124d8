// The app for the delivery figure: express + multer answering 200 on the chat path, as a bot's handler would.
import express from 'express';
import multer from 'multer';

const app = express();
app.post('/_ah/xmpp/message/chat/', multer().none(), (req, res) => {
  if (typeof (req.body as { body?: unknown }).body !== 'string') return void res.status(400).end();
  res.status(200).end();
});
const server = app.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ event: 'ready', port: (server.address() as { port: number }).port }));
});
