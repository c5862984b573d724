-- XML-RPC add(7, 3): the exact body of xmlrpc.client.dumps((7, 3), 'add').
-- Body generated once with python3's xmlrpc.client; see bench/README.md.
wrk.method = "POST"
wrk.path = "/"
wrk.headers["Content-Type"] = "text/xml"
wrk.body = [==[<?xml version='1.0'?>
<methodCall>
<methodName>add</methodName>
<params>
<param>
<value><int>7</int></value>
</param>
<param>
<value><int>3</int></value>
</param>
</params>
</methodCall>
]==]
