//! A minimal SMTP server on 127.0.0.1 that accepts every message and keeps its raw text.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A received message: envelope recipients and the raw DATA.
#[derive(Debug, Clone)]
pub struct Mail {
    pub rcpt: Vec<String>,
    pub data: String,
}

pub struct SmtpSink {
    pub url: String,
    pub mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let store = mails.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    write.write_all(b"220 sink ESMTP\r\n").await.ok();
                    let mut rcpt = Vec::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                            b"250-sink\r\n250 8BITMIME\r\n"
                        } else if upper.starts_with("RCPT TO:") {
                            rcpt.push(line[8..].trim().trim_matches(['<', '>']).to_string());
                            b"250 ok\r\n"
                        } else if upper.starts_with("DATA") {
                            write.write_all(b"354 go ahead\r\n").await.ok();
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(l.strip_prefix('.').unwrap_or(&l));
                                data.push_str("\r\n");
                            }
                            store.lock().unwrap().push(Mail { rcpt: std::mem::take(&mut rcpt), data });
                            b"250 queued\r\n"
                        } else if upper.starts_with("QUIT") {
                            write.write_all(b"221 bye\r\n").await.ok();
                            break;
                        } else {
                            b"250 ok\r\n"
                        };
                        if write.write_all(reply).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        SmtpSink { url: format!("smtp://127.0.0.1:{port}"), mails }
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}
