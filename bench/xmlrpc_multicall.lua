-- XML-RPC system.multicall of add, subtract, multiply, divide on (7, 3), as xmlrpc.client.MultiCall sends it.
-- Body generated once with python3's xmlrpc.client; see bench/README.md.
wrk.method = "POST"
wrk.path = "/"
wrk.headers["Content-Type"] = "text/xml"
wrk.body = [==[<?xml version='1.0'?>
<methodCall>
<methodName>system.multicall</methodName>
<params>
<param>
<value><array><data>
<value><struct>
<member>
<name>methodName</name>
<value><string>add</string></value>
</member>
<member>
<name>params</name>
<value><array><data>
<value><int>7</int></value>
<value><int>3</int></value>
</data></array></value>
</member>
</struct></value>
<value><struct>
<member>
<name>methodName</name>
<value><string>subtract</string></value>
</member>
<member>
<name>params</name>
<value><array><data>
<value><int>7</int></value>
<value><int>3</int></value>
</data></array></value>
</member>
</struct></value>
<value><struct>
<member>
<name>methodName</name>
<value><string>multiply</string></value>
</member>
<member>
<name>params</name>
<value><array><data>
<value><int>7</int></value>
<value><int>3</int></value>
</data></array></value>
</member>
</struct></value>
<value><struct>
<member>
<name>methodName</name>
<value><string>divide</string></value>
</member>
<member>
<name>params</name>
<value><array><data>
<value><int>7</int></value>
<value><int>3</int></value>
</data></array></value>
</member>
</struct></value>
</data></array></value>
</param>
</params>
</methodCall>
]==]
