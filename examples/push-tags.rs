//! Pushes many tags into a loopback registry, for the `berth versions sync`
//! benchmark (benches/sync.sh).
//!
//! ```text
//! cargo run --release --example push-tags -- 127.0.0.1:5000 bench/app 1000
//! cargo run --release --example push-tags -- 127.0.0.1:5000 bench/app 1000 --proxy /tmp/requests.log
//! ```
//!
//! Uses the tests' harness (tests/it/oci.rs) as it is: one configuration and
//! layer uploaded once, then one OCI manifest per tag (`1.0.0` to `1.0.N-1`,
//! spread as `1.M.P`), each with its tag in an annotation so that every tag has
//! a digest of its own. Prints the wall time of the push. With `--proxy FILE`
//! it then serves the tests' proxy in front of the registry (tag lists paged as
//! the distribution spec says, which Debian's distribution 2.8 does not do),
//! prints `proxy 127.0.0.1:PORT`, writes every request it receives to FILE as a
//! `METHOD TARGET` line, and runs until its standard input closes.

// A benchmark generator, not on a path from user input to berth's output.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::string_slice,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    missing_docs
)]

#[path = "../tests/it/oci.rs"]
mod oci;

use std::io::{Read, Write};
use std::time::Instant;

/// The tags of the benchmark: `1.0.0`, `1.0.1`... ten patch versions per minor.
fn tags(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| format!("1.{}.{}", i / 10, i % 10))
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: push-tags HOST REPOSITORY COUNT [--proxy FILE]";
    let (Some(host), Some(repository), Some(count)) = (args.first(), args.get(1), args.get(2))
    else {
        let _ = writeln!(std::io::stderr(), "{usage}");
        std::process::exit(2);
    };
    let count: usize = count.parse().expect(usage);
    let registry = oci::Registry::at(host);
    let started = Instant::now();
    let digests = registry.push_many(repository, &tags(count), "bench");
    let _ = writeln!(
        std::io::stderr(),
        "pushed {} tags to {host}/{repository} in {:.2} s",
        digests.len(),
        started.elapsed().as_secs_f64()
    );
    if let (Some(flag), Some(log)) = (args.get(3), args.get(4)) {
        assert_eq!(flag, "--proxy", "{usage}");
        let proxy = oci::Proxy::start(&registry, oci::Fault::None);
        proxy.log_to(std::path::Path::new(log));
        let mut stdout = std::io::stdout();
        writeln!(stdout, "proxy {}", proxy.host()).unwrap();
        stdout.flush().unwrap();
        let mut rest = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut rest);
    }
}
