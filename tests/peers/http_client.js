// Fetches argv[2] with Node's own http client, with the request headers given as
// `Name: value` arguments after argv[3], saves the body to the file argv[3], and prints the
// status and the response headers that matter for caching and ranges as JSON.
'use strict'
const http = require('http')
const fs = require('fs')

const headers = {}
for (const h of process.argv.slice(4)) {
  const i = h.indexOf(':')
  headers[h.slice(0, i).trim()] = h.slice(i + 1).trim()
}
http.get(process.argv[2], { headers, agent: false }, (res) => {
  const chunks = []
  res.on('data', (d) => chunks.push(d))
  res.on('end', () => {
    fs.writeFileSync(process.argv[3], Buffer.concat(chunks))
    const pick = ['etag', 'last-modified', 'accept-ranges', 'content-range', 'content-length', 'content-type', 'server']
    const h = {}
    for (const k of pick) if (res.headers[k] !== undefined) h[k] = res.headers[k]
    console.log(JSON.stringify({ status: res.statusCode, headers: h }))
  })
}).on('error', (e) => { console.error(e.message); process.exit(1) })
