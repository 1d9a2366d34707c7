//! Parsing one input on every core while keeping line order.
//!
//! The calling thread reads batches of lines and hands them round-robin to
//! worker threads; each worker decodes and parses its batch and renders the
//! events into bytes; the calling thread takes the results back in the same
//! round-robin order, so output order equals input order with no reorder
//! buffer. Each worker holds at most two batches, so memory stays flat.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use logsentinel_core::{Event, Format, FormatState, LineParser, Timestamp};
use logsentinel_ingest::{LineBatch, LineReader, decode_line};

/// Counts of what parsing one input saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParseStats {
    /// Lines read, blank ones included.
    pub lines: u64,
    /// Blank lines (no event is made for them).
    pub blank: u64,
    /// Events per `log.format`, indexed like `Format::ALL`.
    pub per_format: [u64; Format::ALL.len()],
    pub truncated: u64,
    pub invalid_utf8: u64,
    pub nul_bytes: u64,
    pub no_timestamp: u64,
}

impl ParseStats {
    pub fn add(&mut self, other: &ParseStats) {
        self.lines += other.lines;
        self.blank += other.blank;
        for (a, b) in self.per_format.iter_mut().zip(other.per_format) {
            *a += b;
        }
        self.truncated += other.truncated;
        self.invalid_utf8 += other.invalid_utf8;
        self.nul_bytes += other.nul_bytes;
        self.no_timestamp += other.no_timestamp;
    }

    /// Events made (non-blank lines).
    pub fn events(&self) -> u64 {
        self.lines - self.blank
    }

    /// Lines that only the heuristic understood.
    pub fn heuristic_only(&self) -> u64 {
        self.count(Format::Heuristic)
    }

    pub fn count(&self, format: Format) -> u64 {
        Format::ALL
            .iter()
            .position(|f| *f == format)
            .map_or(0, |i| self.per_format[i])
    }

    fn record(&mut self, ev: &Event<'_>) {
        use logsentinel_core::Flags;
        if let Some(i) = Format::ALL.iter().position(|f| *f == ev.format) {
            self.per_format[i] += 1;
        }
        if ev.flags.contains(Flags::TRUNCATED) {
            self.truncated += 1;
        }
        if ev.flags.contains(Flags::INVALID_UTF8) {
            self.invalid_utf8 += 1;
        }
        if ev.flags.contains(Flags::NUL_BYTES) {
            self.nul_bytes += 1;
        }
        if ev.flags.contains(Flags::NO_TIMESTAMP) {
            self.no_timestamp += 1;
        }
    }
}

/// What a worker gives back for one batch.
pub struct Rendered<T> {
    /// What the per-event work produced (bytes of output, signals, ...).
    pub out: Vec<T>,
    pub stats: ParseStats,
    /// Bytes of line data in the batch (for progress).
    pub bytes: u64,
    batch: LineBatch,
}

struct Job<T> {
    batch: LineBatch,
    state: FormatState,
    out: Vec<T>,
}

/// Everything needed to turn one batch into output. Each worker thread gets
/// its own clone (a parser caches time-zone lookups; work may keep scratch
/// buffers).
#[derive(Clone)]
pub struct BatchParser<'p, F> {
    pub parser: LineParser,
    /// `log.file.path` for the events, when reading a file.
    pub path: Option<&'p str>,
    /// The per-event work: render it, match it, or nothing (counting).
    pub work: F,
}

impl<F> BatchParser<'_, F> {
    fn run<T>(&mut self, batch: &LineBatch, mut state: FormatState, out: &mut Vec<T>) -> ParseStats
    where
        F: FnMut(&Event<'_>, &mut Vec<T>),
    {
        let mut stats = ParseStats::default();
        for (line_no, bytes, truncated) in batch.iter() {
            stats.lines += 1;
            let (text, flags) = decode_line(bytes, truncated);
            if text.trim().is_empty() {
                stats.blank += 1;
                continue;
            }
            state.observe(&text);
            let mut ev = Event::new(Format::Heuristic, &text, Timestamp::default());
            self.parser.parse_into(&text, &state, &mut ev);
            ev.flags.insert(flags);
            ev.file_line = Some(line_no);
            if let Some(p) = self.path {
                ev.file_path = Some(p.into());
            }
            stats.record(&ev);
            (self.work)(&ev, out);
        }
        stats
    }
}

/// Advances `state` over the directive lines of a batch (in order).
fn observe_batch(state: &mut FormatState, batch: &LineBatch) {
    for (_, bytes, _) in batch.iter() {
        if bytes.first() == Some(&b'#') {
            state.observe(&String::from_utf8_lossy(bytes));
        }
    }
}

/// Parses every batch of `reader` (starting with `first`, already read)
/// and passes each batch's rendered bytes and counts to `sink`, in input
/// order. Stops at the first read error or sink error.
pub fn run<R, F, T, S, E>(
    reader: &mut LineReader<R>,
    first: LineBatch,
    bp: &BatchParser<'_, F>,
    threads: usize,
    mut sink: S,
) -> Result<(), E>
where
    R: Read,
    F: FnMut(&Event<'_>, &mut Vec<T>) + Clone + Send,
    T: Send,
    S: FnMut(&mut Rendered<T>) -> Result<(), E>,
    E: From<std::io::Error>,
{
    let mut state = FormatState::default();
    if threads <= 1 {
        let mut bp = bp.clone();
        let mut batch = first;
        let mut out = Vec::new();
        loop {
            if batch.is_empty() {
                return Ok(());
            }
            out.clear();
            let stats = bp.run(&batch, state.clone(), &mut out);
            observe_batch(&mut state, &batch);
            let mut r = Rendered {
                out: std::mem::take(&mut out),
                stats,
                bytes: batch.data.len() as u64,
                batch,
            };
            sink(&mut r)?;
            out = r.out;
            batch = r.batch;
            reader.next_batch(&mut batch)?;
        }
    }
    std::thread::scope(|scope| {
        let mut to_workers: Vec<SyncSender<Job<T>>> = Vec::new();
        let mut from_workers: Vec<Receiver<Rendered<T>>> = Vec::new();
        for _ in 0..threads {
            let (tx_job, rx_job) = sync_channel::<Job<T>>(2);
            let (tx_out, rx_out) = sync_channel::<Rendered<T>>(2);
            to_workers.push(tx_job);
            from_workers.push(rx_out);
            let mut bp = bp.clone();
            scope.spawn(move || {
                while let Ok(mut job) = rx_job.recv() {
                    job.out.clear();
                    let stats = bp.run(&job.batch, job.state, &mut job.out);
                    let r = Rendered {
                        out: job.out,
                        stats,
                        bytes: job.batch.data.len() as u64,
                        batch: job.batch,
                    };
                    if tx_out.send(r).is_err() {
                        break;
                    }
                }
            });
        }
        let mut in_flight: VecDeque<usize> = VecDeque::new();
        let mut spare: Vec<(LineBatch, Vec<T>)> = Vec::new();
        let mut next = 0usize;
        let mut batch = first;
        let result: Result<(), E> = (|| {
            loop {
                if batch.is_empty() {
                    break;
                }
                let job_state = state.clone();
                observe_batch(&mut state, &batch);
                let (mut fresh, out) = spare.pop().unwrap_or_default();
                std::mem::swap(&mut fresh, &mut batch);
                let job = Job {
                    batch: fresh,
                    state: job_state,
                    out,
                };
                let w = next % threads;
                next += 1;
                if to_workers[w].send(job).is_err() {
                    break;
                }
                in_flight.push_back(w);
                if in_flight.len() >= 2 * threads
                    && let Some(w) = in_flight.pop_front()
                    && let Ok(mut r) = from_workers[w].recv()
                {
                    sink(&mut r)?;
                    spare.push((r.batch, r.out));
                }
                reader.next_batch(&mut batch)?;
            }
            Ok(())
        })();
        // Drain what is in flight (also after an error, so workers finish).
        let mut result = result;
        while let Some(w) = in_flight.pop_front() {
            if let Ok(mut r) = from_workers[w].recv()
                && result.is_ok()
            {
                result = sink(&mut r);
            }
        }
        drop(to_workers);
        result
    })
}
