//! A purpose-built server on loopback for what the sandbox will not do (redirect, answer 429
//! forever, send 50 MB): the same bytes to every request, counted.

/// A purpose-built server on loopback for what the sandbox will not do (redirect, answer 429
/// forever, send 50 MB): every request gets `answer`, written in 64 KiB pieces, and the
/// connection is closed. It counts the requests and the bytes the client took.
pub struct Canned {
    address: std::net::SocketAddr,
    requests: std::sync::Arc<std::sync::atomic::AtomicU64>,
    written: std::sync::Arc<std::sync::atomic::AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Canned {
    pub async fn start(answer: Vec<u8>) -> Canned {
        use std::sync::atomic::Ordering::SeqCst;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let requests = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let written = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let answer = std::sync::Arc::new(answer);
        let (count, taken) = (requests.clone(), written.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (count, taken, answer) = (count.clone(), taken.clone(), answer.clone());
                tokio::spawn(async move {
                    // The request: its head, then as many bytes as its Content-Length says.
                    let mut request = Vec::new();
                    let mut buffer = [0u8; 8192];
                    let head_end = loop {
                        match stream.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buffer[..n]),
                        }
                        if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                            break at + 4;
                        }
                    };
                    let head = String::from_utf8_lossy(&request[..head_end]).to_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    while request.len() < head_end + length {
                        match stream.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buffer[..n]),
                        }
                    }
                    count.fetch_add(1, SeqCst);
                    for piece in answer.chunks(64 * 1024) {
                        if stream.write_all(piece).await.is_err() {
                            return;
                        }
                        taken.fetch_add(piece.len() as u64, SeqCst);
                    }
                    let _ = stream.shutdown().await;
                });
            }
        });
        Canned {
            address,
            requests,
            written,
            task,
        }
    }

    /// An HTTP/1.1 answer with this status line, extra headers and body.
    pub fn answer(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
        let mut out = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (name, value) in headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body);
        bytes
    }

    pub fn base_url(&self) -> String {
        format!("http://{}/api/v1", self.address)
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Bytes of answers the clients took (written before a client closed the connection).
    pub fn written(&self) -> u64 {
        self.written.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for Canned {
    fn drop(&mut self) {
        self.task.abort();
    }
}
