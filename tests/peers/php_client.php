<?php
// Calls the XML-RPC server at argv[1] with PHP's xmlrpc extension, which declares
// encoding="iso-8859-1" on every document, and prints one line per result.
function call($url, $method, $params, $options = []) {
    $request = xmlrpc_encode_request($method, $params, $options);
    $context = stream_context_create(['http' => [
        'method' => 'POST',
        'header' => "Content-Type: text/xml\r\n",
        'content' => $request,
        'ignore_errors' => true,
        'timeout' => 10,
    ]]);
    $response = file_get_contents($url, false, $context);
    if ($response === false) {
        fwrite(STDERR, "no answer to $method\n");
        exit(1);
    }
    return [$request, xmlrpc_decode($response, 'iso-8859-1')];
}
$url = $argv[1];
[$request, $r] = call($url, 'add', [40, 2]);
echo (strpos($request, 'encoding="iso-8859-1"') !== false ? "declared iso-8859-1" : "declared other"), "\n";
echo "add $r\n";
// Raw ISO-8859-1 bytes: "café £" with only markup escaped.
[$request, $r] = call($url, 'echo', ["caf\xe9 \xa3"], ['escaping' => 'markup']);
echo "raw latin-1 ", (strpos($request, "caf\xe9") !== false ? "sent" : "not sent"), " ", bin2hex($r), "\n";
[, $r] = call($url, 'echo', [true]);
echo "boolean ", var_export($r, true), "\n";
[, $r] = call($url, 'fail', []);
echo "fault ", is_array($r) && xmlrpc_is_fault($r) ? $r['faultCode'] . ' ' . $r['faultString'] : 'none', "\n";
