#!/usr/bin/env python3
"""CPython anchor for the XML-RPC benchmark: the seed's calculator on the standard
library's SimpleXMLRPCServer, as CPython ships it (HTTP/1.0, one request per connection),
with multicall and request logging off. Listens on 127.0.0.1 only."""

import argparse
from xmlrpc.server import SimpleXMLRPCServer


def add(a, b):
    return a + b


def subtract(a, b):
    return a - b


def multiply(a, b):
    return a * b


def divide(a, b):
    return a // b


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    with SimpleXMLRPCServer(("127.0.0.1", args.port), logRequests=False) as server:
        for f in (add, subtract, multiply, divide):
            server.register_function(f)
        server.register_multicall_functions()
        server.serve_forever()


if __name__ == "__main__":
    main()
