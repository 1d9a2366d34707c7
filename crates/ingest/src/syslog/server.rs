//! UDP and TCP syslog servers on std threads.

use std::io::{self, Read};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::IngestError;
use crate::syslog::framing::{FrameError, Framer};

/// How often blocked threads look at the shutdown flag.
const TICK: Duration = Duration::from_millis(100);

/// Limits of a receiver.
#[derive(Debug, Clone)]
pub struct SyslogConfig {
    /// Longest frame accepted (longer ones are dropped and counted).
    pub max_frame: usize,
    /// TCP connections at once; more are closed on accept.
    pub max_connections: usize,
    /// A TCP connection silent this long is closed.
    pub idle_timeout: Duration,
    /// Frames per batch handed to the sink (at most).
    pub batch_frames: usize,
}

impl Default for SyslogConfig {
    fn default() -> Self {
        SyslogConfig {
            max_frame: crate::DEFAULT_MAX_LINE,
            max_connections: 256,
            idle_timeout: Duration::from_secs(600),
            batch_frames: 512,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        }
    }
}

/// Frames received: `data[start..end]` each, with the sender.
#[derive(Debug, Default)]
pub struct FrameBatch {
    pub data: Vec<u8>,
    pub frames: Vec<(usize, usize, SocketAddr)>,
    pub transport: Option<Transport>,
}

impl FrameBatch {
    fn push(&mut self, frame: &[u8], peer: SocketAddr) {
        let start = self.data.len();
        self.data.extend_from_slice(frame);
        self.frames.push((start, self.data.len(), peer));
    }

    /// (bytes, sender) of each frame.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], SocketAddr)> {
        self.frames
            .iter()
            .map(|&(s, e, p)| (self.data.get(s..e).unwrap_or_default(), p))
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }
}

/// Counters shared by a receiver's threads.
#[derive(Debug, Default)]
pub struct SyslogCounters {
    pub frames: AtomicU64,
    pub bytes: AtomicU64,
    /// Framing errors: oversize or truncated frames (skipped).
    pub malformed: AtomicU64,
    pub connections: AtomicU64,
    /// Connections closed on accept because of `max_connections`.
    pub refused: AtomicU64,
    pub open: AtomicUsize,
}

/// Tells the servers to stop; they return within about 100 ms.
#[derive(Debug, Clone, Default)]
pub struct Shutdown(Arc<AtomicBool>);

impl Shutdown {
    pub fn new() -> Shutdown {
        Shutdown::default()
    }

    pub fn trigger(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_triggered(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// A `--listen` address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listen {
    pub transport: Transport,
    pub addr: SocketAddr,
}

/// Parses `udp://HOST:PORT` or `tcp://HOST:PORT` (a host name is resolved;
/// IPv6 in brackets). Refuses a non-loopback address unless
/// `allow_remote`.
pub fn parse_listen(spec: &str, allow_remote: bool) -> Result<Listen, IngestError> {
    let err = |reason: &str| IngestError::Listen {
        addr: spec.to_string(),
        reason: reason.to_string(),
    };
    let (transport, rest) = if let Some(r) = spec.strip_prefix("udp://") {
        (Transport::Udp, r)
    } else if let Some(r) = spec.strip_prefix("tcp://") {
        (Transport::Tcp, r)
    } else {
        return Err(err("expected udp://HOST:PORT or tcp://HOST:PORT"));
    };
    let addr = rest
        .to_socket_addrs()
        .map_err(|e| err(&format!("bad address: {e}")))?
        .next()
        .ok_or_else(|| err("the host name resolves to no address"))?;
    if !allow_remote && !is_loopback(addr.ip()) {
        return Err(err(
            "not a loopback address; receiving from the network needs --allow-remote",
        ));
    }
    Ok(Listen { transport, addr })
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Receives datagrams on `socket` until `shutdown`; each is one frame.
/// `sink` gets batches; when it returns `false` the server stops.
pub fn serve_udp(
    socket: UdpSocket,
    config: SyslogConfig,
    counters: Arc<SyslogCounters>,
    shutdown: Shutdown,
    sink: impl Fn(FrameBatch) -> bool + Send + 'static,
) -> io::Result<JoinHandle<()>> {
    socket.set_read_timeout(Some(TICK))?;
    std::thread::Builder::new()
        .name("syslog-udp".into())
        .spawn(move || {
            // One byte more than the limit tells an oversize datagram.
            let mut buf = vec![0u8; config.max_frame.min(65_535) + 1];
            let mut batch = FrameBatch {
                transport: Some(Transport::Udp),
                ..FrameBatch::default()
            };
            while !shutdown.is_triggered() {
                let got = socket.recv_from(&mut buf);
                match got {
                    Ok((n, peer)) => {
                        counters.bytes.fetch_add(n as u64, Ordering::Relaxed);
                        udp_frame(&buf[..n], peer, config.max_frame, &counters, &mut batch);
                        // Take what else is queued, without waiting.
                        let _ = socket.set_nonblocking(true);
                        while batch.len() < config.batch_frames {
                            match socket.recv_from(&mut buf) {
                                Ok((n, peer)) => {
                                    counters.bytes.fetch_add(n as u64, Ordering::Relaxed);
                                    udp_frame(
                                        &buf[..n],
                                        peer,
                                        config.max_frame,
                                        &counters,
                                        &mut batch,
                                    );
                                }
                                Err(_) => break,
                            }
                        }
                        let _ = socket.set_nonblocking(false);
                        if !batch.is_empty() {
                            let full = std::mem::replace(
                                &mut batch,
                                FrameBatch {
                                    transport: Some(Transport::Udp),
                                    ..FrameBatch::default()
                                },
                            );
                            if !sink(full) {
                                return;
                            }
                        }
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock
                                | io::ErrorKind::TimedOut
                                | io::ErrorKind::Interrupted
                        ) => {}
                    // ICMP errors and the like: keep receiving.
                    Err(_) => std::thread::sleep(TICK),
                }
            }
        })
}

fn udp_frame(
    data: &[u8],
    peer: SocketAddr,
    max_frame: usize,
    counters: &SyslogCounters,
    batch: &mut FrameBatch,
) {
    if data.len() > max_frame {
        counters.malformed.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let mut end = data.len();
    while end > 0 && matches!(data[end - 1], b'\n' | b'\r' | b'\0') {
        end -= 1;
    }
    if end == 0 {
        return;
    }
    counters.frames.fetch_add(1, Ordering::Relaxed);
    batch.push(&data[..end], peer);
}

/// Accepts connections on `listener` until `shutdown`; each connection is
/// read by its own thread.
pub fn serve_tcp(
    listener: TcpListener,
    config: SyslogConfig,
    counters: Arc<SyslogCounters>,
    shutdown: Shutdown,
    sink: impl Fn(FrameBatch) -> bool + Send + Sync + 'static,
) -> io::Result<JoinHandle<()>> {
    listener.set_nonblocking(true)?;
    let sink = Arc::new(sink);
    std::thread::Builder::new()
        .name("syslog-tcp".into())
        .spawn(move || {
            let mut conns: Vec<JoinHandle<()>> = Vec::new();
            while !shutdown.is_triggered() {
                match listener.accept() {
                    Ok((stream, peer)) => {
                        conns.retain(|h| !h.is_finished());
                        counters.connections.fetch_add(1, Ordering::Relaxed);
                        if counters.open.load(Ordering::SeqCst) >= config.max_connections {
                            counters.refused.fetch_add(1, Ordering::Relaxed);
                            drop(stream);
                            continue;
                        }
                        counters.open.fetch_add(1, Ordering::SeqCst);
                        let (c_config, c_counters, c_shutdown, c_sink) = (
                            config.clone(),
                            Arc::clone(&counters),
                            shutdown.clone(),
                            Arc::clone(&sink),
                        );
                        let spawned = std::thread::Builder::new()
                            .name("syslog-conn".into())
                            .spawn(move || {
                                read_connection(
                                    stream,
                                    peer,
                                    &c_config,
                                    &c_counters,
                                    &c_shutdown,
                                    &*c_sink,
                                );
                                c_counters.open.fetch_sub(1, Ordering::SeqCst);
                            });
                        match spawned {
                            Ok(h) => conns.push(h),
                            Err(_) => {
                                counters.open.fetch_sub(1, Ordering::SeqCst);
                                counters.refused.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    // Out of descriptors and the like: wait, go on.
                    Err(_) => std::thread::sleep(TICK),
                }
            }
            for h in conns {
                let _ = h.join();
            }
        })
}

fn read_connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    config: &SyslogConfig,
    counters: &SyslogCounters,
    shutdown: &Shutdown,
    sink: &(dyn Fn(FrameBatch) -> bool + Send + Sync),
) {
    if stream.set_read_timeout(Some(TICK)).is_err() {
        return;
    }
    let mut framer = Framer::new(config.max_frame);
    let mut buf = vec![0u8; 64 * 1024];
    let mut last_data = Instant::now();
    let new_batch = || FrameBatch {
        transport: Some(Transport::Tcp),
        ..FrameBatch::default()
    };
    let mut batch = new_batch();
    let take = |r: Result<&[u8], FrameError>, batch: &mut FrameBatch| match r {
        Ok(frame) => {
            counters.frames.fetch_add(1, Ordering::Relaxed);
            batch.push(frame, peer);
        }
        Err(_) => {
            counters.malformed.fetch_add(1, Ordering::Relaxed);
        }
    };
    loop {
        if shutdown.is_triggered() {
            break;
        }
        match stream.read(&mut buf) {
            Ok(0) => {
                framer.finish(&mut |r| take(r, &mut batch));
                break;
            }
            Ok(n) => {
                last_data = Instant::now();
                counters.bytes.fetch_add(n as u64, Ordering::Relaxed);
                framer.push(&buf[..n], &mut |r| take(r, &mut batch));
                if !batch.is_empty() && !sink(std::mem::replace(&mut batch, new_batch())) {
                    return;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                if last_data.elapsed() >= config.idle_timeout {
                    break;
                }
            }
            Err(_) => {
                framer.finish(&mut |r| take(r, &mut batch));
                break;
            }
        }
    }
    if !batch.is_empty() {
        sink(batch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::Mutex;

    type Got = Arc<Mutex<Vec<(String, SocketAddr)>>>;

    fn collector() -> (Got, impl Fn(FrameBatch) -> bool + Send + Sync + 'static) {
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = Arc::clone(&got);
        (got, move |b: FrameBatch| {
            let mut g = g.lock().unwrap();
            for (bytes, peer) in b.iter() {
                g.push((String::from_utf8_lossy(bytes).into_owned(), peer));
            }
            true
        })
    }

    fn wait_for(got: &Mutex<Vec<(String, SocketAddr)>>, n: usize) {
        let t = Instant::now();
        while got.lock().unwrap().len() < n && t.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn listen_addresses() {
        let l = parse_listen("udp://127.0.0.1:5514", false).unwrap();
        assert_eq!(l.transport, Transport::Udp);
        assert!(parse_listen("tcp://[::1]:0", false).is_ok());
        let e = parse_listen("tcp://0.0.0.0:5514", false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--allow-remote"), "{e}");
        assert!(parse_listen("tcp://0.0.0.0:5514", true).is_ok());
        assert!(parse_listen("http://127.0.0.1:1", false).is_err());
        assert!(parse_listen("udp://127.0.0.1", false).is_err());
    }

    #[test]
    fn tcp_both_framings_limits_and_shutdown() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let counters = Arc::new(SyslogCounters::default());
        let shutdown = Shutdown::new();
        let (got, sink) = collector();
        let config = SyslogConfig {
            max_frame: 100,
            max_connections: 2,
            ..SyslogConfig::default()
        };
        let h = serve_tcp(
            listener,
            config,
            Arc::clone(&counters),
            shutdown.clone(),
            sink,
        )
        .unwrap();
        let mut a = TcpStream::connect(addr).unwrap();
        a.write_all(b"<13>one\n8 <13>two\n").unwrap();
        let mut big = b"500 ".to_vec();
        big.extend(vec![b'z'; 500]);
        a.write_all(&big).unwrap();
        a.write_all(b"<13>three\n").unwrap();
        wait_for(&got, 3);
        // Two connections at most: the third is closed at once.
        let _b = TcpStream::connect(addr).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let mut c = TcpStream::connect(addr).unwrap();
        let mut sink_buf = [0u8; 1];
        c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        assert_eq!(c.read(&mut sink_buf).unwrap_or(0), 0);
        let frames: Vec<String> = got.lock().unwrap().iter().map(|g| g.0.clone()).collect();
        assert_eq!(frames, vec!["<13>one", "<13>two", "<13>three"]);
        assert_eq!(counters.malformed.load(Ordering::Relaxed), 1);
        assert_eq!(counters.refused.load(Ordering::Relaxed), 1);
        shutdown.trigger();
        h.join().unwrap();
    }

    #[test]
    fn tcp_loses_nothing_when_the_sink_is_slow() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let counters = Arc::new(SyslogCounters::default());
        let shutdown = Shutdown::new();
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = Arc::clone(&got);
        // A sink that stalls now and then: the sender is slowed, not dropped.
        let sink = move |b: FrameBatch| {
            if g.lock().unwrap().len() % 7 == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
            g.lock().unwrap().extend(
                b.iter()
                    .map(|(f, _)| String::from_utf8_lossy(f).into_owned()),
            );
            true
        };
        let h = serve_tcp(
            listener,
            SyslogConfig::default(),
            counters,
            shutdown.clone(),
            sink,
        )
        .unwrap();
        const N: usize = 20_000;
        let mut data = Vec::new();
        for i in 0..N {
            let m = format!("<13>1 2026-01-15T10:00:00Z h app - - - message {i}");
            if i % 2 == 0 {
                data.extend_from_slice(format!("{} {m}", m.len()).as_bytes());
            } else {
                data.extend_from_slice(m.as_bytes());
                data.push(b'\n');
            }
        }
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(&data).unwrap();
        drop(s);
        let t = Instant::now();
        while got.lock().unwrap().len() < N && t.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let got = got.lock().unwrap();
        assert_eq!(got.len(), N);
        assert!(
            got.iter()
                .enumerate()
                .all(|(i, m)| m.ends_with(&format!(" message {i}")))
        );
        shutdown.trigger();
        h.join().unwrap();
    }

    #[test]
    fn udp_datagrams_with_sender() {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = socket.local_addr().unwrap();
        let counters = Arc::new(SyslogCounters::default());
        let shutdown = Shutdown::new();
        let (got, sink) = collector();
        let config = SyslogConfig {
            max_frame: 64,
            ..SyslogConfig::default()
        };
        let h = serve_udp(
            socket,
            config,
            Arc::clone(&counters),
            shutdown.clone(),
            sink,
        )
        .unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client.send_to(b"<13>hello\n", addr).unwrap();
        client.send_to(&[b'x'; 200], addr).unwrap();
        client.send_to(b"<14>world", addr).unwrap();
        wait_for(&got, 2);
        let got = got.lock().unwrap().clone();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, "<13>hello");
        assert_eq!(got[0].1, client.local_addr().unwrap());
        assert_eq!(got[1].0, "<14>world");
        let t = Instant::now();
        while counters.malformed.load(Ordering::Relaxed) == 0
            && t.elapsed() < Duration::from_secs(2)
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(counters.malformed.load(Ordering::Relaxed), 1);
        shutdown.trigger();
        h.join().unwrap();
    }
}
