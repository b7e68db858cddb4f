'use strict';
// Echo server on Node's ws for sturdy's interop tests (see ../README.md).
//
//   node echo.js PORT     (PORT 0 picks a free one)
//
// Protocol, the same as the Go peers':
//   /echo  every message is sent back unchanged, as one frame;
//   /frag  every message is sent back in 4 KiB fragments (fin: false
//          until the last, which ws supports on send);
//   a text message "close:CODE" makes the server close with CODE "bye".
//
// STURDY_NODE_DEFLATE turns permessage-deflate on (every message
// compressed, threshold 0): "takeover" keeps both contexts,
// "server-no-takeover" asks server_no_context_takeover, "no-takeover"
// also client_no_context_takeover. Unset or empty: off.
// It prints "listening PORT" once ready and "closed CODE" for every close
// frame a client sends, one line each, for the Go test to read. It exits
// on SIGTERM or when its standard input closes, so it never outlives the
// test that started it.
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || 0);
const deflateModes = {
  '': false,
  takeover: { threshold: 0 },
  'server-no-takeover': { threshold: 0, serverNoContextTakeover: true },
  'no-takeover': { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true },
};
const deflateMode = process.env.STURDY_NODE_DEFLATE || '';
if (!(deflateMode in deflateModes)) {
  process.stderr.write(`unknown STURDY_NODE_DEFLATE ${deflateMode}\n`);
  process.exit(2);
}
const wss = new WebSocketServer({
  host: '127.0.0.1',
  port,
  maxPayload: 64 * 1024 * 1024,
  perMessageDeflate: deflateModes[deflateMode],
});

wss.on('listening', () => {
  process.stdout.write(`listening ${wss.address().port}\n`);
});

wss.on('connection', (ws, req) => {
  const frag = req.url === '/frag';
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      const m = /^close:(\d+)$/.exec(data.toString());
      if (m) {
        ws.close(Number(m[1]), 'bye');
        return;
      }
    }
    if (!frag || data.length === 0) {
      ws.send(data, { binary: isBinary });
      return;
    }
    for (let off = 0; off < data.length; off += 4096) {
      const end = Math.min(off + 4096, data.length);
      ws.send(data.subarray(off, end), { binary: isBinary, fin: end === data.length });
    }
  });
  ws.on('close', (code) => {
    // 1005 and 1006 are local: no code, or no close frame at all.
    if (code !== 1005 && code !== 1006) process.stdout.write(`closed ${code}\n`);
  });
  ws.on('error', () => {});
});

function stop() {
  for (const c of wss.clients) c.terminate();
  wss.close(() => process.exit(0));
}
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
