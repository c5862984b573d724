//! The static server's cache of open files: what a request for a file already served needs
//! (its validators, its type, and its bytes or its open descriptor), so that such a request
//! is answered on the I/O thread with one `stat` and no worker.
//!
//! Nothing is served stale: every hit first checks the file at its path (`stat`) and is a
//! hit only if it is the same file, unchanged: same device and inode, size, modification
//! and status-change times. A file that changed, was replaced or disappeared drops its entry
//! and is served fresh (or not found) by the full path. The status-change time (`ctime`)
//! cannot be set by anyone, so any write, rename, truncation or permission change moves it;
//! but file systems record it with a coarse clock (a few milliseconds, up to 2 s on some),
//! so a change made right after the file was read could keep the time the entry holds. A
//! file whose `ctime` is less than [`SETTLED`] before the moment it was read is therefore
//! not cached (git's "racily clean" rule): it is served by the full path until it has
//! settled.
//!
//! Bounded: at most [`MAX_ENTRIES`] entries, [`MAX_OPEN`] of them holding a descriptor
//! (files over [`SMALL_FILE`] bytes, sent with `sendfile`) and [`MAX_BYTES`] of contents (the
//! smaller files); entries not used for a minute or so are dropped when the next one comes.

use std::collections::HashMap;
use std::fs::{self, File, Metadata};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

/// Files up to this size are cached as their bytes (and sent from memory, in the same write
/// as their head); larger ones as an open descriptor.
pub const SMALL_FILE: u64 = 32 * 1024;
/// Most entries.
pub const MAX_ENTRIES: usize = 512;
/// Most entries holding an open descriptor.
pub const MAX_OPEN: usize = 64;
/// Most bytes of file contents held.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;
/// How long before it was read a file must have last changed to be cached.
pub const SETTLED: Duration = Duration::from_secs(2);
/// Entries unused for this long are dropped.
const INACTIVE: Duration = Duration::from_secs(60);

/// What identifies one version of a file, as `stat` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Identity {
    /// The identity of the file `meta` describes, if it is a regular file (and the platform
    /// says enough to tell versions apart).
    #[cfg(unix)]
    pub fn of(meta: &Metadata) -> Option<Identity> {
        use std::os::unix::fs::MetadataExt;
        meta.is_file().then(|| Identity {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        })
    }

    /// No cache where the platform does not report a status-change time.
    #[cfg(not(unix))]
    pub fn of(_: &Metadata) -> Option<Identity> {
        None
    }

    /// Whether this version had settled when it was read at `read_at` (see the module
    /// docs).
    pub fn settled(&self, read_at: SystemTime) -> bool {
        let (secs, nanos) = self.ctime;
        let Ok(secs) = u64::try_from(secs) else {
            return false;
        };
        let changed = SystemTime::UNIX_EPOCH
            + Duration::from_secs(secs)
            + Duration::from_nanos(u64::try_from(nanos).unwrap_or(0));
        changed + SETTLED < read_at
    }
}

/// A cached file's body.
#[derive(Debug, Clone)]
pub enum Source {
    /// Its bytes.
    Bytes(Arc<[u8]>),
    /// Its open descriptor.
    File(Arc<File>),
}

/// One cached file.
#[derive(Debug)]
pub struct Entry<T> {
    /// Its real path, checked on every hit.
    path: PathBuf,
    id: Identity,
    /// What the handler keeps of it.
    pub value: T,
    /// Its body.
    pub source: Source,
    /// Used since the last sweep.
    used: AtomicBool,
}

/// The cache: request paths (as they arrived, before decoding) to files.
#[derive(Debug)]
pub struct FileCache<T> {
    entries: RwLock<HashMap<Box<str>, Arc<Entry<T>>>>,
    hits: AtomicU64,
    last_sweep: Mutex<Instant>,
}

impl<T> Default for FileCache<T> {
    fn default() -> Self {
        FileCache {
            entries: RwLock::new(HashMap::new()),
            hits: AtomicU64::new(0),
            last_sweep: Mutex::new(Instant::now()),
        }
    }
}

impl<T> FileCache<T> {
    /// The entry for `key`, if there is one and its file is still the same at its path.
    /// One `stat`; an entry whose file changed or went away is dropped.
    pub fn get(&self, key: &str) -> Option<Arc<Entry<T>>> {
        let entry = read(&self.entries).get(key).map(Arc::clone)?;
        let same = fs::metadata(&entry.path)
            .ok()
            .and_then(|m| Identity::of(&m))
            .is_some_and(|id| id == entry.id);
        if !same {
            let mut entries = write(&self.entries);
            if entries.get(key).is_some_and(|e| Arc::ptr_eq(e, &entry)) {
                entries.remove(key);
            }
            return None;
        }
        if !entry.used.load(Ordering::Relaxed) {
            entry.used.store(true, Ordering::Relaxed);
        }
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(entry)
    }

    /// Caches `source` as the file at `path` (its real path) with identity `id`, for
    /// requests to `key`, if it had settled when it was read at `read_at`.
    pub fn insert(
        &self,
        key: &str,
        path: PathBuf,
        id: Identity,
        read_at: SystemTime,
        value: T,
        source: Source,
    ) {
        if !id.settled(read_at) {
            return;
        }
        let entry = Arc::new(Entry {
            path,
            id,
            value,
            source,
            used: AtomicBool::new(true),
        });
        let mut entries = write(&self.entries);
        self.sweep(&mut entries);
        entries.remove(key);
        let holds_file = matches!(entry.source, Source::File(_));
        let size = bytes_of(&entry.source);
        // Room for it: drop whatever entries it takes (any: the cache is small and a
        // dropped entry only costs its next request the full path).
        loop {
            let (mut count, mut open, mut bytes) = (0, 0, 0);
            for e in entries.values() {
                count += 1;
                open += usize::from(matches!(e.source, Source::File(_)));
                bytes += bytes_of(&e.source);
            }
            let full = count >= MAX_ENTRIES
                || (holds_file && open >= MAX_OPEN)
                || bytes + size > MAX_BYTES;
            if !full {
                break;
            }
            let victim = entries
                .iter()
                .find(|(_, e)| {
                    count >= MAX_ENTRIES
                        || (holds_file && open >= MAX_OPEN && matches!(e.source, Source::File(_)))
                        || (bytes + size > MAX_BYTES && matches!(e.source, Source::Bytes(_)))
                })
                .map(|(k, _)| k.clone());
            match victim {
                Some(k) => {
                    entries.remove(&k);
                }
                None => return,
            }
        }
        entries.insert(key.into(), entry);
    }

    /// Requests answered from the cache so far.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Drops the entries not used since the last sweep, at most every [`INACTIVE`].
    fn sweep(&self, entries: &mut HashMap<Box<str>, Arc<Entry<T>>>) {
        let mut last = self.last_sweep.lock().unwrap_or_else(|e| e.into_inner());
        if last.elapsed() < INACTIVE {
            return;
        }
        *last = Instant::now();
        entries.retain(|_, e| e.used.swap(false, Ordering::Relaxed));
    }
}

fn bytes_of(source: &Source) -> usize {
    match source {
        Source::Bytes(b) => b.len(),
        Source::File(_) => 0,
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    // Nothing panics while holding it; if something did, the map is still consistent.
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn temp_file(tag: &str, body: &[u8]) -> PathBuf {
        let path = std::env::temp_dir().join(format!("netloom-cache-{tag}-{}", std::process::id()));
        fs::write(&path, body).unwrap();
        path
    }

    #[test]
    fn a_file_changed_since_it_was_read_is_not_cached() {
        let path = temp_file("racy", b"v1");
        let id = Identity::of(&fs::metadata(&path).unwrap()).unwrap();
        let cache = FileCache::default();
        // Read just now: its ctime has not settled.
        let src = Source::Bytes(Arc::from(&b"v1"[..]));
        cache.insert("/f", path.clone(), id, SystemTime::now(), (), src.clone());
        assert!(cache.get("/f").is_none());
        // Read long after it changed: cached, and a hit while the file stays the same.
        let later = SystemTime::now() + SETTLED * 2;
        cache.insert("/f", path.clone(), id, later, (), src);
        assert!(cache.get("/f").is_some());
        assert_eq!(cache.hits(), 1);
        // Any change to the file ends the entry.
        fs::write(&path, b"v2").unwrap();
        let id2 = Identity::of(&fs::metadata(&path).unwrap()).unwrap();
        if id2 != id {
            assert!(cache.get("/f").is_none());
        }
        fs::remove_file(&path).unwrap();
        assert!(cache.get("/f").is_none(), "gone: no entry");
    }

    #[test]
    fn the_cache_stays_within_its_bounds() {
        let path = temp_file("bounds", b"x");
        let id = Identity::of(&fs::metadata(&path).unwrap()).unwrap();
        let later = SystemTime::now() + SETTLED * 2;
        let cache = FileCache::default();
        let file = Arc::new(File::open(&path).unwrap());
        for i in 0..MAX_OPEN + 10 {
            let src = Source::File(Arc::clone(&file));
            cache.insert(&format!("/f{i}"), path.clone(), id, later, (), src);
        }
        let big: Arc<[u8]> = vec![0u8; MAX_BYTES / 4 + 1].into();
        for i in 0..8 {
            let src = Source::Bytes(Arc::clone(&big));
            cache.insert(&format!("/b{i}"), path.clone(), id, later, (), src);
        }
        let entries = read(&cache.entries);
        let open = entries
            .values()
            .filter(|e| matches!(e.source, Source::File(_)))
            .count();
        let bytes: usize = entries.values().map(|e| bytes_of(&e.source)).sum();
        assert!(open <= MAX_OPEN, "{open} open files");
        assert!(bytes <= MAX_BYTES, "{bytes} bytes");
        assert!(entries.len() <= MAX_ENTRIES);
        drop(entries);
        fs::remove_file(&path).unwrap();
    }
}
