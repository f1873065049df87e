//! A small side-by-side timing harness for the benchmarks in `benches/`.
//!
//! Each candidate runs in batches, the candidates taking turns batch by batch
//! so that a slow moment of the machine hits all of them alike. The report
//! gives each one's median time per iteration over the batches, its spread
//! (the middle half of the batches), and its ratio to the first candidate.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// One candidate: a name and the work of one iteration.
pub struct Candidate<'a> {
    pub name: &'a str,
    pub run: Box<dyn FnMut() + 'a>,
}

impl<'a> Candidate<'a> {
    pub fn new(name: &'a str, run: impl FnMut() + 'a) -> Self {
        Self {
            name,
            run: Box::new(run),
        }
    }
}

/// Per-iteration times of one candidate, one per batch.
pub struct Timing {
    pub name: String,
    pub per_iteration: Vec<Duration>,
}

impl Timing {
    pub fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.per_iteration.clone();
        sorted.sort();
        let at = ((sorted.len() - 1) as f64 * q).round() as usize;
        sorted[at]
    }

    pub fn median(&self) -> Duration {
        self.quantile(0.5)
    }
}

/// Runs every candidate `batches` times `iterations` times, interleaved, and
/// prints the comparison under `title`.
pub fn compare(
    title: &str,
    batches: usize,
    iterations: usize,
    candidates: &mut [Candidate],
) -> Vec<Timing> {
    // Warm up caches, the allocator and the branch predictors.
    for c in candidates.iter_mut() {
        for _ in 0..iterations.min(100) {
            (c.run)();
        }
    }
    let mut timings: Vec<Timing> = candidates
        .iter()
        .map(|c| Timing {
            name: c.name.to_string(),
            per_iteration: Vec::with_capacity(batches),
        })
        .collect();
    for _ in 0..batches {
        for (c, t) in candidates.iter_mut().zip(&mut timings) {
            let started = Instant::now();
            for _ in 0..iterations {
                (c.run)();
            }
            t.per_iteration.push(started.elapsed() / iterations as u32);
        }
    }
    report(title, &timings);
    timings
}

/// Prints medians, spreads and ratios to the first timing.
pub fn report(title: &str, timings: &[Timing]) {
    println!("\n{title}");
    let base = timings[0].median().as_secs_f64();
    for t in timings {
        let median = t.median();
        println!(
            "  {:<44} {:>12} per iteration (middle half {} .. {})   x{:.3}",
            t.name,
            show(median),
            show(t.quantile(0.25)),
            show(t.quantile(0.75)),
            median.as_secs_f64() / base
        );
    }
}

pub fn show(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns >= 10_000_000 {
        format!("{:.2} ms", d.as_secs_f64() * 1e3)
    } else if ns >= 10_000 {
        format!("{:.2} µs", d.as_secs_f64() * 1e6)
    } else {
        format!("{ns} ns")
    }
}

/// Keeps the optimizer from dropping a result.
pub fn keep<T>(value: T) {
    black_box(value);
}
