//! `genai serve`: the offline Workers AI emulator on a local address, until a signal.

use clap::Args;
use genai_core::{Error, Result};
use genai_testkit::emulator::{Emulator, EmulatorConfig, DEFAULT_TOKEN};

/// A bearer token: not empty, not blank.
fn non_blank(s: &str) -> std::result::Result<String, String> {
    if s.trim().is_empty() {
        Err("must not be empty".to_owned())
    } else {
        Ok(s.to_owned())
    }
}

/// Flags of `genai serve`.
#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// Address to listen on, IP:PORT or HOST:PORT; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8787")]
    addr: String,
    /// Bearer token the emulator accepts (not empty).
    #[arg(long, default_value = DEFAULT_TOKEN, value_parser = non_blank)]
    token: String,
    /// Emulate a Workers Free plan account: models that need the Workers Paid plan answer
    /// 403 with code 5035.
    #[arg(long)]
    free_plan: bool,
}

/// Binds the first address `addr` resolves to that accepts a listener.
fn start_emulator(addr: &str, token: &str, free_plan: bool) -> Result<Emulator> {
    use std::net::ToSocketAddrs as _;
    let candidates: Vec<std::net::SocketAddr> = addr
        .to_socket_addrs()
        .map_err(|e| Error::config(format!("cannot resolve --addr {addr}: {e}")))?
        .collect();
    let mut last = None;
    for candidate in candidates {
        let mut config = EmulatorConfig::default().token(token).address(candidate);
        if free_plan {
            config = config.free_plan();
        }
        match Emulator::start(config) {
            Ok(emulator) => return Ok(emulator),
            Err(e) => last = Some(format!("{candidate}: {e}")),
        }
    }
    Err(Error::config(format!(
        "cannot serve on {addr}: {}",
        last.unwrap_or_else(|| "it resolves to no address".to_owned())
    )))
}

pub(crate) async fn serve(args: ServeArgs) -> Result<()> {
    let emulator = start_emulator(&args.addr, &args.token, args.free_plan)?;
    // The token is a credential: never on stdout (which scripts capture and log). The
    // default one is not a secret, so stderr names it.
    crate::emit_line(&format!(
        "Workers AI emulator on {} (Ctrl-C stops it)",
        emulator.base_url()
    ));
    if args.token == DEFAULT_TOKEN {
        eprintln!("accepting the default token {DEFAULT_TOKEN:?} (set another with --token)");
    } else {
        eprintln!("accepting the token given with --token");
    }
    crate::stop_signal().await;
    drop(emulator);
    Ok(())
}
