#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| netloom_fuzz::tls_server_conn(data));
