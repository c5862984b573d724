//! Helpers shared by the `http_*` integration tests.
#![allow(dead_code)]

use netloom_core::http::{Connection, Error, Event, Headers, Limits, Response, Role};

pub fn server() -> Connection {
    Connection::new(Role::Server, Limits::default())
}

pub fn client() -> Connection {
    Connection::new(Role::Client, Limits::default())
}

/// Pulls events until `Ok(None)` or an error.
pub fn drain(conn: &mut Connection) -> Result<Vec<Event>, Error> {
    let mut out = Vec::new();
    while let Some(ev) = conn.next_event()? {
        out.push(ev);
    }
    Ok(out)
}

/// Feeds `bytes` to a fresh server and returns the events (or the first error).
pub fn server_events(bytes: &[u8]) -> Result<Vec<Event>, Error> {
    server_events_with(bytes, Limits::default())
}

pub fn server_events_with(bytes: &[u8], limits: Limits) -> Result<Vec<Event>, Error> {
    let mut c = Connection::new(Role::Server, limits);
    c.receive(bytes);
    drain(&mut c)
}

/// The error a fresh server reports for `bytes` (panics if there is none).
pub fn server_error(bytes: &[u8]) -> Error {
    match server_events(bytes) {
        Err(e) => e,
        Ok(evs) => panic!("expected an error, got {evs:?}"),
    }
}

/// Sends a `200` with an empty body.
pub fn respond_empty(conn: &mut Connection, out: &mut Vec<u8>) {
    conn.send(
        Event::Response(Response::new(200).header("Content-Length", "0")),
        out,
    )
    .unwrap();
    conn.send(Event::EndOfMessage(Headers::new()), out).unwrap();
}

/// Concatenates adjacent `Data` events (their boundaries depend on how input was split)
/// and drops empty ones.
pub fn merge_data(events: Vec<Event>) -> Vec<Event> {
    let mut merged: Vec<Event> = Vec::new();
    for ev in events {
        match (merged.last_mut(), ev) {
            (_, Event::Data(d)) if d.is_empty() => {}
            (Some(Event::Data(prev)), Event::Data(d)) => prev.extend_from_slice(&d),
            (_, ev) => merged.push(ev),
        }
    }
    merged
}

/// The body bytes of the `Data` events.
pub fn body_of(events: &[Event]) -> Vec<u8> {
    let mut body = Vec::new();
    for ev in events {
        if let Event::Data(d) = ev {
            body.extend_from_slice(d);
        }
    }
    body
}
