//! The debug SMTP server behind `logsentinel smtp-sink`: accepts every mail
//! and hands it to a callback, so email notifications can be tried out
//! without a real mail server.
//!
//! It speaks the part of RFC 5321 that mail clients use (EHLO/HELO, AUTH
//! PLAIN and LOGIN accepting any credentials, MAIL, RCPT, DATA, RSET, NOOP,
//! VRFY, QUIT), on plain std threads: one for accepting, one per connection.
//! Peers are treated as hostile: lines, messages, recipients, errors, idle
//! time and concurrent connections are all bounded, and nothing a peer sends
//! reaches a terminal raw ([`ReceivedMail::display`] escapes control
//! characters). Received MIME is decoded with `mail-parser`.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use mail_parser::{Header, HeaderName, HeaderValue, MessageParser, PartType};

/// How often the accept loop looks for new connections and the stop flag.
const ACCEPT_POLL: Duration = Duration::from_millis(20);
/// Read timeout of connection sockets: how often they look at the stop flag
/// and the idle clock while waiting for the peer.
const READ_POLL: Duration = Duration::from_millis(50);
/// After a stop, how long `run` waits for open connections to wind down.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(120);
/// Longest command line (without its line ending).
const MAX_COMMAND_LINE: usize = 4096;
/// Longest line inside DATA; RFC 5321 says 1000, real mailers send longer.
const MAX_DATA_LINE: usize = 1 << 20;
/// Most recipients of one message.
const MAX_RECIPIENTS: usize = 100;
/// Failed commands after which a connection is closed.
const MAX_ERRORS: u32 = 20;
/// Accepts per poll, so a connection flood cannot starve mail delivery.
const MAX_ACCEPTS_PER_POLL: usize = 64;
/// Width of the separator lines in [`ReceivedMail::display`].
const RULE_WIDTH: usize = 72;

/// Limits and identity of an [`SmtpSink`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkConfig {
    /// Largest message accepted, in bytes after dot-unstuffing (default 10 MiB).
    pub max_message_bytes: usize,
    /// Connections served at once; more are answered 421 and closed (default 16).
    pub max_connections: usize,
    /// A connection silent this long is answered 421 and closed (default 60 s).
    pub idle_timeout: Duration,
    /// Name in the greeting and replies (default `logsentinel-sink`).
    pub hostname: String,
}

impl Default for SinkConfig {
    fn default() -> SinkConfig {
        SinkConfig {
            max_message_bytes: 10 * 1024 * 1024,
            max_connections: 16,
            idle_timeout: Duration::from_secs(60),
            hostname: "logsentinel-sink".to_string(),
        }
    }
}

/// Why the sink could not listen or serve.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The listening socket could not be opened (address in use, no permission...).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    /// The listening socket failed after it was opened.
    #[error("smtp-sink listening socket failed: {0}")]
    Io(#[from] io::Error),
}

/// One message as the sink accepted it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedMail {
    /// Queue number, as in the `250 OK: queued as <n>` reply (from 1).
    pub id: u64,
    /// The MAIL FROM address (empty for the null sender `<>`).
    pub from: String,
    /// The RCPT TO addresses, in order.
    pub to: Vec<String>,
    /// The user name the client authenticated as, if it used AUTH.
    pub auth_user: Option<String>,
    /// The raw message: dot-unstuffed, every line ending in CRLF.
    pub data: Vec<u8>,
    /// The client's address.
    pub peer: SocketAddr,
    /// When the final `.` arrived.
    pub received_at: jiff::Timestamp,
}

/// The decoded parts of a message that people look at.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ParsedMail {
    /// The Subject header, decoded.
    pub subject: Option<String>,
    /// Top-level headers in order, encoded words decoded, folding removed.
    pub headers: Vec<(String, String)>,
    /// The first text/plain body part, decoded.
    pub text: Option<String>,
    /// The first text/html body part, decoded.
    pub html: Option<String>,
}

impl ReceivedMail {
    /// Decodes the message (MIME structure, transfer encodings, charsets,
    /// encoded-word headers). Never fails: junk yields whatever could be read.
    pub fn parsed(&self) -> ParsedMail {
        // mail-parser is written not to panic, but it has debug assertions
        // and the message is attacker-controlled: contain any surprise.
        std::panic::catch_unwind(|| parse_message(&self.data)).unwrap_or_else(|_| ParsedMail {
            text: Some(String::from_utf8_lossy(&self.data).into_owned()),
            ..ParsedMail::default()
        })
    }

    /// What `smtp-sink` prints for this mail: a separator line, the
    /// envelope, the main headers, a blank line and the text part. Control
    /// characters from the message are shown escaped (`\x1b`).
    pub fn display(&self) -> String {
        self.render(false)
    }

    /// [`ReceivedMail::display`], plus the HTML part when `with_html` is set.
    pub fn render(&self, with_html: bool) -> String {
        let parsed = self.parsed();
        let mut out = String::with_capacity(512 + self.data.len());
        out.push_str(&"=".repeat(RULE_WIDTH));
        out.push('\n');
        let from = if self.from.is_empty() {
            "<>"
        } else {
            &self.from
        };
        let _ = writeln!(out, "Envelope-From: {}", escape_line(from));
        let _ = writeln!(out, "Envelope-To:   {}", escape_line(&self.to.join(", ")));
        let _ = writeln!(out, "Peer:          {}", self.peer);
        if let Some(user) = &self.auth_user {
            let _ = writeln!(out, "Auth-User:     {}", escape_line(user));
        }
        let _ = writeln!(
            out,
            "Received:      {:.3} (queued as {}, {} bytes)",
            self.received_at,
            self.id,
            self.data.len()
        );
        out.push_str(&"-".repeat(RULE_WIDTH));
        out.push('\n');
        for (name, value) in &parsed.headers {
            if is_displayed_header(name) {
                let _ = writeln!(out, "{}: {}", escape_line(name), escape_line(value));
            }
        }
        out.push('\n');
        match &parsed.text {
            Some(text) => push_body(&mut out, text),
            None => {
                out.push_str("(no text/plain part)\n");
                if let Some(html) = &parsed.html {
                    let _ = writeln!(out, "(HTML part: {} bytes)", html.len());
                }
            }
        }
        if with_html && let Some(html) = &parsed.html {
            out.push_str(&"-".repeat(RULE_WIDTH));
            out.push_str("\n(HTML part)\n");
            push_body(&mut out, html);
        }
        out
    }
}

/// Headers worth a person's attention in [`ReceivedMail::display`].
fn is_displayed_header(name: &str) -> bool {
    ["From", "To", "Cc", "Subject", "Date", "Message-ID"]
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
        || name.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("X-"))
}

fn parse_message(raw: &[u8]) -> ParsedMail {
    // Headers whose value is shown as written (no encoded words in them);
    // everything else is decoded as unstructured text.
    let parser = MessageParser::new()
        .with_mime_headers()
        .header_raw(HeaderName::Date)
        .header_raw(HeaderName::ResentDate)
        .header_raw(HeaderName::MessageId)
        .header_raw(HeaderName::ResentMessageId)
        .header_raw(HeaderName::InReplyTo)
        .header_raw(HeaderName::References)
        .header_raw(HeaderName::ReturnPath)
        .header_raw(HeaderName::Received)
        .header_raw(HeaderName::MimeVersion)
        .default_header_text();
    let Some(message) = parser.parse(raw) else {
        // No header at all: show whatever arrived as the text.
        return ParsedMail {
            text: (!raw.is_empty()).then(|| String::from_utf8_lossy(raw).into_owned()),
            ..ParsedMail::default()
        };
    };
    let headers: Vec<(String, String)> = message
        .parts
        .first()
        .map(|root| root.headers.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|h| (h.name().to_string(), header_value(h, raw)))
        .collect();
    let subject = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("Subject"))
        .map(|(_, value)| value.clone());
    // mail-parser lists an HTML part among the text bodies (and a text part
    // among the HTML ones) when the other kind is missing: keep the real kind.
    let text = message.text_bodies().find_map(|part| match &part.body {
        PartType::Text(text) => Some(text.to_string()),
        _ => None,
    });
    let html = message.html_bodies().find_map(|part| match &part.body {
        PartType::Html(html) => Some(html.to_string()),
        _ => None,
    });
    ParsedMail {
        subject,
        headers,
        text,
        html,
    }
}

/// A header's value as one line: decoded text where mail-parser made text,
/// otherwise the raw value.
fn header_value(header: &Header<'_>, raw: &[u8]) -> String {
    let value = match header.value() {
        HeaderValue::Text(text) => text.to_string(),
        HeaderValue::TextList(list) => list.join(", "),
        _ => {
            let start = usize::try_from(header.offset_start()).unwrap_or(usize::MAX);
            let end = usize::try_from(header.offset_end()).unwrap_or(usize::MAX);
            raw.get(start..end)
                .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
                .unwrap_or_default()
        }
    };
    value.replace(['\r', '\n'], "").trim().to_string()
}

/// `s` for one terminal line: every control character escaped.
fn escape_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s, false);
    out
}

/// Appends a body text, CRLF turned into LF, ending with a newline.
fn push_body(out: &mut String, text: &str) {
    push_escaped(out, text, true);
    if !out.ends_with('\n') {
        out.push('\n');
    }
}

/// Appends `s` with control characters (ESC, BEL, CR, NUL, C1...) and bidi
/// overrides escaped; tabs kept, and line breaks when `multiline`.
fn push_escaped(out: &mut String, s: &str, multiline: bool) {
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if multiline && chars.peek() == Some(&'\n') => {}
            '\n' if multiline => out.push('\n'),
            '\t' => out.push('\t'),
            c if c.is_control() && u32::from(c) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

/// Makes a running [`SmtpSink`] stop; cheap to clone and send.
#[derive(Debug, Clone)]
pub struct SinkShutdown {
    stop: Arc<AtomicBool>,
}

impl SinkShutdown {
    /// Asks the sink to stop: `run` returns within about 200 ms; open
    /// connections are told `421` and closed.
    pub fn trigger(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Whether [`SinkShutdown::trigger`] was called.
    pub fn is_triggered(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// A bound debug SMTP server; [`SmtpSink::run`] serves it.
#[derive(Debug)]
pub struct SmtpSink {
    listener: TcpListener,
    local_addr: SocketAddr,
    config: SinkConfig,
    stop: Arc<AtomicBool>,
}

impl SmtpSink {
    /// Opens the listening socket.
    pub fn bind(addr: SocketAddr, config: SinkConfig) -> Result<SmtpSink, SinkError> {
        let listener =
            TcpListener::bind(addr).map_err(|source| SinkError::Bind { addr, source })?;
        let local_addr = listener.local_addr()?;
        Ok(SmtpSink {
            listener,
            local_addr,
            config,
            stop: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The address actually listened on (with the real port after `:0`).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle that stops [`SmtpSink::run`] from any thread.
    pub fn shutdown_handle(&self) -> SinkShutdown {
        SinkShutdown {
            stop: Arc::clone(&self.stop),
        }
    }

    /// Serves until [`SinkShutdown::trigger`]: one thread per connection,
    /// `on_mail` called on this thread, one mail at a time, in the order the
    /// mails were accepted.
    pub fn run(
        self,
        mut on_mail: impl FnMut(ReceivedMail) + Send + 'static,
    ) -> Result<(), SinkError> {
        let SmtpSink {
            listener,
            config,
            stop,
            ..
        } = self;
        listener.set_nonblocking(true)?;
        let shared = Arc::new(Shared {
            config,
            stop,
            next_id: AtomicU64::new(1),
            active: AtomicUsize::new(0),
        });
        let (tx, rx) = mpsc::channel::<ReceivedMail>();
        while !shared.stop.load(Ordering::SeqCst) {
            accept_ready(&listener, &shared, &tx);
            if let Ok(mail) = rx.recv_timeout(ACCEPT_POLL) {
                on_mail(mail);
            }
        }
        // Refuse new connections at once; let open ones finish what they
        // are saying (they see the stop flag within READ_POLL).
        drop(listener);
        drop(tx);
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        while shared.active.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            if let Ok(mail) = rx.recv_timeout(Duration::from_millis(5)) {
                on_mail(mail);
            }
        }
        while let Ok(mail) = rx.try_recv() {
            on_mail(mail);
        }
        Ok(())
    }

    /// [`SmtpSink::run`] on a new thread named `smtp-sink`.
    pub fn spawn(
        self,
        on_mail: impl FnMut(ReceivedMail) + Send + 'static,
    ) -> io::Result<thread::JoinHandle<Result<(), SinkError>>> {
        thread::Builder::new()
            .name("smtp-sink".to_string())
            .spawn(move || self.run(on_mail))
    }
}

/// What the accept loop shares with connection threads.
struct Shared {
    config: SinkConfig,
    stop: Arc<AtomicBool>,
    next_id: AtomicU64,
    active: AtomicUsize,
}

/// Counts a connection thread as active until dropped.
struct ActiveGuard(Arc<Shared>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Accepts the connections waiting now; errors (a peer gone before accept,
/// out of file descriptors) are retried at the next poll.
fn accept_ready(listener: &TcpListener, shared: &Arc<Shared>, tx: &mpsc::Sender<ReceivedMail>) {
    for _ in 0..MAX_ACCEPTS_PER_POLL {
        match listener.accept() {
            Ok((stream, peer)) => start_session(stream, peer, shared, tx),
            Err(_) => return,
        }
    }
}

fn start_session(
    stream: TcpStream,
    peer: SocketAddr,
    shared: &Arc<Shared>,
    tx: &mpsc::Sender<ReceivedMail>,
) {
    let write_timeout = shared.config.idle_timeout.max(READ_POLL);
    if stream.set_nonblocking(false).is_err()
        || stream.set_read_timeout(Some(READ_POLL)).is_err()
        || stream.set_write_timeout(Some(write_timeout)).is_err()
    {
        return;
    }
    if shared.active.fetch_add(1, Ordering::SeqCst) >= shared.config.max_connections {
        shared.active.fetch_sub(1, Ordering::SeqCst);
        let mut stream = stream;
        let reply = format!(
            "421 {} too busy, try again later\r\n",
            shared.config.hostname
        );
        let _ = stream.write_all(reply.as_bytes());
        let _ = stream.shutdown(Shutdown::Both);
        return;
    }
    let guard = ActiveGuard(Arc::clone(shared));
    let tx = tx.clone();
    // If the thread cannot start, the closure is dropped: the guard gives
    // the slot back and the socket closes.
    let _ = thread::Builder::new()
        .name("smtp-sink-conn".to_string())
        .spawn(move || {
            let shared = Arc::clone(&guard.0);
            Session::new(stream, peer, &shared, tx).serve();
            drop(guard);
        });
}

/// What reading one line produced.
enum Input {
    /// A line without its line ending.
    Line(Vec<u8>),
    /// A line over the limit, discarded; its length with the line ending.
    TooLong(usize),
    /// The peer closed the connection or the socket failed.
    Closed,
    /// Nothing arrived for `idle_timeout`.
    Idle,
    /// The sink is stopping.
    Stopped,
}

/// Whether a session goes on after a command.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    Close,
}

/// One SMTP connection.
struct Session<'a> {
    stream: TcpStream,
    shared: &'a Shared,
    tx: mpsc::Sender<ReceivedMail>,
    peer: SocketAddr,
    /// Bytes read; those before `start` were already returned as lines.
    buf: Vec<u8>,
    start: usize,
    last_activity: Instant,
    /// Set by HELO (`false`) or EHLO (`true`).
    greeted: Option<bool>,
    auth_user: Option<String>,
    from: Option<String>,
    to: Vec<String>,
    errors: u32,
}

impl<'a> Session<'a> {
    fn new(
        stream: TcpStream,
        peer: SocketAddr,
        shared: &'a Shared,
        tx: mpsc::Sender<ReceivedMail>,
    ) -> Session<'a> {
        Session {
            stream,
            shared,
            tx,
            peer,
            buf: Vec::new(),
            start: 0,
            last_activity: Instant::now(),
            greeted: None,
            auth_user: None,
            from: None,
            to: Vec::new(),
            errors: 0,
        }
    }

    fn serve(mut self) {
        let greeting = format!("220 {} LogSentinel smtp-sink ESMTP", self.host());
        if self.reply(&greeting) == Flow::Close {
            return;
        }
        loop {
            let flow = match self.read_line(MAX_COMMAND_LINE) {
                Input::Line(line) => self.command(&line),
                Input::TooLong(_) => self.error("500 line too long"),
                other => self.lost(other),
            };
            if flow == Flow::Close {
                let _ = self.stream.shutdown(Shutdown::Both);
                return;
            }
        }
    }

    fn host(&self) -> &str {
        &self.shared.config.hostname
    }

    /// Sends one reply (lines joined by CRLF inside `text`).
    fn reply(&mut self, text: &str) -> Flow {
        let mut bytes = Vec::with_capacity(text.len() + 2);
        bytes.extend_from_slice(text.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        match self.stream.write_all(&bytes) {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Close,
        }
    }

    /// Sends an error reply, or closes with 421 once there were too many.
    fn error(&mut self, text: &str) -> Flow {
        self.errors += 1;
        if self.errors >= MAX_ERRORS {
            let bye = format!("421 {} too many errors, closing connection", self.host());
            let _ = self.reply(&bye);
            return Flow::Close;
        }
        self.reply(text)
    }

    /// Says goodbye for an input that ends the session.
    fn lost(&mut self, input: Input) -> Flow {
        let text = match input {
            Input::Idle => format!("421 {} idle timeout, closing connection", self.host()),
            Input::Stopped => format!("421 {} shutting down", self.host()),
            _ => return Flow::Close,
        };
        let _ = self.reply(&text);
        Flow::Close
    }

    /// Reads one line (LF or CRLF ended) of at most `limit` bytes. Each
    /// received byte is scanned and moved once, however the peer splits or
    /// batches its lines.
    fn read_line(&mut self, limit: usize) -> Input {
        let mut discarded = 0usize;
        let mut scanned = self.start;
        let mut chunk = [0u8; 8192];
        loop {
            let unscanned = self.buf.get(scanned..).unwrap_or_default();
            if let Some(offset) = unscanned.iter().position(|&b| b == b'\n') {
                let end = scanned + offset;
                let mut line = self.buf.get(self.start..end).unwrap_or_default().to_vec();
                self.start = end + 1;
                let with_ending = line.len() + 1;
                if discarded > 0 {
                    return Input::TooLong(discarded.saturating_add(with_ending));
                }
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if line.len() > limit {
                    return Input::TooLong(with_ending);
                }
                return Input::Line(line);
            }
            // No whole line buffered: drop the lines already returned.
            self.buf.drain(..self.start.min(self.buf.len()));
            self.start = 0;
            scanned = self.buf.len();
            if self.buf.len() > limit.saturating_add(2) {
                discarded = discarded.saturating_add(self.buf.len());
                self.buf.clear();
                scanned = 0;
            }
            if self.shared.stop.load(Ordering::SeqCst) {
                return Input::Stopped;
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return Input::Closed,
                Ok(n) => {
                    self.buf
                        .extend_from_slice(chunk.get(..n).unwrap_or_default());
                    self.last_activity = Instant::now();
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if self.last_activity.elapsed() >= self.shared.config.idle_timeout {
                        return Input::Idle;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Input::Closed,
            }
        }
    }

    fn command(&mut self, line: &[u8]) -> Flow {
        let (verb, arg) = match line.iter().position(|&b| b == b' ') {
            Some(pos) => (
                line.get(..pos).unwrap_or_default(),
                line.get(pos + 1..).unwrap_or_default(),
            ),
            None => (line, &[][..]),
        };
        let verb = verb.to_ascii_uppercase();
        let arg = String::from_utf8_lossy(arg);
        let arg = arg.trim();
        match verb.as_slice() {
            b"EHLO" => self.hello(arg, true),
            b"HELO" => self.hello(arg, false),
            b"MAIL" => self.mail(arg),
            b"RCPT" => self.rcpt(arg),
            b"DATA" => self.data(),
            b"AUTH" => self.auth(arg),
            b"RSET" => {
                self.reset();
                self.reply("250 OK")
            }
            b"NOOP" => self.reply("250 OK"),
            b"VRFY" => self.reply("252 cannot VRFY user, but will accept message"),
            b"HELP" => {
                self.reply("214 commands: EHLO HELO AUTH MAIL RCPT DATA RSET NOOP VRFY HELP QUIT")
            }
            b"QUIT" => {
                let bye = format!("221 {} closing connection", self.host());
                let _ = self.reply(&bye);
                Flow::Close
            }
            _ => self.error("502 command not recognized"),
        }
    }

    fn reset(&mut self) {
        self.from = None;
        self.to.clear();
    }

    fn hello(&mut self, arg: &str, extended: bool) -> Flow {
        if arg.is_empty() {
            return self.error("501 syntax: EHLO domain");
        }
        self.reset();
        self.greeted = Some(extended);
        let host = self.host().to_string();
        if !extended {
            return self.reply(&format!("250 {host}"));
        }
        let max = self.shared.config.max_message_bytes;
        self.reply(&format!(
            "250-{host}\r\n250-8BITMIME\r\n250-SIZE {max}\r\n250-AUTH PLAIN LOGIN\r\n\
             250-SMTPUTF8\r\n250 PIPELINING"
        ))
    }

    fn mail(&mut self, arg: &str) -> Flow {
        if self.greeted.is_none() {
            return self.error("503 send EHLO or HELO first");
        }
        if self.from.is_some() {
            return self.error("503 nested MAIL command");
        }
        let Some((addr, params)) = parse_path(arg, "FROM:") else {
            return self.error("501 syntax: MAIL FROM:<address>");
        };
        let max = self.shared.config.max_message_bytes;
        let declared = params.split_ascii_whitespace().find_map(|p| {
            let (key, value) = p.split_once('=')?;
            key.eq_ignore_ascii_case("SIZE")
                .then(|| value.parse::<u64>().ok())?
        });
        if declared.is_some_and(|size| size > u64::try_from(max).unwrap_or(u64::MAX)) {
            return self.reply(&format!(
                "552 message size exceeds the limit of {max} bytes"
            ));
        }
        self.from = Some(addr.to_string());
        self.reply("250 OK")
    }

    fn rcpt(&mut self, arg: &str) -> Flow {
        if self.from.is_none() {
            return self.error("503 need MAIL before RCPT");
        }
        let Some((addr, _)) = parse_path(arg, "TO:") else {
            return self.error("501 syntax: RCPT TO:<address>");
        };
        if addr.is_empty() {
            return self.error("501 empty recipient address");
        }
        if self.to.len() >= MAX_RECIPIENTS {
            return self.reply("452 too many recipients");
        }
        self.to.push(addr.to_string());
        self.reply("250 OK")
    }

    fn data(&mut self) -> Flow {
        if self.from.is_none() {
            return self.error("503 need MAIL before DATA");
        }
        if self.to.is_empty() {
            return self.error("503 need RCPT before DATA");
        }
        if self.reply("354 end data with <CR><LF>.<CR><LF>") == Flow::Close {
            return Flow::Close;
        }
        let max = self.shared.config.max_message_bytes;
        let mut data = Vec::new();
        let mut size = 0usize;
        let mut long_line = false;
        loop {
            match self.read_line(MAX_DATA_LINE) {
                Input::Line(line) if line == b"." => break,
                Input::Line(line) => {
                    let content = line.strip_prefix(b".").unwrap_or(&line);
                    size = size.saturating_add(content.len() + 2);
                    if size <= max {
                        data.extend_from_slice(content);
                        data.extend_from_slice(b"\r\n");
                    } else if !data.is_empty() {
                        data = Vec::new();
                    }
                }
                Input::TooLong(len) => {
                    long_line = true;
                    size = size.saturating_add(len);
                    data = Vec::new();
                }
                other => return self.lost(other),
            }
        }
        let from = self.from.take().unwrap_or_default();
        let to = std::mem::take(&mut self.to);
        if size > max {
            return self.reply(&format!("552 message exceeds the limit of {max} bytes"));
        }
        if long_line {
            return self.reply(&format!(
                "500 message has a line over {MAX_DATA_LINE} bytes"
            ));
        }
        let id = self.shared.next_id.fetch_add(1, Ordering::SeqCst);
        let mail = ReceivedMail {
            id,
            from,
            to,
            auth_user: self.auth_user.clone(),
            data,
            peer: self.peer,
            received_at: jiff::Timestamp::now(),
        };
        match self.tx.send(mail) {
            Ok(()) => self.reply(&format!("250 OK: queued as {id}")),
            Err(_) => self.reply("451 shutting down, message not queued"),
        }
    }

    fn auth(&mut self, arg: &str) -> Flow {
        if self.greeted != Some(true) {
            return self.error("503 send EHLO first");
        }
        if self.auth_user.is_some() {
            return self.error("503 already authenticated");
        }
        if self.from.is_some() {
            return self.error("503 AUTH not allowed during a mail transaction");
        }
        let (mechanism, initial) = match arg.split_once(' ') {
            Some((m, i)) => (m, Some(i.trim().to_string())),
            None => (arg, None),
        };
        let user = if mechanism.eq_ignore_ascii_case("PLAIN") {
            let response = match initial {
                Some(r) => r,
                None => match self.auth_response("334 ") {
                    Ok(r) => r,
                    Err(flow) => return flow,
                },
            };
            match decode_plain(&response) {
                Some(user) => user,
                None => return self.error("501 malformed AUTH PLAIN response"),
            }
        } else if mechanism.eq_ignore_ascii_case("LOGIN") {
            let user = match initial {
                Some(r) => r,
                // "Username:" and "Password:" in base64.
                None => match self.auth_response("334 VXNlcm5hbWU6") {
                    Ok(r) => r,
                    Err(flow) => return flow,
                },
            };
            let Some(user) = decode_base64_text(&user) else {
                return self.error("501 malformed AUTH LOGIN user name");
            };
            let password = match self.auth_response("334 UGFzc3dvcmQ6") {
                Ok(r) => r,
                Err(flow) => return flow,
            };
            if decode_base64_text(&password).is_none() {
                return self.error("501 malformed AUTH LOGIN password");
            }
            user
        } else {
            return self.error("504 unrecognized authentication type");
        };
        self.auth_user = Some(user);
        self.reply("235 authentication successful")
    }

    /// Sends a 334 challenge and reads the client's answer; `Err` holds how
    /// the session goes on when there is no usable answer (cancelled, too
    /// long, connection lost).
    fn auth_response(&mut self, challenge: &str) -> Result<String, Flow> {
        if self.reply(challenge) == Flow::Close {
            return Err(Flow::Close);
        }
        match self.read_line(MAX_COMMAND_LINE) {
            Input::Line(line) if line == b"*" => Err(self.error("501 authentication cancelled")),
            Input::Line(line) => Ok(String::from_utf8_lossy(&line).trim().to_string()),
            Input::TooLong(_) => Err(self.error("500 line too long")),
            other => Err(self.lost(other)),
        }
    }
}

/// Splits `FROM:<addr> params` (or `TO:`) into the address and the
/// parameters; lenient about spaces, missing brackets and source routes.
fn parse_path<'s>(arg: &'s str, keyword: &str) -> Option<(&'s str, &'s str)> {
    let head = arg.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = arg.get(keyword.len()..)?.trim_start();
    let (path, params) = match rest.strip_prefix('<') {
        Some(inner) => inner.split_once('>')?,
        None => rest.split_once(' ').unwrap_or((rest, "")),
    };
    // "@relay1,@relay2:user@host" (RFC 5321 source route): keep the mailbox.
    let path = match path.strip_prefix('@') {
        Some(route) => route.split_once(':').map_or(path, |(_, mailbox)| mailbox),
        None => path,
    };
    Some((path.trim(), params.trim()))
}

/// AUTH PLAIN: base64 of `authzid NUL authcid NUL password`; returns authcid.
fn decode_plain(response: &str) -> Option<String> {
    let bytes = mail_parser::decoders::base64::base64_decode(response.as_bytes())?;
    let mut fields = bytes.split(|&b| b == 0);
    let (_authzid, user, _password) = (fields.next()?, fields.next()?, fields.next()?);
    if fields.next().is_some() || user.is_empty() {
        return None;
    }
    Some(String::from_utf8_lossy(user).into_owned())
}

fn decode_base64_text(response: &str) -> Option<String> {
    let bytes = mail_parser::decoders::base64::base64_decode(response.as_bytes())?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};

    const WAIT: Duration = Duration::from_secs(10);

    struct Server {
        addr: SocketAddr,
        shutdown: SinkShutdown,
        mails: mpsc::Receiver<ReceivedMail>,
        handle: Option<thread::JoinHandle<Result<(), SinkError>>>,
    }

    impl Server {
        fn start(config: SinkConfig) -> Server {
            let sink = SmtpSink::bind("127.0.0.1:0".parse().unwrap(), config).unwrap();
            let addr = sink.local_addr();
            let shutdown = sink.shutdown_handle();
            let (tx, mails) = mpsc::channel();
            let handle = sink
                .spawn(move |mail| {
                    let _ = tx.send(mail);
                })
                .unwrap();
            Server {
                addr,
                shutdown,
                mails,
                handle: Some(handle),
            }
        }

        fn next_mail(&self) -> ReceivedMail {
            self.mails.recv_timeout(WAIT).expect("a mail was delivered")
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            self.shutdown.trigger();
            if let Some(handle) = self.handle.take() {
                let _ = handle.join();
            }
        }
    }

    struct Client {
        writer: TcpStream,
        reader: BufReader<TcpStream>,
    }

    impl Client {
        /// Connects and returns the client with the greeting.
        fn connect(addr: SocketAddr) -> (Client, String) {
            let stream = TcpStream::connect(addr).unwrap();
            stream.set_read_timeout(Some(WAIT)).unwrap();
            let mut client = Client {
                writer: stream.try_clone().unwrap(),
                reader: BufReader::new(stream),
            };
            let greeting = client.reply();
            (client, greeting)
        }

        fn send(&mut self, bytes: &[u8]) {
            self.writer.write_all(bytes).unwrap();
        }

        /// Reads one whole reply (all lines of a multi-line one).
        fn reply(&mut self) -> String {
            let mut all = String::new();
            loop {
                let mut line = String::new();
                let n = self.reader.read_line(&mut line).unwrap();
                assert!(
                    n > 0,
                    "connection closed while waiting for a reply (got {all:?})"
                );
                all.push_str(&line);
                if line.as_bytes().get(3) != Some(&b'-') {
                    return all;
                }
            }
        }

        fn cmd(&mut self, line: &str) -> String {
            self.send(format!("{line}\r\n").as_bytes());
            self.reply()
        }

        /// Whether the server closed the connection (EOF on read).
        fn closed(&mut self) -> bool {
            let mut rest = Vec::new();
            self.reader.read_to_end(&mut rest).is_ok() && rest.is_empty()
        }
    }

    const MULTIPART: &str = "From: LogSentinel <alerts@example.com>\r\n\
        To: ops@example.com\r\n\
        Subject: =?UTF-8?Q?Alert=3A_brute_force_=E2=80=93_caf=C3=A9?=\r\n\
        Date: Mon, 3 Jun 2024 10:00:00 +0000\r\n\
        Message-ID: <abc.123@example.com>\r\n\
        X-LogSentinel-Severity: high\r\n\
        Received: from nowhere\r\n\
        MIME-Version: 1.0\r\n\
        Content-Type: multipart/alternative; boundary=\"b1\"\r\n\
        \r\n\
        --b1\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\
        Content-Transfer-Encoding: quoted-printable\r\n\
        \r\n\
        Failed logins from 203.0.113.9: 42 =3D too many, caf=C3=A9 and a very lo=\r\n\
        ng line.\r\n\
        ..hidden dot line\r\n\
        --b1\r\n\
        Content-Type: text/html; charset=utf-8\r\n\
        \r\n\
        <p>User-Agent: &lt;script&gt;alert(1)&lt;/script&gt;</p>\r\n\
        --b1--\r\n";

    #[test]
    fn full_session_delivers_and_decodes_a_multipart_mail() {
        let server = Server::start(SinkConfig::default());
        let (mut c, greeting) = Client::connect(server.addr);
        assert_eq!(
            greeting,
            "220 logsentinel-sink LogSentinel smtp-sink ESMTP\r\n"
        );
        let ehlo = c.cmd("EHLO client.example");
        for ext in [
            "250-8BITMIME",
            "SIZE 10485760",
            "AUTH PLAIN LOGIN",
            "SMTPUTF8",
            "250 PIPELINING",
        ] {
            assert!(ehlo.contains(ext), "{ext} missing in {ehlo:?}");
        }
        assert!(!ehlo.contains("STARTTLS"));
        assert!(c.cmd("AUTH PLAIN AGFsaWNlAHNlY3JldA==").starts_with("235 "));
        assert!(
            c.cmd("MAIL FROM:<alerts@example.com> SIZE=2000 BODY=8BITMIME")
                .starts_with("250 ")
        );
        assert!(c.cmd("RCPT TO:<ops@example.com>").starts_with("250 "));
        assert!(
            c.cmd("RCPT TO:<@relay.example:soc@example.com>")
                .starts_with("250 ")
        );
        assert!(c.cmd("DATA").starts_with("354 "));
        c.send(MULTIPART.as_bytes());
        assert_eq!(c.cmd("."), "250 OK: queued as 1\r\n");
        assert!(c.cmd("QUIT").starts_with("221 "));
        assert!(c.closed());

        let mail = server.next_mail();
        assert_eq!(mail.id, 1);
        assert_eq!(mail.from, "alerts@example.com");
        assert_eq!(mail.to, ["ops@example.com", "soc@example.com"]);
        assert_eq!(mail.auth_user.as_deref(), Some("alice"));
        assert_eq!(mail.peer.ip(), server.addr.ip());
        let expected = MULTIPART.replace("..hidden", ".hidden");
        assert_eq!(String::from_utf8(mail.data.clone()).unwrap(), expected);

        let parsed = mail.parsed();
        assert_eq!(parsed.subject.as_deref(), Some("Alert: brute force – café"));
        let text = parsed.text.unwrap();
        assert!(
            text.contains("42 = too many, café and a very long line."),
            "{text:?}"
        );
        assert!(text.contains("\n.hidden dot line"), "{text:?}");
        assert!(parsed.html.unwrap().contains("&lt;script&gt;"));
        let header = |name: &str| {
            parsed
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("From"), Some("LogSentinel <alerts@example.com>"));
        assert_eq!(header("Message-ID"), Some("<abc.123@example.com>"));
        assert_eq!(header("X-LogSentinel-Severity"), Some("high"));
        assert_eq!(
            parsed.headers.first().map(|(n, _)| n.as_str()),
            Some("From")
        );

        let shown = mail.display();
        assert!(shown.starts_with(&"=".repeat(RULE_WIDTH)));
        assert!(shown.contains("Envelope-To:   ops@example.com, soc@example.com"));
        assert!(shown.contains("Subject: Alert: brute force – café\n"));
        assert!(shown.contains("X-LogSentinel-Severity: high\n"));
        assert!(!shown.contains("Received: from nowhere"), "{shown}");
        assert!(!shown.contains("<p>"), "HTML only with render(true)");
        assert!(mail.render(true).contains("<p>User-Agent"));
    }

    #[test]
    fn pipelined_lowercase_commands_get_one_reply_each() {
        let server = Server::start(SinkConfig::default());
        let (mut c, _) = Client::connect(server.addr);
        c.send(
            b"ehlo x\r\nmail from:<a@example.com>\r\nrcpt to: <b@example.com>\r\n\
              rcpt to:c@example.com\r\ndata\r\n",
        );
        assert!(c.reply().ends_with("250 PIPELINING\r\n"));
        assert_eq!(c.reply(), "250 OK\r\n");
        assert_eq!(c.reply(), "250 OK\r\n");
        assert_eq!(c.reply(), "250 OK\r\n");
        assert!(c.reply().starts_with("354 "));
        // Bare LF line endings are accepted and stored as CRLF.
        c.send(b"Subject: one\n\nbody\n.\nMAIL FROM:<>\r\nRCPT TO:<d@example.com>\r\nDATA\r\n");
        assert_eq!(c.reply(), "250 OK: queued as 1\r\n");
        assert_eq!(c.reply(), "250 OK\r\n");
        assert_eq!(c.reply(), "250 OK\r\n");
        assert!(c.reply().starts_with("354 "));
        c.send(b"Subject: two\r\n\r\nsecond\r\n.\r\nRSET\r\nNOOP\r\nVRFY x\r\nQUIT\r\n");
        assert_eq!(c.reply(), "250 OK: queued as 2\r\n");
        assert_eq!(c.reply(), "250 OK\r\n");
        assert_eq!(c.reply(), "250 OK\r\n");
        assert!(c.reply().starts_with("252 "));
        assert!(c.reply().starts_with("221 "));

        let first = server.next_mail();
        assert_eq!(first.to, ["b@example.com", "c@example.com"]);
        assert_eq!(first.data, b"Subject: one\r\n\r\nbody\r\n");
        assert_eq!(first.parsed().text.as_deref(), Some("body\r\n"));
        let second = server.next_mail();
        assert_eq!(second.from, "");
        assert_eq!(second.parsed().subject.as_deref(), Some("two"));
        assert!(second.display().contains("Envelope-From: <>"));
    }

    #[test]
    fn lines_split_across_reads_or_batched_are_read_whole() {
        let server = Server::start(SinkConfig::default());
        let (mut c, _) = Client::connect(server.addr);
        for piece in [&b"EH"[..], b"LO x\r", b"\nNO", b"OP\r\n"] {
            c.send(piece);
            thread::sleep(Duration::from_millis(30));
        }
        assert!(c.reply().ends_with("250 PIPELINING\r\n"));
        assert_eq!(c.reply(), "250 OK\r\n");
        c.send("NOOP\r\n".repeat(5000).as_bytes());
        for _ in 0..5000 {
            assert_eq!(c.reply(), "250 OK\r\n");
        }
    }

    #[test]
    fn bad_sequences_and_unknown_commands_are_refused() {
        let server = Server::start(SinkConfig::default());
        let (mut c, _) = Client::connect(server.addr);
        assert!(c.cmd("MAIL FROM:<a@example.com>").starts_with("503 "));
        assert!(c.cmd("HELO").starts_with("501 "));
        assert!(c.cmd("HELO x").starts_with("250 "));
        assert!(
            c.cmd("AUTH PLAIN AGFsaWNlAHNlY3JldA==").starts_with("503 "),
            "AUTH needs EHLO"
        );
        assert!(c.cmd("RCPT TO:<a@example.com>").starts_with("503 "));
        assert!(c.cmd("DATA").starts_with("503 "));
        assert!(c.cmd("MAIL TO:<a@example.com>").starts_with("501 "));
        assert!(c.cmd("MAIL FROM:<a@example.com>").starts_with("250 "));
        assert!(c.cmd("MAIL FROM:<a@example.com>").starts_with("503 "));
        assert!(c.cmd("DATA").starts_with("503 "));
        assert!(c.cmd("RCPT TO:<>").starts_with("501 "));
        assert!(c.cmd("STARTTLS").starts_with("502 "));
        assert!(c.cmd("EXPN staff").starts_with("502 "));
        assert!(c.cmd("RSET").starts_with("250 "));
        assert!(c.cmd("HELP").starts_with("214 "));
        assert!(c.cmd("QUIT").starts_with("221 "));
    }

    #[test]
    fn too_many_recipients_are_refused() {
        let server = Server::start(SinkConfig::default());
        let (mut c, _) = Client::connect(server.addr);
        c.cmd("EHLO x");
        c.cmd("MAIL FROM:<a@example.com>");
        for n in 0..MAX_RECIPIENTS {
            assert!(
                c.cmd(&format!("RCPT TO:<r{n}@example.com>"))
                    .starts_with("250 ")
            );
        }
        assert!(c.cmd("RCPT TO:<extra@example.com>").starts_with("452 "));
        c.cmd("DATA");
        assert!(c.cmd("Subject: many\r\n\r\nx\r\n.").starts_with("250 "));
        assert_eq!(server.next_mail().to.len(), MAX_RECIPIENTS);
    }

    #[test]
    fn auth_mechanisms_accept_any_credentials() {
        let server = Server::start(SinkConfig::default());
        let (mut c, _) = Client::connect(server.addr);
        c.cmd("EHLO x");
        assert!(c.cmd("AUTH CRAM-MD5").starts_with("504 "));
        assert_eq!(c.cmd("AUTH LOGIN"), "334 VXNlcm5hbWU6\r\n");
        assert!(c.cmd("not base64!").starts_with("501 "));
        assert_eq!(c.cmd("AUTH LOGIN"), "334 VXNlcm5hbWU6\r\n");
        assert_eq!(c.cmd("Ym9i"), "334 UGFzc3dvcmQ6\r\n");
        assert!(c.cmd("cHc=").starts_with("235 "));
        assert!(
            c.cmd("AUTH LOGIN").starts_with("503 "),
            "already authenticated"
        );
        c.cmd("MAIL FROM:<bob@example.com>");
        c.cmd("RCPT TO:<x@example.com>");
        c.cmd("DATA");
        c.cmd("Subject: s\r\n\r\nt\r\n.");
        assert_eq!(server.next_mail().auth_user.as_deref(), Some("bob"));

        // PLAIN after an empty challenge, and a cancelled exchange.
        let (mut c, _) = Client::connect(server.addr);
        c.cmd("EHLO x");
        assert_eq!(c.cmd("AUTH PLAIN"), "334 \r\n");
        assert!(c.cmd("*").starts_with("501 "));
        assert_eq!(c.cmd("auth plain"), "334 \r\n");
        assert!(c.cmd("AGNhcm9sAHg=").starts_with("235 "));
        // LOGIN with the user name as initial response.
        let (mut c, _) = Client::connect(server.addr);
        c.cmd("EHLO x");
        assert_eq!(c.cmd("AUTH LOGIN Ym9i"), "334 UGFzc3dvcmQ6\r\n");
        assert!(c.cmd("cHc=").starts_with("235 "));
    }

    #[test]
    fn oversized_message_is_refused_and_the_next_one_works() {
        let server = Server::start(SinkConfig {
            max_message_bytes: 1000,
            ..SinkConfig::default()
        });
        let (mut c, _) = Client::connect(server.addr);
        assert!(c.cmd("EHLO x").contains("SIZE 1000"));
        c.cmd("MAIL FROM:<a@example.com>");
        c.cmd("RCPT TO:<b@example.com>");
        assert!(c.cmd("DATA").starts_with("354 "));
        c.send(b"Subject: big\r\n\r\n");
        for _ in 0..30 {
            c.send(&[b'x'; 100]);
            c.send(b"\r\n");
        }
        assert!(c.cmd(".").starts_with("552 "));
        assert!(
            c.cmd("MAIL FROM:<a@example.com> SIZE=5000")
                .starts_with("552 ")
        );
        assert!(
            c.cmd("MAIL FROM:<a@example.com> SIZE=900")
                .starts_with("250 ")
        );
        c.cmd("RCPT TO:<b@example.com>");
        assert!(c.cmd("DATA").starts_with("354 "));
        assert_eq!(
            c.cmd("Subject: small\r\n\r\nfits\r\n."),
            "250 OK: queued as 1\r\n"
        );
        let mail = server.next_mail();
        assert_eq!(mail.parsed().subject.as_deref(), Some("small"));
        assert!(
            server
                .mails
                .recv_timeout(Duration::from_millis(200))
                .is_err()
        );
    }

    #[test]
    fn junk_does_not_stop_the_server() {
        let server = Server::start(SinkConfig::default());
        let (mut bystander, _) = Client::connect(server.addr);
        let (mut c, _) = Client::connect(server.addr);
        c.send(b"\xff\xfe\x00\x01 \x1b[2J\r\n");
        assert!(c.reply().starts_with("502 "));
        c.send(b"\0\0\0\0\n");
        assert!(c.reply().starts_with("502 "));
        c.send(&vec![b'A'; 1 << 20]);
        c.send(b"\r\n");
        assert!(c.reply().starts_with("500 "));
        assert!(c.cmd("NOOP").starts_with("250 "));
        // Junk inside a message is stored and shown escaped.
        c.cmd("EHLO x");
        c.cmd("MAIL FROM:<\x1b[31mevil@example.com>");
        c.cmd("RCPT TO:<a@example.com>");
        c.cmd("DATA");
        c.send(b"Subject: \x1b]0;pwned\x07 \xff\r\nX-Evil: \x1b[2J\r\n\r\n\x00\x1b[31mred\xc3\r\n");
        assert!(c.cmd(".").starts_with("250 "));
        let mail = server.next_mail();
        assert!(mail.data.starts_with(b"Subject: \x1b]0;pwned\x07"));
        let shown = mail.display();
        assert!(!shown.contains(['\x1b', '\x07', '\0']), "{shown:?}");
        assert!(
            shown.contains("Envelope-From: \\x1b[31mevil@example.com"),
            "{shown}"
        );
        assert!(shown.contains("\\x1b[31mred"), "{shown}");
        assert!(shown.contains("X-Evil: \\x1b[2J"), "{shown}");

        // A message with a line over MAX_DATA_LINE is refused, not stored.
        c.cmd("MAIL FROM:<a@example.com>");
        c.cmd("RCPT TO:<a@example.com>");
        c.cmd("DATA");
        c.send(&vec![b'B'; MAX_DATA_LINE + 10]);
        c.send(b"\r\n");
        assert!(c.cmd(".").starts_with("500 "));

        // The other connection was served all along.
        assert!(bystander.cmd("EHLO y").starts_with("250-"));
        assert!(bystander.cmd("QUIT").starts_with("221 "));
        let (mut late, greeting) = Client::connect(server.addr);
        assert!(greeting.starts_with("220 "));
        assert!(late.cmd("NOOP").starts_with("250 "));
    }

    #[test]
    fn too_many_errors_close_the_connection() {
        let server = Server::start(SinkConfig::default());
        let (mut c, _) = Client::connect(server.addr);
        for _ in 1..MAX_ERRORS {
            assert!(c.cmd("BOGUS").starts_with("502 "));
        }
        assert!(c.cmd("BOGUS").starts_with("421 "));
        assert!(c.closed());
    }

    #[test]
    fn idle_connections_are_closed() {
        let server = Server::start(SinkConfig {
            idle_timeout: Duration::from_millis(300),
            ..SinkConfig::default()
        });
        let (mut c, _) = Client::connect(server.addr);
        let started = Instant::now();
        assert!(c.reply().starts_with("421 "));
        assert!(started.elapsed() >= Duration::from_millis(250));
        assert!(c.closed());
    }

    #[test]
    fn connections_over_the_limit_are_turned_away() {
        let server = Server::start(SinkConfig {
            max_connections: 1,
            ..SinkConfig::default()
        });
        let (mut first, _) = Client::connect(server.addr);
        let (_, greeting) = Client::connect(server.addr);
        assert!(greeting.starts_with("421 "), "{greeting}");
        assert!(first.cmd("QUIT").starts_with("221 "));
        // The slot comes back once the first connection's thread is done.
        let deadline = Instant::now() + WAIT;
        loop {
            let (_, greeting) = Client::connect(server.addr);
            if greeting.starts_with("220 ") {
                break;
            }
            assert!(Instant::now() < deadline, "slot never freed");
            thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn shutdown_makes_run_return_promptly() {
        let mut server = Server::start(SinkConfig::default());
        let (mut idle, _) = Client::connect(server.addr);
        assert!(idle.cmd("EHLO x").starts_with("250"));
        let started = Instant::now();
        server.shutdown.trigger();
        let result = server.handle.take().unwrap().join().unwrap();
        assert!(result.is_ok());
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        assert!(idle.reply().starts_with("421 "));
        assert!(TcpStream::connect(server.addr).is_err(), "listener closed");
    }

    #[test]
    fn bind_error_names_the_address() {
        let server = Server::start(SinkConfig::default());
        let err = SmtpSink::bind(server.addr, SinkConfig::default()).unwrap_err();
        assert!(matches!(err, SinkError::Bind { .. }));
        assert!(err.to_string().contains(&server.addr.to_string()), "{err}");
    }

    fn mail_with(data: &[u8]) -> ReceivedMail {
        ReceivedMail {
            id: 7,
            from: "a@example.com".to_string(),
            to: vec!["b@example.com".to_string()],
            auth_user: None,
            data: data.to_vec(),
            peer: "127.0.0.1:2525".parse().unwrap(),
            received_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn display_escapes_control_characters() {
        let mail = mail_with(
            b"From: x@example.com\r\nSubject: hi \x1b[31mthere\r\nX-Trick: a\xe2\x80\xaeb\r\n\
              Content-Type: text/html\r\n\r\n<b>\x1b]0;title\x07</b>\r\n",
        );
        let shown = mail.display();
        assert!(shown.contains("Subject: hi \\x1b[31mthere\n"), "{shown}");
        assert!(shown.contains("X-Trick: a\\u{202e}b\n"), "{shown}");
        assert!(
            shown.contains("(no text/plain part)\n(HTML part: "),
            "{shown}"
        );
        assert!(!shown.contains(['\x1b', '\x07', '\r', '\u{202e}']));
        let full = mail.render(true);
        assert!(full.contains("<b>\\x1b]0;title\\x07</b>\n"), "{full}");
        assert!(full.contains("Received:      1970-01-01T00:00:00.000Z (queued as 7, "));
    }

    #[test]
    fn parsed_survives_junk() {
        assert_eq!(mail_with(b"").parsed(), ParsedMail::default());
        let no_headers = mail_with(b"\r\n\r\njust text\r\n").parsed();
        assert!(no_headers.headers.is_empty());
        let encoded = mail_with(
            b"From: =?UTF-8?B?SsO2cmc=?= <j@example.com>\r\nSubject: =?bogus?X?zz?=\r\n\r\nx",
        )
        .parsed();
        assert_eq!(encoded.headers.first().unwrap().1, "Jörg <j@example.com>");
        let samples: [&[u8]; 6] = [
            b"Content-Type: multipart/mixed; boundary=\"\r\n\r\n--\r\n--\r\n",
            b"Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\nContent-Type: message/rfc822\r\n\r\n--z--",
            b"Content-Transfer-Encoding: base64\r\n\r\n!!!!====\x00\xff",
            b"Content-Type: text/plain; charset=\"\xff\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ=\r\n=",
            b":\r\n:\r\n\r\n",
            b"Subject: =?utf-8?q?=FF=FE?=\r\n\r\n",
        ];
        for sample in samples {
            let _ = mail_with(sample).parsed();
            let _ = mail_with(sample).display();
        }
        // Deeply nested multiparts and pseudo-random bytes.
        let mut nested = Vec::new();
        for n in 0..200 {
            nested.extend_from_slice(
                format!("Content-Type: multipart/mixed; boundary=b{n}\r\n\r\n--b{n}\r\n")
                    .as_bytes(),
            );
        }
        let _ = mail_with(&nested).display();
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..300 {
            let mut bytes = Vec::new();
            for _ in 0..(state % 600) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let choices = b"\r\n:;=?-\"<>\x00\x1bContent-Type:multipart/boundary=QBbase64";
                bytes.push(*choices.get((state % 64) as usize).unwrap_or(&(state as u8)));
            }
            let _ = mail_with(&bytes).display();
        }
    }
}
