<?php
// An XML-RPC endpoint for PHP's built-in web server (php -S HOST:PORT php_server.php), with
// the xmlrpc extension: answers in ISO-8859-1 with raw Latin-1 bytes, faults included.
$server = xmlrpc_server_create();
xmlrpc_server_register_method($server, 'echo', function ($method, $params) { return $params[0]; });
xmlrpc_server_register_method($server, 'latin', function ($method, $params) { return "caf\xe9 \xa3"; });
xmlrpc_server_register_method($server, 'fail', function ($method, $params) {
    return ['faultCode' => 9, 'faultString' => "d\xe9j\xe0 vu"];
});
$response = xmlrpc_server_call_method($server, file_get_contents('php://input'), null,
    ['encoding' => 'iso-8859-1', 'escaping' => 'markup']);
header('Content-Type: text/xml');
echo $response;
