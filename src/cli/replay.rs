//! `keygen` and `replay`: sign webhook samples with a local test key and post them to a server,
//! the way Telnyx would (SPEC §7).

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use clap::Args;
use ed25519_dalek::SigningKey;

use super::CliError;
use crate::telnyx::signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};

/// Default key file for `keygen --out` and `replay`.
pub(crate) const DEFAULT_KEY_FILE: &str = "telnyx-test-key";

/// Arguments of `keygen`.
#[derive(Debug, Args)]
pub(crate) struct KeygenArgs {
    /// Also write the private key to this file (for `replay --key-file`)
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
}

/// Arguments of `replay`.
#[derive(Debug, Args)]
pub(crate) struct ReplayArgs {
    /// Webhook URL of the server
    #[arg(long, default_value = "http://127.0.0.1:8080/webhooks/telnyx")]
    url: String,
    /// File with the private test key (from `keygen --out`)
    #[arg(long, value_name = "PATH", default_value = DEFAULT_KEY_FILE)]
    key_file: PathBuf,
    /// Post each file this many times at once (a redelivery storm)
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    times: u32,
    /// Sample files, or directories of *.json files (posted in name order)
    #[arg(required = true, value_name = "FILE|DIR")]
    paths: Vec<PathBuf>,
}

/// Reads a key file: base64 of a 32-byte seed (or of a 64-byte seed‖public key).
pub(crate) fn read_signing_key(path: &Path) -> Result<SigningKey, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::Usage(format!(
            "cannot read key file {}: {e} (create one with `appointment-setter keygen --out {}`)",
            path.display(),
            path.display()
        ))
    })?;
    let line = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')).unwrap_or_default();
    let bytes =
        STANDARD.decode(line).map_err(|_| CliError::Usage(format!("{}: the key is not base64", path.display())))?;
    let seed: [u8; 32] =
        bytes.get(..32).filter(|_| bytes.len() == 32 || bytes.len() == 64).and_then(|s| s.try_into().ok()).ok_or_else(
            || CliError::Usage(format!("{}: expected a 32-byte key, got {} bytes", path.display(), bytes.len())),
        )?;
    Ok(SigningKey::from_bytes(&seed))
}

pub(super) fn keygen(args: KeygenArgs) -> Result<(), CliError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| CliError::Failed(anyhow::anyhow!("no randomness: {e}")))?;
    let key = SigningKey::from_bytes(&seed);
    let public = STANDARD.encode(key.verifying_key().to_bytes());
    let private = STANDARD.encode(seed);
    if let Some(path) = &args.out {
        write_private(path, &private)?;
        println!("# private test key written to {}", path.display());
    } else {
        println!("# private test key (keep it in a file for `replay --key-file`):\n{private}");
    }
    println!("# start the server with this public key (test use only, never production):\nTELNYX_PUBLIC_KEY={public}");
    Ok(())
}

fn write_private(path: &Path, private: &str) -> Result<(), CliError> {
    let text = format!("# appointment-setter local test key (replay only; never a production key)\n{private}\n");
    std::fs::write(path, text).map_err(|e| CliError::Usage(format!("cannot write {}: {e}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(())
}

fn sample_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            found.sort();
            files.extend(found);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            return Err(CliError::Usage(format!("{}: no such file or directory", path.display())));
        }
    }
    if files.is_empty() {
        return Err(CliError::Usage("no .json files to replay".into()));
    }
    Ok(files)
}

/// The reason in a server's error body (`{"error": code, "message": text}`, SPEC §10), or what
/// the body starts with when it is not one.
fn server_reason(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        error: String,
        #[serde(default)]
        message: String,
    }
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) if e.message.is_empty() => e.error,
        Ok(e) => format!("{}: {}", e.error, e.message),
        Err(_) => String::from_utf8_lossy(&body[..body.len().min(120)]).trim().to_string(),
    }
}

pub(super) async fn replay(args: ReplayArgs) -> Result<(), CliError> {
    let key = read_signing_key(&args.key_file)?;
    let files = sample_files(&args.paths)?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| CliError::Failed(anyhow::anyhow!("cannot build HTTP client: {e}")))?;
    let mut failures = 0;
    for file in files {
        let body = std::fs::read(&file).map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))?;
        let sends = (0..args.times).map(|_| {
            let timestamp = chrono::Utc::now().timestamp().to_string();
            let signature = sign(&key, &timestamp, &body);
            http.post(&args.url)
                .header("content-type", "application/json")
                .header(TIMESTAMP_HEADER, timestamp)
                .header(SIGNATURE_HEADER, signature)
                .body(body.clone())
                .send()
        });
        let mut statuses: Vec<String> = Vec::new();
        for sent in futures::future::join_all(sends).await {
            statuses.push(match sent {
                Ok(resp) if resp.status().is_success() => resp.status().as_u16().to_string(),
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    format!("{status} {}", server_reason(&resp.bytes().await.unwrap_or_default()))
                }
                Err(e) if e.is_connect() => "connection refused".to_string(),
                Err(e) => format!("error: {e}"),
            });
        }
        failures += statuses.iter().filter(|s| !s.starts_with('2')).count();
        statuses.sort();
        statuses.dedup_by(|a, b| a == b);
        let name = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
        println!(
            "{:<44} {}{}",
            name,
            statuses.join(", "),
            if args.times > 1 { format!(" (×{})", args.times) } else { String::new() }
        );
    }
    if failures > 0 {
        return Err(CliError::Failed(anyhow::anyhow!("{failures} request(s) were not accepted")));
    }
    Ok(())
}
