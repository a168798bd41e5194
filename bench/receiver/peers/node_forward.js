// SPDX-License-Identifier: MIT
// The forwarding peer in Node.js with nothing but the standard library (no npm): one process,
// node's http server, the body parsed as JSON, POSTed downstream over a keep-alive agent, 200
// when the downstream took it, 502 otherwise (no dead-letter list: the benchmark's downstream
// takes everything). Usage: node node_forward.js <port> <downstream url>
'use strict';
const http = require('http');

const port = Number(process.argv[2]);
const downstream = new URL(process.argv[3]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
        const body = Buffer.concat(chunks);
        try {
            JSON.parse(body);
        } catch (e) {
            res.writeHead(400, { 'Content-Type': 'application/json' });
            res.end('{"error":"invalid_json"}');
            return;
        }
        const out = http.request({
            host: downstream.hostname, port: downstream.port, path: downstream.pathname,
            method: 'POST', agent,
            headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
        }, (answer) => {
            answer.resume();
            answer.on('end', () => {
                const ok = answer.statusCode >= 200 && answer.statusCode < 300;
                res.writeHead(ok ? 200 : 502, { 'Content-Type': 'application/json' });
                res.end(ok ? '{"status":"processed"}' : '{"status":"downstream_failed"}');
            });
        });
        out.on('error', () => {
            res.writeHead(502, { 'Content-Type': 'application/json' });
            res.end('{"status":"downstream_failed"}');
        });
        out.end(body);
    });
}).listen(port, '127.0.0.1', () => console.log(`http://127.0.0.1:${port}/webhook`));
