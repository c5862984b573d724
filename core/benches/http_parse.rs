//! Parsing a typical ~500-byte request with 10 header fields through the HTTP/1.1 state
//! machine, next to raw `httparse::Request::parse` on the same bytes: one request, and a
//! pipelined batch. Goal: the state machine costs at most 25% over raw httparse.
//!
//! The state-machine numbers include everything a runtime pays per request: buffering the
//! input, the framing checks, owned head storage, the `EndOfMessage` event and — for the
//! pipelined batch, because the next request is held until the current response is done — a
//! minimal `204` response per request.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use netloom_core::http::{Connection, Event, Headers, Limits, Response, Role};

const BATCH: usize = 10;

fn request() -> Vec<u8> {
    let req = concat!(
        "GET /api/v1/items/12345?include=details&lang=en HTTP/1.1\r\n",
        "Host: www.example.com\r\n",
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n",
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n",
        "Accept-Language: en-US,en;q=0.5\r\n",
        "Accept-Encoding: gzip, deflate, br\r\n",
        "Referer: https://www.example.com/api/v1/items\r\n",
        "Cookie: session=0123456789abcdef0123456789abcdef; theme=dark\r\n",
        "Cache-Control: no-cache\r\n",
        "Connection: keep-alive\r\n",
        "X-Request-Id: 7f3c2a9e-1b4d-4e8f-9a6b-2c5d8e1f0a3b\r\n",
        "\r\n"
    );
    req.as_bytes().to_vec()
}

fn raw_httparse(buf: &[u8]) -> usize {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => {
            black_box(&req);
            n
        }
        _ => panic!("bench input must parse"),
    }
}

fn state_machine_one(buf: &[u8]) -> usize {
    let mut conn = Connection::new(Role::Server, Limits::default());
    conn.receive(buf);
    let mut n = 0;
    while let Some(ev) = conn.next_event().expect("valid") {
        black_box(&ev);
        n += 1;
    }
    n
}

fn bench(c: &mut Criterion) {
    let one = request();
    assert!(
        (450..=550).contains(&one.len()),
        "request is {} bytes",
        one.len()
    );
    let batch: Vec<u8> = one.repeat(BATCH);

    let mut g = c.benchmark_group("http_parse_single");
    g.throughput(Throughput::Bytes(one.len() as u64));
    g.bench_function("raw_httparse", |b| b.iter(|| raw_httparse(black_box(&one))));
    g.bench_function("state_machine", |b| {
        b.iter(|| state_machine_one(black_box(&one)))
    });
    g.finish();

    let mut g = c.benchmark_group("http_parse_pipelined");
    g.throughput(Throughput::Bytes(batch.len() as u64));
    g.bench_function("raw_httparse", |b| {
        b.iter(|| {
            let buf = black_box(&batch[..]);
            let mut pos = 0;
            while pos < buf.len() {
                pos += raw_httparse(&buf[pos..]);
            }
            pos
        })
    });
    let mut out = Vec::with_capacity(1024);
    g.bench_function("state_machine", |b| {
        b.iter(|| {
            let mut conn = Connection::new(Role::Server, Limits::default());
            conn.receive(black_box(&batch));
            let mut requests = 0;
            loop {
                match conn.next_event().expect("valid") {
                    Some(Event::Request(r)) => {
                        black_box(&r);
                        requests += 1;
                    }
                    Some(Event::EndOfMessage(_)) => {
                        out.clear();
                        conn.send(Event::Response(Response::new(204)), &mut out)
                            .expect("response");
                        conn.send(Event::EndOfMessage(Headers::new()), &mut out)
                            .expect("end");
                    }
                    Some(_) => {}
                    None => break,
                }
            }
            assert_eq!(requests, BATCH);
            requests
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
