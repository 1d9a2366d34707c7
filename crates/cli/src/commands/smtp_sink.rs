//! `logsentinel smtp-sink`: a debug SMTP server that accepts every mail and
//! prints it (envelope, main headers, text part; or one JSON object per
//! line), for trying out email notifications without a real mail server.
//! Listens on loopback unless told otherwise; stops on SIGINT/SIGTERM or
//! after `--count` mails.

use std::io::{self, Write};
use std::net::{SocketAddr, ToSocketAddrs as _};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context, bail};
use logsentinel_notify::sink::{ReceivedMail, SinkConfig, SinkError, SinkShutdown, SmtpSink};

#[derive(Debug, clap::Args)]
pub struct SmtpSinkArgs {
    /// Address to listen on (loopback unless --allow-remote).
    #[arg(long, default_value = "127.0.0.1:2525", value_name = "HOST:PORT")]
    pub listen: String,
    /// Allow a non-loopback --listen address.
    #[arg(long)]
    pub allow_remote: bool,
    /// Also print the HTML part.
    #[arg(long)]
    pub html: bool,
    /// Print each mail as one JSON object per line ({"from","to","subject","headers","text","html","received_at"}) instead.
    #[arg(long)]
    pub json: bool,
    /// Exit after receiving this many mails.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
}

/// Serves until SIGINT/SIGTERM or `--count` mails, printing each mail.
pub fn run(args: &SmtpSinkArgs) -> anyhow::Result<()> {
    let addr = listen_addr(&args.listen, args.allow_remote)?;
    // The sink's messages already end with their cause: keep them one line.
    let sink = SmtpSink::bind(addr, SinkConfig::default()).map_err(one_line)?;
    let shutdown = sink.shutdown_handle();
    let signals = stop_on_signals(shutdown.clone())?;
    eprintln!("smtp-sink: listening on {}", sink.local_addr());

    let failure: Arc<Mutex<Option<io::Error>>> = Arc::new(Mutex::new(None));
    let on_mail = {
        let failure = Arc::clone(&failure);
        let (json, html, limit) = (args.json, args.html, args.count);
        let mut printed: u64 = 0;
        let mut broken = false;
        move |mail: ReceivedMail| {
            // Mails that arrive while stopping (after --count, or once stdout
            // failed) are not shown.
            if broken || limit.is_some_and(|n| printed >= n) {
                return;
            }
            printed += 1;
            if let Err(e) = print_mail(&mail, json, html) {
                failure
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .get_or_insert(e);
                broken = true;
                shutdown.trigger();
                return;
            }
            if limit.is_some_and(|n| printed >= n) {
                shutdown.trigger();
            }
        }
    };
    let served = sink.run(on_mail);
    signals.close();
    served.map_err(one_line)?;
    let failed = failure
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    match failed {
        Some(e) => Err(e).context("writing to standard output"),
        None => Ok(()),
    }
}

fn one_line(e: SinkError) -> anyhow::Error {
    anyhow::Error::msg(e.to_string())
}

/// Parses `HOST:PORT` (an IP address, or `localhost`) and refuses a
/// non-loopback address without `--allow-remote`.
fn listen_addr(listen: &str, allow_remote: bool) -> anyhow::Result<SocketAddr> {
    let addr = match listen.parse::<SocketAddr>() {
        Ok(addr) => addr,
        Err(_) => {
            let (host, port) = listen.rsplit_once(':').with_context(|| {
                format!("invalid --listen address {listen:?}: expected HOST:PORT, such as 127.0.0.1:2525")
            })?;
            if !host.eq_ignore_ascii_case("localhost") {
                bail!(
                    "invalid --listen address {listen:?}: expected an IP address and port, such as 127.0.0.1:2525 or [::1]:2525"
                );
            }
            // "localhost" is resolved from the hosts file, never by DNS.
            let port: u16 = port
                .parse()
                .with_context(|| format!("invalid port in --listen address {listen:?}"))?;
            ("localhost", port)
                .to_socket_addrs()
                .ok()
                .and_then(|mut addrs| addrs.find(|a| a.ip().is_loopback()))
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], port)))
        }
    };
    if !addr.ip().is_loopback() && !allow_remote {
        bail!(
            "refusing to listen on {addr}: not a loopback address, and anyone who can reach it could use the sink (add --allow-remote if that is intended)"
        );
    }
    Ok(addr)
}

/// SIGINT/SIGTERM stop the sink; a second one exits at once (status 130).
fn stop_on_signals(shutdown: SinkShutdown) -> anyhow::Result<signal_hook::iterator::Handle> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .context("cannot install signal handlers")?;
    let handle = signals.handle();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for _ in signals.forever() {
                if shutdown.is_triggered() {
                    std::process::exit(130);
                }
                shutdown.trigger();
            }
        })
        .context("cannot start the signal thread")?;
    Ok(handle)
}

/// Writes one mail to stdout (human text or a JSON line) and flushes.
fn print_mail(mail: &ReceivedMail, json: bool, html: bool) -> io::Result<()> {
    let mut out = io::stdout().lock();
    if json {
        let parsed = mail.parsed();
        let line = serde_json::json!({
            "from": mail.from,
            "to": mail.to,
            "subject": parsed.subject,
            "headers": parsed.headers,
            "text": parsed.text,
            "html": parsed.html,
            "received_at": mail.received_at.to_string(),
        });
        writeln!(out, "{line}")?;
    } else {
        out.write_all(mail.render(html).as_bytes())?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses() {
        assert_eq!(
            listen_addr("127.0.0.1:2525", false).unwrap(),
            "127.0.0.1:2525".parse::<SocketAddr>().unwrap()
        );
        assert!(listen_addr("[::1]:25", false).is_ok());
        assert!(
            listen_addr("localhost:2525", false)
                .unwrap()
                .ip()
                .is_loopback()
        );
        let remote = listen_addr("0.0.0.0:2525", false).unwrap_err().to_string();
        assert!(remote.contains("--allow-remote"), "{remote}");
        assert!(listen_addr("0.0.0.0:2525", true).is_ok());
        for bad in [
            "",
            "2525",
            "127.0.0.1",
            "mail.example.com:25",
            "localhost:99999",
            "1.2.3.4:x",
        ] {
            let err = listen_addr(bad, true).unwrap_err().to_string();
            assert!(
                err.contains("--listen") || err.contains("port"),
                "{bad}: {err}"
            );
        }
    }
}
