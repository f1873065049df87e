//! A bare TCP server for answers no well-behaved HTTP server gives: stalls,
//! bodies cut short, lies about their length. Each connection is handed to a
//! script that reads the request and writes whatever bytes it likes.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What a raw server saw.
#[derive(Debug, Default)]
pub struct Counters {
    /// Connections accepted.
    pub connections: AtomicUsize,
    /// Requests read (request heads, on any connection).
    pub requests: AtomicUsize,
    /// Body bytes the scripts managed to write before the peer went away.
    pub bytes_written: AtomicUsize,
}

pub struct RawServer {
    pub addr: SocketAddr,
    pub counters: Arc<Counters>,
}

impl RawServer {
    /// Serves every connection with `script(stream, counters)`.
    pub async fn start<F, Fut>(script: F) -> RawServer
    where
        F: Fn(TcpStream, Arc<Counters>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let counters = Arc::new(Counters::default());
        let script = Arc::new(script);
        let shared = counters.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                shared.connections.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(script(stream, shared.clone()));
            }
        });
        RawServer { addr, counters }
    }

    /// A server that answers each connection's first request with `bytes`,
    /// then closes it.
    pub async fn answering(bytes: Vec<u8>) -> RawServer {
        let bytes = Arc::new(bytes);
        RawServer::start(move |mut stream: TcpStream, counters: Arc<Counters>| {
            let bytes = bytes.clone();
            async move {
                if read_request(&mut stream, &counters).await {
                    write_counted(&mut stream, &counters, &bytes).await;
                }
            }
        })
        .await
    }

    /// A keep-alive server answering every request on a connection with
    /// `bytes`.
    pub async fn keep_alive(bytes: Vec<u8>) -> RawServer {
        let bytes = Arc::new(bytes);
        RawServer::start(move |mut stream: TcpStream, counters: Arc<Counters>| {
            let bytes = bytes.clone();
            async move {
                while read_request(&mut stream, &counters).await {
                    if !write_counted(&mut stream, &counters, &bytes).await {
                        break;
                    }
                }
            }
        })
        .await
    }

    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn connections(&self) -> usize {
        self.counters.connections.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> usize {
        self.counters.requests.load(Ordering::SeqCst)
    }

    pub fn bytes_written(&self) -> usize {
        self.counters.bytes_written.load(Ordering::SeqCst)
    }
}

/// Reads one request head (up to the blank line) and its body, if it
/// declares one. `false` when the peer closed the connection first.
pub async fn read_request(stream: &mut TcpStream, counters: &Counters) -> bool {
    read_whole_request(stream, counters).await.is_some()
}

/// Reads one request, head and body, and returns its bytes as they came;
/// `None` when the peer closed the connection first.
pub async fn read_whole_request(stream: &mut TcpStream, counters: &Counters) -> Option<Vec<u8>> {
    // Peek until the head is complete, then take exactly the head: no byte
    // of what follows is consumed, and no read per byte.
    let mut peeked = vec![0u8; 16 * 1024];
    let head_len = loop {
        let n = match stream.peek(&mut peeked).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => n,
        };
        if let Some(at) = peeked[..n].windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if n == peeked.len() {
            return None; // A head larger than any client here sends.
        }
        tokio::task::yield_now().await;
    };
    let mut head = vec![0u8; head_len];
    if stream.read_exact(&mut head).await.is_err() {
        return None;
    }
    let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let length = text
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    if stream.read_exact(&mut body).await.is_err() {
        return None;
    }
    counters.requests.fetch_add(1, Ordering::SeqCst);
    head.extend_from_slice(&body);
    Some(head)
}

/// Writes `bytes`, counting what got through; `false` once the peer is gone.
pub async fn write_counted(stream: &mut TcpStream, counters: &Counters, bytes: &[u8]) -> bool {
    match stream.write_all(bytes).await {
        Ok(()) => {
            counters
                .bytes_written
                .fetch_add(bytes.len(), Ordering::SeqCst);
            true
        }
        Err(_) => false,
    }
}

/// A complete HTTP/1.1 response with a `Content-Length`.
pub fn response(status: &str, content_type: &str, extra_headers: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n{extra_headers}\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}
