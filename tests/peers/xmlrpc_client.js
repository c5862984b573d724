// Calls the XML-RPC server at argv[2] with Node's `xmlrpc` package, sending dateTimes as
// JavaScript writes them (toISOString: hyphens, milliseconds, Z), and prints one line per
// result.
'use strict'
const xmlrpc = require('xmlrpc')

const url = new URL(process.argv[2])
xmlrpc.dateFormatter.setOpts({ colons: true, hyphens: true, local: false, ms: true })
const client = xmlrpc.createClient({ host: url.hostname, port: Number(url.port), path: url.pathname })
const call = (method, params) => new Promise((resolve) => {
  client.methodCall(method, params, (error, value) => resolve({ error, value }))
})

async function main () {
  const out = []
  let r = await call('add', [40, 2])
  out.push(`add ${r.value}`)
  const when = new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 250))
  r = await call('echo', [when])
  out.push(`date ${r.value instanceof Date} ${r.value && r.value.toISOString()}`)
  r = await call('echo', ['café ☃ <&>'])
  out.push(`string ${r.value === 'café ☃ <&>' ? 'same' : JSON.stringify(r.value)}`)
  r = await call('echo', [true])
  out.push(`boolean ${r.value}`)
  r = await call('echo', [2.5])
  out.push(`double ${r.value}`)
  r = await call('echo', [Buffer.from([0, 255, 98])])
  out.push(`base64 ${Buffer.isBuffer(r.value) ? r.value.toString('hex') : typeof r.value}`)
  r = await call('echo', [{ a: 1, b: [2, 'three'] }])
  out.push(`struct ${JSON.stringify(r.value)}`)
  r = await call('echo', ['x'.repeat(100000)])
  out.push(`big ${r.value && r.value.length}`)
  r = await call('fail', [])
  out.push(`fault ${r.error && r.error.faultCode} ${r.error && r.error.faultString}`)
  console.log(out.join('\n'))
}
main().catch((e) => { console.error(e); process.exit(1) })
