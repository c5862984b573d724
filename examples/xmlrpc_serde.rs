//! A typed XML-RPC user service, written with serde and no hand mapping.
//!
//! `cargo run --release --example xmlrpc_serde -- --port 8000` serves on 127.0.0.1:8000, at
//! `/RPC2` and `/`, with multicall and introspection:
//!
//! - `user.create(user)` takes `{name, tags, born, nickname?}` (`nickname` a string, nil or
//!   absent) and returns it with an added `id`;
//! - `user.get(id)` returns that user, or fault 404 for an unknown id;
//! - `user.list(tag?)` returns every user, or those with the tag.
//!
//! A struct without a required member (or with one of the wrong type) is answered with a
//! `TypeError` fault naming it. From Python:
//!
//! ```text
//! >>> import datetime, xmlrpc.client
//! >>> p = xmlrpc.client.ServerProxy("http://127.0.0.1:8000/RPC2")
//! >>> p.user.create({"name": "ada", "tags": ["math"], "born": datetime.datetime(1815, 12, 10)})
//! {'name': 'ada', 'tags': ['math'], 'born': <DateTime '18151210T00:00:00' ...>, 'nickname': None, 'id': 1}
//! >>> p.user.create({"name": "bob", "tags": []})
//! xmlrpc.client.Fault: <Fault 1: "<class 'TypeError'>:user.create() argument 1: missing member born">
//! ```
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use netloom::runtime::std::xmlrpc;
use netloom::xmlrpc::{DateTime, Dispatcher, Fault, Serde};
use serde::{Deserialize, Serialize};

/// What `user.create` takes.
#[derive(Serialize, Deserialize, Clone)]
struct NewUser {
    name: String,
    tags: Vec<String>,
    born: DateTime,
    nickname: Option<String>,
}

/// What the service answers: the user and its id.
#[derive(Serialize, Deserialize, Clone)]
struct User {
    #[serde(flatten)]
    user: NewUser,
    id: i32,
}

#[derive(Default)]
struct Store {
    users: BTreeMap<i32, User>,
    next_id: i32,
}

fn main() -> std::io::Result<()> {
    let port = port_arg()?;
    let store = Arc::new(Mutex::new(Store::default()));
    let mut d = Dispatcher::new();

    let db = Arc::clone(&store);
    d.register("user.create", move |Serde(user): Serde<NewUser>| {
        let mut db = db.lock().unwrap_or_else(|e| e.into_inner());
        db.next_id += 1;
        let created = User {
            user,
            id: db.next_id,
        };
        db.users.insert(created.id, created.clone());
        Serde(created)
    })
    .with_help("user.create({name, tags, born, nickname?}) => the user with its new id");

    let db = Arc::clone(&store);
    d.register("user.get", move |id: i32| {
        let db = db.lock().unwrap_or_else(|e| e.into_inner());
        match db.users.get(&id) {
            Some(user) => Ok(Serde(user.clone())),
            None => Err(Fault::new(404, format!("no user with id {id}"))),
        }
    })
    .with_help("user.get(id) => the user, or fault 404");

    let db = Arc::clone(&store);
    d.register("user.list", move |tag: Option<String>| {
        let db = db.lock().unwrap_or_else(|e| e.into_inner());
        let wanted = |u: &&User| match &tag {
            Some(t) => u.user.tags.contains(t),
            None => true,
        };
        let matching = db.users.values().filter(wanted);
        matching.cloned().map(Serde).collect::<Vec<_>>()
    })
    .with_help("user.list(tag?) => every user, or those with the tag");

    d.enable_introspection().enable_multicall();
    let server = xmlrpc::server(("127.0.0.1", port), d)?;
    println!("Listening at {}", server.local_addr()?);
    server.run()
}

/// `--port P` (default 8000; 0 picks a free port, printed on the first line).
fn port_arg() -> std::io::Result<u16> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => Ok(8000),
        [flag, p] if flag == "--port" || flag == "-p" => p.parse().map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("bad port {p:?}"))
        }),
        _ => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "usage: xmlrpc_serde [--port PORT]",
        )),
    }
}
