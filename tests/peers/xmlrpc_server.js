// An XML-RPC server written with Node's `xmlrpc` package: dateTimes go out as JavaScript
// writes them (hyphens, milliseconds, Z), a fault has a string faultCode. Prints its port,
// then serves until killed.
'use strict'
const xmlrpc = require('xmlrpc')

xmlrpc.dateFormatter.setOpts({ colons: true, hyphens: true, local: false, ms: true })
const server = xmlrpc.createServer({ host: '127.0.0.1', port: 0 }, () => {
  console.log(server.httpServer.address().port)
})
server.on('echo', (err, params, callback) => callback(null, params[0]))
server.on('add', (err, params, callback) => callback(null, params[0] + params[1]))
server.on('when', (err, params, callback) => callback(null, new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 250))))
server.on('types', (err, params, callback) => callback(null, params.map((p) => typeof p + (p instanceof Date ? ':date:' + p.toISOString() : Buffer.isBuffer(p) ? ':buffer' : ''))))
server.on('fail', (err, params, callback) => callback({ faultCode: 'Server.Oops', faultString: 'failure on purpose' }))
